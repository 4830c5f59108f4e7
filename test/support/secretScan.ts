// Looks for secret values where they must never be: workflow histories (raw, and with every
// payload decrypted by the codec), logs, audit records. Reports which secret (by position)
// and in what form, never the secret itself.
import type { Client } from '@temporalio/client';
import type { KeyRing } from '../../src/secrets/keyFile';
import { AesGcmPayloadCodec } from '../../src/temporal/payloadCodec';
import { collectPayloads } from './historyPayloads';

function forms(secret: string): [string, string][] {
  return [['clear', secret], ['base64', Buffer.from(secret).toString('base64')], ['utf16le-base64', Buffer.from(secret, 'utf16le').toString('base64')]];
}

/** "secret #2 (base64)" for each secret found in text. */
export function findSecrets(text: string, secrets: string[]): string[] {
  return secrets.flatMap((secret, i) => forms(secret).filter(([, value]) => text.includes(value)).map(([form]) => `secret #${i} (${form})`));
}

export async function historySecretsScan(client: Client, workflowId: string, codecKeys: KeyRing, secrets: string[]): Promise<string[]> {
  const raw = await client.workflowService.getWorkflowExecutionHistory({ namespace: client.options.namespace, execution: { workflowId } });
  const found = findSecrets(JSON.stringify(raw.history), secrets).map((f) => `raw history: ${f}`);
  const payloads = collectPayloads(raw.history);
  if (payloads.length === 0) throw new Error('no payloads found in the history: the scan would prove nothing');
  const decoded = await new AesGcmPayloadCodec(codecKeys).decode(payloads);
  const text = decoded.map((p) => Buffer.from(p.data ?? new Uint8Array()).toString('utf8')).join('\n');
  return [...found, ...findSecrets(text, secrets).map((f) => `decoded payloads: ${f}`)];
}
