// Replays the recorded histories of successful runs, one per firmware family
// (test/replay/fixtures, recorded by recordFixture.ts), against the current workflow code: a
// change that would break runs already in flight fails here with a non-determinism error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { workflowBundle } from '../support/worker';
import { FAMILIES, fixturePath } from './fixturePaths';

for (const family of FAMILIES) {
  test(`the recorded successful run on ${family} firmware replays deterministically`, async () => {
    const json = JSON.parse(readFileSync(fixturePath(family), 'utf8')) as { events: { eventType: string; activityTaskScheduledEventAttributes?: { activityType?: { name?: string } } }[] };
    const types = json.events.map((e) => e.eventType);
    assert.ok(types.includes('EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED'), 'the fixture is a completed run');
    assert.ok(types.filter((t) => t === 'EVENT_TYPE_ACTIVITY_TASK_COMPLETED').length >= 7, 'the fixture ran every stage');
    const activities = json.events.map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name).filter(Boolean);
    assert.ok(activities.includes('phase1'), 'the fixture ran the dialect-neutral phase1 activity');
    await Worker.runReplayHistory({
      workflowBundle: await workflowBundle(),
      dataConverter: { failureConverterPath: require.resolve('../../src/temporal/failureConverter') },
    }, temporal.api.history.v1.History.fromObject(json));
  });
}
