// Codec keys and runs in flight, on a real Temporal, Samba DC and emulated devices:
// - a worker whose key ring lacks the key a run's history was encrypted with leaves the run
//   visibly stuck for that reason: counted by key id, logged once a minute naming the key id
//   and fingerprint, and `amtprov status` says so (never a key in any of it); given the key
//   back, the run finishes;
// - a key rotation with runs in flight (new primary, old key kept for decoding) loses no run:
//   every one ends Provisioned, payloads written after it use the new key id, and the old
//   key's payloads still decode.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import { productRegistry } from '../../../src/metrics/productMetrics';
import { parseKeyRing } from '../../../src/secrets/keyFile';
import { AesGcmPayloadCodec, codecKeyFingerprint, payloadKeyOf } from '../../../src/temporal/payloadCodec';
import { dataConverter } from '../../../src/temporal/connection';
import { statusQuery, type ProvisionResult } from '../../../src/workflows/definitions';
import { payloadsIn, STUCK_WORKFLOW_TASK_ATTEMPTS } from '../../../src/runs/stuckRun';
import { findSecrets } from '../../support/secretScan';
import { useProvisioningStacks, type ProvisioningStack } from '../../support/provisioningStack';
import { waitUntil } from '../../support/waitUntil';

const run = promisify(execFile);
const CLI = path.resolve(__dirname, '../../../src/cli.ts');

const newKey = (id: string): string => `${id}:${randomBytes(32).toString('base64')}`;

async function undecryptable(keyId: string): Promise<number> {
  const metric = await productRegistry.getSingleMetric('amtprov_codec_undecryptable_total')!.get();
  return metric.values.find((v) => v.labels.key_id === keyId)?.value ?? 0;
}

/** Every encrypted payload of a history (inputs, results, signals, failures, metadata), as stored. */
function encryptedPayloads(history: temporal.api.history.v1.IHistory): Payload[] {
  return [...payloadsIn(history.events)].filter((p) => payloadKeyOf(p) !== undefined);
}

/** A client of the stack's Temporal with another key ring (every role moves to the new ring). */
function clientWith(s: ProvisioningStack, ring: string): Client {
  return new Client({ connection: s.client.connection, namespace: s.client.options.namespace, dataConverter: dataConverter(parseKeyRing(ring, 'test ring')) });
}

async function pendingWorkflowTaskAttempts(s: ProvisioningStack, index: number): Promise<number> {
  return (await s.client.workflow.getHandle(s.workflowId(index)).describe()).raw.pendingWorkflowTask?.attempt ?? 0;
}

describe('codec keys with runs in flight', () => {
  const { stack } = useProvisioningStacks();

  test('a worker without the history\'s key: the run is visibly stuck (metric, one log line a minute, status), then finishes once given the key', async (t) => {
    const s = await stack(t, { baseIp: '127.0.181.1', devices: 1 });
    // The device's Hello starts its run with the stack's key "c"; the worker then restarts without it.
    await waitUntil(async () => (await s.client.workflow.getHandle(s.workflowId(0)).describe()).status.name === 'RUNNING', 'the run to start');
    await s.stopWorker();
    const oldKey = s.codecKeys.keys.get('c')!;
    const otherRing = newKey('b');
    const before = await undecryptable('c');
    await s.startWorker({ codecRing: otherRing });

    // Temporal retries a failing workflow task at once, then with a growing backoff.
    await waitUntil(async () => await pendingWorkflowTaskAttempts(s, 0) >= STUCK_WORKFLOW_TASK_ATTEMPTS, 'the workflow task to fail again', 90_000);
    assert.ok(await undecryptable('c') > before, 'amtprov_codec_undecryptable_total{key_id="c"} counts');
    const stuckLines = s.logs.filter((l) => l.includes('run stuck: payload key "c"'));
    const activationFailures = s.logs.filter((l) => l.includes('Failed to process Workflow Activation')).length;
    assert.equal(stuckLines.length, 1, `one line per key per minute, however often it fails (${activationFailures} failed activations):\n${stuckLines.join('\n')}`);
    assert.ok(stuckLines[0].includes(codecKeyFingerprint(oldKey)), 'the line names the missing key\'s fingerprint');

    // The operator's view, with the same key ring as the worker.
    const env = s.roleEnv;
    const { stdout } = await run(process.execPath, ['--import', 'tsx', CLI, 'status', s.uuids[0]], { env });
    assert.match(stdout, new RegExp(`stuck +payload key "c" \\(${codecKeyFingerprint(oldKey)}\\) not held by this key ring, so not by the worker either; its workflow task failed \\d+ times`));
    const json = JSON.parse((await run(process.execPath, ['--import', 'tsx', CLI, 'status', s.uuids[0], '--json'], { env })).stdout) as
      { run: { stuck?: { workflowTaskAttempts: number; keys: { keyId: string; fingerprint: string; heldHere: boolean }[] } } };
    assert.ok(json.run.stuck && json.run.stuck.workflowTaskAttempts >= STUCK_WORKFLOW_TASK_ATTEMPTS);
    // "c" for what the run wrote before; "b" for the failure the new worker reported (encrypted with its own key).
    assert.deepEqual(json.run.stuck.keys.find((k) => k.keyId === 'c'), { keyId: 'c', fingerprint: codecKeyFingerprint(oldKey), heldHere: false });
    assert.deepEqual(json.run.stuck.keys.filter((k) => k.keyId !== 'c').map((k) => [k.keyId, k.heldHere]), [['b', true]]);
    const listed = JSON.parse((await run(process.execPath, ['--import', 'tsx', CLI, 'runs', '--json'], { env })).stdout) as { workflowId: string; status: string }[];
    assert.equal(listed.find((r) => r.workflowId === s.workflowId(0))?.status, 'STUCK', 'amtprov runs marks it');
    const keyMaterial = [oldKey.toString('base64'), otherRing.split(':')[1], s.devicePassword];
    assert.deepEqual(findSecrets(`${stdout}\n${JSON.stringify(json)}\n${s.logs.join('\n')}`, keyMaterial), [], 'no key, no password in any of it');

    // The key back (the other one stays primary): the run moves on and finishes.
    await s.stopWorker();
    const both = `${otherRing},c:${oldKey.toString('base64')}`;
    await s.startWorker({ codecRing: both });
    const result = await clientWith(s, both).workflow.getHandle(s.workflowId(0)).result() as ProvisionResult;
    assert.equal(result.outcome, 'Provisioned');
  });

  test('rotation with runs in flight: every run ends Provisioned, new payloads use the new key id, old ones still decode', async (t) => {
    const devices = 3;
    const s = await stack(t, { baseIp: '127.0.182.1', devices });
    // Slow devices keep the runs in flight across the rotation.
    for (let i = 0; i < devices; i++) await s.control('POST', `/devices/${s.uuids[i]}/faults`, { latencyMs: 300 });
    for (let i = 0; i < devices; i++) {
      await waitUntil(async () => (await s.client.workflow.getHandle(s.workflowId(i)).query(statusQuery)).stage !== 'validate', `run ${i} past validate`);
    }
    const rotated = `${newKey('k2')},c:${s.codecKeys.keys.get('c')!.toString('base64')}`;
    await s.stopWorker();
    await s.startWorker({ codecRing: rotated });
    for (let i = 0; i < devices; i++) await s.control('DELETE', `/devices/${s.uuids[i]}/faults`);

    // Every role moves to the rotated ring; the operator's client too.
    const ring = parseKeyRing(rotated, 'rotated');
    const client = clientWith(s, rotated);
    const results = await Promise.all(Array.from({ length: devices }, (_, i) => client.workflow.getHandle(s.workflowId(i)).result() as Promise<ProvisionResult>));
    assert.deepEqual(results.map((r) => r.outcome), Array<string>(devices).fill('Provisioned'));

    for (let i = 0; i < devices; i++) {
      const history = await client.workflow.getHandle(s.workflowId(i)).fetchHistory();
      const payloads = encryptedPayloads(history);
      const keyIds = payloads.map((p) => payloadKeyOf(p)?.keyId);
      const input = history.events![0].workflowExecutionStartedEventAttributes!.input!.payloads![0];
      assert.equal(payloadKeyOf(input)?.keyId, 'c', `run ${i}: its input was written before the rotation`);
      assert.ok(keyIds.includes('k2'), `run ${i}: payloads after the rotation use the new key id`);
      const completed = history.events!.at(-1)!.workflowExecutionCompletedEventAttributes!.result!.payloads![0];
      assert.equal(payloadKeyOf(completed)?.keyId, 'k2', `run ${i}: its result is under the new key`);
      // The rotated ring reads the whole history, old key's payloads included.
      const decoded = await new AesGcmPayloadCodec(ring).decode(payloads);
      assert.equal(decoded.length, payloads.length);
    }
  });
});
