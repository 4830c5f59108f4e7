// Records the replay fixtures: one real out-of-band run per firmware family (emulated device,
// Samba DC, Temporal dev server), since each family's phase 1 speaks its own dialect, and one
// unprovision run (partial, then re-provisioned); each
// history decrypted with the run's codec key and written as Temporal's JSON form. Not part of
// `npm test`; re-record after an intended workflow change:
//   node --import tsx --test test/replay/recordFixture.ts
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { temporal } from '@temporalio/proto';
import { DEFAULT_FIRMWARE_VERSION } from '../../src/contract/firmwareFamilies';
import { AesGcmPayloadCodec } from '../../src/temporal/payloadCodec';
import { useTestDirectory } from '../support/ad';
import { collectPayloads } from '../support/historyPayloads';
import { startProvisioningStack } from '../support/provisioningStack';
import { startTestTemporal } from '../support/temporal';
import { MaintenanceRuns } from '../../src/runs/maintenanceRuns';
import type { UnprovisionResult } from '../../src/workflows/maintenanceDefinitions';
import { FAMILIES, fixturePath, unprovisionFixturePath } from './fixturePaths';


const directory = useTestDirectory();

/** Writes the run's history, decrypted with the stack's codec key, as Temporal's JSON form. */
async function writeHistory(stack: Awaited<ReturnType<typeof startProvisioningStack>>, workflowId: string, runId: string | undefined, file: string): Promise<void> {
  const history = await stack.client.workflow.getHandle(workflowId, runId).fetchHistory();
  const payloads = collectPayloads(history);
  const decoded = await new AesGcmPayloadCodec(stack.codecKeys).decode(payloads);
  payloads.forEach((payload, i) => Object.assign(payload, decoded[i]));
  // The SDK's historyToJSON fails with this protobufjs install; protobufjs' own JSON form
  // (longs and bytes as strings) reads back with History.fromObject.
  const json = temporal.api.history.v1.History.toObject(temporal.api.history.v1.History.fromObject(history), { longs: String, bytes: String, enums: String });
  writeFileSync(file, `${JSON.stringify(json, null, 1)}\n`);
}

for (const [index, family] of FAMILIES.entries()) {
  test(`record a successful out-of-band run on ${family} firmware`, async (t) => {
    const env = await startTestTemporal();
    const stack = await startProvisioningStack({
      temporal: { address: env.address, namespace: env.namespace ?? 'default' }, directory, t, baseIp: `127.0.44.${1 + index * 10}`,
      firmwareVersion: DEFAULT_FIRMWARE_VERSION[family],
    });
    try {
      assert.equal((await stack.waitForResult(0)).outcome, 'Provisioned');
      await writeHistory(stack, stack.workflowId(0), undefined, fixturePath(family));
    } finally {
      await stack.stop();
      await env.teardown();
    }
  });
}

test('record a partial unprovision with re-provisioning on modern firmware', async (t) => {
  const env = await startTestTemporal();
  const stack = await startProvisioningStack({
    temporal: { address: env.address, namespace: env.namespace ?? 'default' }, directory, t, baseIp: '127.0.194.1',
  });
  try {
    assert.equal((await stack.waitForResult(0)).outcome, 'Provisioned');
    const run = await new MaintenanceRuns(stack.client, stack.store, stack.taskQueue)
      .unprovision((await stack.store.computers.findByUuid(stack.uuids[0]))!, { mode: 'partial', reprovision: true });
    const result = await stack.client.workflow.getHandle(run.workflowId, run.runId).result() as UnprovisionResult;
    assert.ok(result.reprovision.started);
    await writeHistory(stack, run.workflowId, run.runId, unprovisionFixturePath);
  } finally {
    await stack.stop();
    await env.teardown();
  }
});
