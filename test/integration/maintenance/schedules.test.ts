// The maintenance schedules (issue 11) on a real Temporal server with a worker running the real
// workflows and activities on a site store: created from the settings under stable ids (what
// npm start and `amtprov schedules apply` call), applied again idempotently, a disabled task
// paused, a short interval taking its action by itself, and a paused one triggered by hand.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createActivities } from '../../../src/activities';
import { createLogger } from '../../../src/log';
import { applyMaintenanceSchedules, describeMaintenanceSchedules, scheduleId, triggerMaintenanceSchedule, type ScheduledTask } from '../../../src/schedules/maintenanceSchedules';
import { parseKeyRing } from '../../../src/secrets/keyFile';
import { openSiteStore, type SiteStore } from '../../../src/site/store';
import type { MaintenanceResult } from '../../../src/workflows/scheduledMaintenance';
import { startTestTemporal, uniqueTaskQueue } from '../../support/temporal';
import { codecClient, startWorker } from '../../support/worker';
import type { DiscoverySummary } from '../../../src/workflows/maintenanceDefinitions';

describe('maintenance schedules', () => {
  let env: TestWorkflowEnvironment;
  let client: Client;
  let store: SiteStore;
  let dir: string;
  let stopWorker: () => Promise<void>;
  const taskQueue = uniqueTaskQueue('schedules');

  before(async () => {
    env = await startTestTemporal();
    client = codecClient(env);
    dir = mkdtempSync(path.join(os.tmpdir(), 'amtprov-schedules-'));
    store = await openSiteStore({ location: path.join(dir, 'site.sqlite'), keyRing: parseKeyRing(`m:${randomBytes(32).toString('base64')}`, 'test master') });
    stopWorker = (await startWorker(env, taskQueue, createActivities({ store, log: createLogger('test', { level: 'error', sink: () => {} }) }))).stop;
  });
  after(async () => {
    await stopWorker();
    await store.close();
    await env.teardown();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The workflow id of the schedule's first action (a run it started), waiting up to ms for it. */
  async function firstActionOf(task: ScheduledTask, ms: number): Promise<string> {
    const handle = client.schedule.getHandle(scheduleId(task));
    for (const deadline = Date.now() + ms; ; await new Promise((r) => setTimeout(r, 250))) {
      const started = (await handle.describe()).info.recentActions[0]?.action.workflow.workflowId;
      if (started !== undefined) return started;
      if (Date.now() > deadline) assert.fail(`the ${task} schedule started no run within ${ms / 1000} s`);
    }
  }

  async function workflowResult(workflowId: string): Promise<MaintenanceResult> {
    return await client.workflow.getHandle(workflowId).result() as MaintenanceResult;
  }

  test('created from the default settings, applied again as updates, a disabled one paused', async () => {
    const created = await applyMaintenanceSchedules(client, (await store.settings.get()).maintenance, taskQueue);
    assert.deepEqual(created.map((s) => [s.scheduleId, s.action, s.paused, s.intervalSeconds]), [
      ['amt-maintenance-certificate-renewal', 'created', false, 7 * 86400],
      ['amt-maintenance-password-reset', 'created', false, 28 * 86400],
      ['amt-maintenance-discovery', 'created', true, 86400],
    ]);
    for (const { task, description } of await describeMaintenanceSchedules(client)) {
      assert.ok(description, `${task} exists`);
      assert.equal(description.policies.overlap, ScheduleOverlapPolicy.SKIP);
      assert.equal(description.action.type, 'startWorkflow');
      assert.equal(description.action.taskQueue, taskQueue);
      assert.equal(description.action.workflowType, { 'certificate-renewal': 'renewCertificates', 'password-reset': 'resetPasswords', discovery: 'discoverAmtStatus' }[task]);
      assert.equal(description.state.paused, task === 'discovery', 'discovery is off by default');
    }
    const again = await applyMaintenanceSchedules(client, (await store.settings.get()).maintenance, taskQueue);
    assert.deepEqual(again.map((s) => s.action), ['updated', 'updated', 'updated']);

    await store.settings.apply({ maintenance: { passwordReset: { enabled: false } } });
    await applyMaintenanceSchedules(client, (await store.settings.get()).maintenance, taskQueue);
    const reset = await client.schedule.getHandle(scheduleId('password-reset')).describe();
    assert.equal(reset.state.paused, true);
    assert.match(reset.state.note ?? '', /disabled in the site settings/);
    assert.deepEqual(reset.spec.intervals?.map((i) => i.every), [28 * 86400 * 1000]);
  });

  test('a short interval starts the renewal by itself; a paused schedule can be triggered', async () => {
    await store.settings.apply({ maintenance: { certificateRenewal: { interval: '10s' }, passwordReset: { enabled: false } } });
    await applyMaintenanceSchedules(client, (await store.settings.get()).maintenance, taskQueue);
    const taken = await firstActionOf('certificate-renewal', 40_000);
    assert.match(taken, /^amt-maintenance-certificate-renewal/);
    // No provisioned computer in this store: the run plans nothing and says so.
    assert.deepEqual(await workflowResult(taken), { task: 'certificate-renewal', done: [], failed: [], skipped: [] });

    await triggerMaintenanceSchedule(client, 'password-reset');
    const triggered = await firstActionOf('password-reset', 20_000);
    assert.deepEqual(await workflowResult(triggered), { task: 'password-reset', done: [], failed: [], skipped: [] });

    // Discovery is paused by default; triggered, it runs the site-wide discovery (nothing to classify here).
    await triggerMaintenanceSchedule(client, 'discovery');
    const discovered = await firstActionOf('discovery', 20_000);
    assert.match(discovered, /^amt-discover-all/);
    const summary = await client.workflow.getHandle(discovered).result() as DiscoverySummary;
    assert.equal(summary.counts.total, 0);
    assert.deepEqual(summary.failures, []);
    await assert.rejects(triggerMaintenanceSchedule(client, 'defragment'), /no maintenance schedule "defragment"/);
  });
});
