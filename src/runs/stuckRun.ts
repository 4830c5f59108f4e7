// A run that cannot move: its workflow task fails on every attempt. The common cause is a
// worker whose codec key ring lacks the key the history was encrypted with (a data dir or
// AMTPROV_CODEC_KEY without it); then every attempt fails the same way, forever, and the
// Web UI shows nothing but ciphertext. Operators get the key's id and fingerprint (never the
// key) from the history's clear payload metadata, and whether this process's ring holds it.
import type { Client } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import { payloadKeyOf } from '../temporal/payloadCodec';

/** A workflow task that failed once may be a passing fault; a second failed attempt is a pattern. */
export const STUCK_WORKFLOW_TASK_ATTEMPTS = 2;

export interface PayloadKey {
  keyId: string;
  fingerprint: string;
  /** Whether this process's codec could decrypt a payload under it. */
  heldHere: boolean;
}

export interface StuckRun {
  /** Attempts of the pending workflow task so far. */
  workflowTaskAttempts: number;
  /** The codec keys the history's payloads were encrypted with. */
  keys: PayloadKey[];
}

/** Every payload in a history event, wherever it sits (inputs, results, signals, failures, metadata). */
export function* payloadsIn(value: unknown, depth = 0): Generator<Payload> {
  if (depth > 12 || value === null || typeof value !== 'object') return;
  if (ArrayBuffer.isView(value)) return;
  const record = value as Record<string, unknown>;
  if (record.metadata && typeof record.metadata === 'object' && 'data' in record) yield record;
  for (const child of Array.isArray(value) ? value : Object.values(record)) yield* payloadsIn(child, depth + 1);
}

export async function diagnoseStuckRun(client: Client, history: temporal.api.history.v1.IHistory, attempts: number): Promise<StuckRun> {
  const samples = new Map<string, { keyId: string; fingerprint: string; payload: Payload }>();
  for (const payload of payloadsIn(history.events ?? [])) {
    const key = payloadKeyOf(payload);
    if (key && !samples.has(`${key.keyId}/${key.fingerprint}`)) samples.set(`${key.keyId}/${key.fingerprint}`, { ...key, payload });
  }
  const codecs = client.workflow.options.loadedDataConverter.payloadCodecs;
  const keys: PayloadKey[] = [];
  for (const { keyId, fingerprint, payload } of samples.values()) {
    let heldHere = true;
    try {
      let decoded = [payload];
      for (const codec of [...codecs].reverse()) decoded = await codec.decode(decoded);
    } catch {
      heldHere = false;
    }
    keys.push({ keyId, fingerprint, heldHere });
  }
  return { workflowTaskAttempts: attempts, keys };
}

/** One line for `amtprov status`: the key the run waits for, or where to look instead. */
export function describeStuckRun(stuck: StuckRun): string {
  const missing = stuck.keys.filter((k) => !k.heldHere);
  const failed = `its workflow task failed ${stuck.workflowTaskAttempts} times`;
  if (missing.length > 0) {
    const names = missing.map((k) => `"${k.keyId}" (${k.fingerprint})`).join(', ');
    return `stuck: payload key ${names} not held by this key ring, so not by the worker either; ${failed}: start the worker with a key ring that holds it (AMTPROV_CODEC_KEY, the data dir it was made in)`;
  }
  const names = stuck.keys.map((k) => `"${k.keyId}"`).join(', ') || 'none';
  return `stuck: ${failed}; this process holds its payload keys (${names}): see the worker log (a worker with another key ring, or a workflow bug)`;
}
