// Replays the recorded unprovision run (partial, then a provisioning child started;
// test/replay/fixtures, recorded by recordFixture.ts) against the current workflow code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { workflowBundle } from '../support/worker';
import { unprovisionFixturePath } from './fixturePaths';

test('the recorded unprovision run replays deterministically', async () => {
  const json = JSON.parse(readFileSync(unprovisionFixturePath, 'utf8')) as { events: { eventType: string; activityTaskScheduledEventAttributes?: { activityType?: { name?: string } } }[] };
  const types = json.events.map((e) => e.eventType);
  assert.ok(types.includes('EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED'), 'the fixture is a completed run');
  assert.ok(types.includes('EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED'), 'the fixture started the provisioning run');
  const activities = json.events.map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name).filter(Boolean);
  assert.deepEqual(activities, ['prepareUnprovision', 'removeProvisioningData', 'deleteDirectoryAccount', 'reportUnprovisioned']);
  await Worker.runReplayHistory({
    workflowBundle: await workflowBundle(),
    dataConverter: { failureConverterPath: require.resolve('../../src/temporal/failureConverter') },
  }, temporal.api.history.v1.History.fromObject(json));
});
