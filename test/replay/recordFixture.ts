// Records the replay fixture: one real out-of-band run (emulated device, Samba DC, Temporal
// dev server), its history decrypted with the run's codec key and written as Temporal's
// JSON form. Not part of `npm test`; re-record after an intended workflow change:
//   node --import tsx --test test/replay/recordFixture.ts
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { AesGcmPayloadCodec } from '../../src/temporal/payloadCodec';
import { useTestDirectory } from '../support/ad';
import { collectPayloads } from '../support/historyPayloads';
import { startProvisioningStack } from '../support/provisioningStack';
import { startTestTemporal } from '../support/temporal';

export const FIXTURE = path.join(__dirname, 'fixtures', 'provisionDevice-out-of-band-success.json');

const directory = useTestDirectory();

test('record a successful out-of-band run', async (t) => {
  const env = await startTestTemporal();
  const stack = await startProvisioningStack({ temporal: { address: env.address, namespace: env.namespace ?? 'default' }, directory, t, baseIp: '127.0.44.1' });
  try {
    assert.equal((await stack.waitForResult(0)).outcome, 'Provisioned');
    const history = await stack.client.workflow.getHandle(stack.workflowId(0)).fetchHistory();
    const payloads = collectPayloads(history);
    const decoded = await new AesGcmPayloadCodec(stack.codecKeys).decode(payloads);
    payloads.forEach((payload, i) => Object.assign(payload, decoded[i]));
    // The SDK's historyToJSON fails with this protobufjs install; protobufjs' own JSON form
    // (longs and bytes as strings) reads back with History.fromObject.
    const json = temporal.api.history.v1.History.toObject(temporal.api.history.v1.History.fromObject(history), { longs: String, bytes: String, enums: String });
    writeFileSync(FIXTURE, `${JSON.stringify(json, null, 1)}\n`);
  } finally {
    await stack.stop();
    await env.teardown();
  }
});
