// Every payload inside a workflow history (inputs, results, signals, heartbeats, failure
// attributes), for scanning and for decrypting a recorded history into a fixture.
import type { Payload } from '@temporalio/common';

export function collectPayloads(node: unknown, into: Payload[] = []): Payload[] {
  if (Array.isArray(node)) node.forEach((child) => collectPayloads(child, into));
  else if (node && typeof node === 'object') {
    const record = node as Record<string, unknown>;
    if (record.metadata && typeof record.metadata === 'object' && 'data' in record) into.push(record);
    else Object.values(record).forEach((child) => collectPayloads(child, into));
  }
  return into;
}
