// Replays a recorded history of a successful run (test/replay/fixtures, recorded by
// recordFixture.ts) against the current workflow code: a change that would break runs
// already in flight fails here with a non-determinism error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { workflowBundle } from '../support/worker';

const FIXTURE = path.join(__dirname, 'fixtures', 'provisionDevice-out-of-band-success.json');

test('the recorded successful run replays deterministically', async () => {
  const json = JSON.parse(readFileSync(FIXTURE, 'utf8')) as { events: { eventType: string }[] };
  const types = json.events.map((e) => e.eventType);
  assert.ok(types.includes('EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED'), 'the fixture is a completed run');
  assert.ok(types.filter((t) => t === 'EVENT_TYPE_ACTIVITY_TASK_COMPLETED').length >= 7, 'the fixture ran every stage');
  await Worker.runReplayHistory({
    workflowBundle: await workflowBundle(),
    dataConverter: { failureConverterPath: require.resolve('../../src/temporal/failureConverter') },
  }, temporal.api.history.v1.History.fromObject(json));
});
