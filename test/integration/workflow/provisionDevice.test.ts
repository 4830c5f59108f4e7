// The provisioning workflow's sequencing on a real Temporal dev server, with scripted
// activities (the activities themselves are tested against the emulator and Samba elsewhere).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { WorkflowFailedError, type Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { ApplicationFailure } from '@temporalio/common';
import { Context } from '@temporalio/activity';
import type { DeviceTarget, ProvisioningActivities, ReportInput } from '../../../src/activities/types';
import {
  helloSignal, provisioningStartAttributes, provisioningWorkflowId, type HelloSignal, retrySignal, searchAttributes, statusQuery, type ProvisionInput,
} from '../../../src/workflows/definitions';
import type { provisionDevice } from '../../../src/workflows';
import { ProvisionerError } from '../../../src/errors';
import { startTestTemporal, uniqueTaskQueue } from '../../support/temporal';
import { codecClient, startWorker } from '../../support/worker';

/** A scripted activity failure of the kind real activities raise (failureMapping maps only ProvisionerErrors by type). */
class ScriptedFailure extends ProvisionerError {
  constructor(readonly type: string, readonly retryable: boolean, message: string) {
    super(message);
  }
}

function typedError(type: string, retryable: boolean, message: string): Error {
  return new ScriptedFailure(type, retryable, message);
}

function scriptedActivities(overrides: Partial<ProvisioningActivities>, reports: ReportInput[]): ProvisioningActivities {
  return {
    validateDevice: () => Promise.resolve({ computerId: 7, netbiosName: 'PC7', fqdn: 'pc7.amt.test', certificateId: 1, unreachableDeadlineSeconds: 3600 }),
    tlsHandshake: () => Promise.resolve({ fingerprint: 'ab'.repeat(32), firstContact: true }),
    digestLogin: () => Promise.resolve({ credential: 'account:1 admin', rejected: 0 }),
    verifyIdentity: () => Promise.resolve(),
    createDirectoryAccount: () => Promise.resolve({ dn: 'CN=PC7,OU=AMT,DC=amt,DC=test', created: true, keyVersion: 1 }),
    phase1: () => Promise.resolve({ steps: ['commit'] }),
    phase2Wsman: () => Promise.resolve({ steps: ['acl'] }),
    reportResult: (input) => { reports.push(input); return Promise.resolve(); },
    ...overrides,
  };
}

/** An activity that works until cancelled; it heartbeats, as real device activities do, so the cancel reaches it. */
async function untilCancelled(): Promise<never> {
  const ctx = Context.current();
  const beat = setInterval(() => ctx.heartbeat(), 200);
  try {
    return await ctx.cancelled;
  } finally {
    clearInterval(beat);
  }
}

let counter = 0;
function input(mode: ProvisionInput['mode'] = 'out-of-band'): ProvisionInput {
  counter += 1;
  const uuid = `4c4c4544-0000-1000-8000-${String(process.pid).padStart(6, '0')}${String(counter).padStart(6, '0')}`;
  return { uuid, mode, address: '127.0.40.1', trustedRootHashes: ['00'.repeat(32)], trigger: 'hello' };
}

describe('provisionDevice workflow', () => {
  let env: TestWorkflowEnvironment;
  let client: Client;
  before(async () => {
    env = await startTestTemporal();
    client = codecClient(env);
  });
  after(async () => { await env?.teardown(); });

  async function run(overrides: Partial<ProvisioningActivities>, body: (args: { taskQueue: string; reports: ReportInput[] }) => Promise<void>): Promise<void> {
    const reports: ReportInput[] = [];
    const taskQueue = uniqueTaskQueue('wf');
    const worker = await startWorker(env, taskQueue, scriptedActivities(overrides, reports));
    try {
      await body({ taskQueue, reports });
    } finally {
      await worker.stop();
    }
  }

  test('runs every stage, reports Provisioned, and is findable by its search attributes', async () => {
    await run({}, async ({ taskQueue, reports }) => {
      const args = input();
      const handle = await client.workflow.start<typeof provisionDevice>('provisionDevice', { taskQueue, workflowId: provisioningWorkflowId(args.uuid), args: [args] });
      const result = await handle.result();
      assert.equal(result.outcome, 'Provisioned');
      assert.equal(result.directoryDn, 'CN=PC7,OU=AMT,DC=amt,DC=test');
      assert.deepEqual(reports.map((r) => [r.outcome, r.computerId]), [['Provisioned', 7]]);
      const status = await handle.query(statusQuery);
      assert.equal(status.stage, 'done');
      assert.equal(status.outcome, 'Provisioned');

      const listed = [];
      for await (const wf of client.workflow.list({ query: `AmtUuid = "${args.uuid}" AND AmtStatus = "Provisioned"` })) listed.push(wf);
      assert.equal(listed.length, 1);
      const attrs = listed[0].typedSearchAttributes;
      assert.equal(attrs.get(searchAttributes.hostname), 'pc7.amt.test');
      assert.equal(attrs.get(searchAttributes.stage), 'done');
      assert.equal(attrs.get(searchAttributes.mode), 'out-of-band');
    });
  });

  test('started as every starter starts it, a run upserts only what changes: each stage once, then the outcome', async () => {
    await run({}, async ({ taskQueue }) => {
      const args = input();
      const handle = await client.workflow.start<typeof provisionDevice>('provisionDevice', {
        taskQueue, workflowId: provisioningWorkflowId(args.uuid), args: [args],
        typedSearchAttributes: provisioningStartAttributes({ uuid: args.uuid, hostname: 'pc7.amt.test', mode: args.mode }),
      });
      await handle.result();
      const history = await handle.fetchHistory();
      const upserts = (history.events ?? []).flatMap((e) => {
        const fields = e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields;
        return fields ? [Object.entries(fields).map(([key, payload]) => `${key}=${JSON.parse(Buffer.from(payload.data!).toString()) as string}`).sort().join(' ')] : [];
      });
      assert.deepEqual(upserts, [
        // The SDK's own, for patched('local-site-steps'): it lets operators find runs by code version.
        'TemporalChangeVersion=local-site-steps',
        'ProvisioningStage=tls', 'ProvisioningStage=digest', 'ProvisioningStage=directory', 'ProvisioningStage=phase1', 'ProvisioningStage=phase2',
        'AmtStatus=Provisioned ProvisioningStage=done',
      ]);
    });
  });

  test('payloads in the history are encrypted by the codec', async () => {
    await run({}, async ({ taskQueue }) => {
      const args = input();
      const handle = await client.workflow.start<typeof provisionDevice>('provisionDevice', { taskQueue, workflowId: provisioningWorkflowId(args.uuid), args: [args] });
      await handle.result();
      const raw = await env.client.workflowService.getWorkflowExecutionHistory({
        namespace: env.namespace ?? 'default', execution: { workflowId: handle.workflowId },
      });
      const bytes = Buffer.from(JSON.stringify(raw.history));
      assert.ok(!bytes.includes('pc7.amt.test'), 'host name must not appear in clear in the history');
      assert.ok(!bytes.includes(Buffer.from('pc7.amt.test').toString('base64')), 'nor base64-encoded');
      const started = raw.history!.events![0].workflowExecutionStartedEventAttributes!.input!.payloads![0];
      assert.equal(Buffer.from(started.metadata!.encoding).toString(), 'binary/encrypted');
    });
  });

  test('retryable failures are retried with the attempt count and last error in status', async () => {
    let tlsCalls = 0;
    await run({
      tlsHandshake: () => {
        tlsCalls += 1;
        if (tlsCalls < 3) return Promise.reject(typedError('DeviceUnreachable', true, 'connect ECONNREFUSED 127.0.40.1:16993'));
        return Promise.resolve({ fingerprint: 'cd'.repeat(32), firstContact: false });
      },
      digestLogin: () => new Promise((resolve) => setTimeout(() => resolve({ credential: 'account:1 admin', rejected: 0 }), 1500)),
    }, async ({ taskQueue }) => {
      const args = input();
      const handle = await client.workflow.start<typeof provisionDevice>('provisionDevice', { taskQueue, workflowId: provisioningWorkflowId(args.uuid), args: [args] });
      // The operator's retry cuts the 2 s / 4 s backoffs short.
      for (let i = 0; i < 40 && tlsCalls < 3; i++) {
        await handle.signal(retrySignal);
        await new Promise((r) => setTimeout(r, 100));
      }
      const result = await handle.result();
      assert.equal(result.outcome, 'Provisioned');
      assert.equal(tlsCalls, 3);
      const history = await handle.fetchHistory();
      const failedTls = history.events!.filter((e) => e.activityTaskFailedEventAttributes).length;
      assert.equal(failedTls, 2);
    });
  });

  test('a non-retryable failure ends the run Failed with its type, and is reported', async () => {
    await run({
      digestLogin: () => Promise.reject(typedError('AllCredentialsRejected', false, 'all 3 configured Digest accounts were rejected')),
    }, async ({ taskQueue, reports }) => {
      const args = input();
      const handle = await client.workflow.start<typeof provisionDevice>('provisionDevice', { taskQueue, workflowId: provisioningWorkflowId(args.uuid), args: [args] });
      const err = await handle.result().then(() => undefined, (e: unknown) => e);
      assert.ok(err instanceof WorkflowFailedError);
      assert.ok(err.cause instanceof ApplicationFailure);
      assert.equal(err.cause.type, 'AllCredentialsRejected');
      assert.match(err.cause.message, /digest: all 3 configured Digest accounts were rejected/);
      assert.equal(reports.length, 1);
      assert.equal(reports[0].outcome, 'Failed');
      assert.equal(reports[0].failedStage, 'digest');
      const status = await handle.query(statusQuery);
      assert.equal(status.lastError?.type, 'AllCredentialsRejected');
      assert.equal(status.attempt, 1);
    });
  });

  test('a device unreachable past its deadline ends the run as DeviceUnreachable', async () => {
    await run({
      validateDevice: () => Promise.resolve({ computerId: 8, netbiosName: 'PC8', fqdn: 'pc8.amt.test', certificateId: 1, unreachableDeadlineSeconds: 3 }),
      phase2Wsman: () => Promise.reject(typedError('DeviceUnreachable', true, 'connect ECONNREFUSED')),
    }, async ({ taskQueue, reports }) => {
      const args = input();
      const handle = await client.workflow.start<typeof provisionDevice>('provisionDevice', { taskQueue, workflowId: provisioningWorkflowId(args.uuid), args: [args] });
      const err = await handle.result().then(() => undefined, (e: unknown) => e);
      assert.ok(err instanceof WorkflowFailedError && err.cause instanceof ApplicationFailure);
      assert.equal(err.cause.type, 'DeviceUnreachable');
      assert.match(err.cause.message, /deadline 3 s/);
      assert.deepEqual(reports.map((r) => [r.outcome, r.failedStage]), [['Failed', 'phase2']]);
    });
  });

  test('Hellos during a run are absorbed by the one running workflow', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => { release = resolve; });
    await run({ phase1: async () => { await gate; return { steps: [] }; } }, async ({ taskQueue }) => {
      const args = input();
      const starts = await Promise.all(Array.from({ length: 20 }, (_, i) => client.workflow.signalWithStart<typeof provisionDevice, [HelloSignal]>('provisionDevice', {
        taskQueue, workflowId: provisioningWorkflowId(args.uuid), args: [args],
        signal: helloSignal, signalArgs: [{ retryCount: i, peerAddress: '127.0.40.9' }],
        workflowIdConflictPolicy: 'USE_EXISTING',
      })));
      assert.equal(new Set(starts.map((h) => h.signaledRunId)).size, 1);
      const handle = client.workflow.getHandle<typeof provisionDevice>(provisioningWorkflowId(args.uuid));
      let status = await handle.query(statusQuery);
      for (let i = 0; i < 50 && status.hellosAbsorbed < 20; i++) {
        await new Promise((r) => setTimeout(r, 100));
        status = await handle.query(statusQuery);
      }
      assert.equal(status.hellosAbsorbed, 20);
      // An unauthenticated Hello does not move a run: its address is a candidate until the current one stops answering.
      assert.deepEqual([status.address, status.candidateAddress], ['127.0.40.1', '127.0.40.9']);
      release();
      assert.equal((await handle.result()).outcome, 'Provisioned');
    });
  });

  test('an operator cancel reports Failed (cancelled) and ends the run cancelled', async () => {
    await run({ phase1: untilCancelled }, async ({ taskQueue, reports }) => {
      const args = input();
      const handle = await client.workflow.start<typeof provisionDevice>('provisionDevice', { taskQueue, workflowId: provisioningWorkflowId(args.uuid), args: [args] });
      for (let i = 0; i < 50 && (await handle.query(statusQuery)).stage !== 'phase1'; i++) await new Promise((r) => setTimeout(r, 100));
      await handle.cancel();
      const err = await handle.result().then(() => undefined, (e: unknown) => e);
      assert.ok(err instanceof WorkflowFailedError);
      assert.equal((await handle.describe()).status.name, 'CANCELLED');
      assert.equal(reports.length, 1);
      assert.equal(reports[0].outcome, 'Failed');
      assert.match(reports[0].reason ?? '', /CancelledByOperator/);
    });
  });

  test('a run started with plaintext input (not through the site\'s roles) fails UntrustedStart before any activity; a plaintext signal never moves a run', async () => {
    let validations = 0;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => { release = resolve; });
    await run({
      validateDevice: () => { validations += 1; return Promise.resolve({ computerId: 7, netbiosName: 'PC7', fqdn: 'pc7.amt.test', certificateId: 1, unreachableDeadlineSeconds: 3600 }); },
      phase1: async () => { await gate; return { steps: [] }; },
    }, async ({ taskQueue, reports }) => {
      // env.client has no codec: what anyone who reaches Temporal can send.
      const forged = input();
      const plain = await env.client.workflow.start<typeof provisionDevice>('provisionDevice', { taskQueue, workflowId: `forged-${forged.uuid}`, args: [forged] });
      const err = await plain.result().then(() => undefined, (e: unknown) => e);
      assert.ok(err instanceof WorkflowFailedError && err.cause instanceof ApplicationFailure);
      assert.equal(err.cause.type, 'UntrustedStart');
      assert.equal(validations, 0);
      assert.equal(reports.length, 0, 'nothing is reported for a refused start');

      const args = input();
      const handle = await client.workflow.start<typeof provisionDevice>('provisionDevice', { taskQueue, workflowId: provisioningWorkflowId(args.uuid), args: [args] });
      for (let i = 0; i < 50 && (await handle.query(statusQuery)).stage !== 'phase1'; i++) await new Promise((r) => setTimeout(r, 100));
      await env.client.workflow.getHandle(handle.workflowId).signal(helloSignal, { retryCount: 1, peerAddress: '10.66.66.66' });
      let status = await handle.query(statusQuery);
      for (let i = 0; i < 50 && status.untrustedSignals === 0; i++) {
        await new Promise((r) => setTimeout(r, 100));
        status = await handle.query(statusQuery);
      }
      assert.deepEqual([status.untrustedSignals, status.hellosAbsorbed, status.address], [1, 0, '127.0.40.1']);
      release();
      assert.equal((await handle.result()).outcome, 'Provisioned');
    });
  });

  test('a Hello from a newer address is tried only when the current one stops answering, and that attempt must prove the device', async () => {
    const targets: DeviceTarget[] = [];
    let reached = false;
    await run({
      tlsHandshake: (target) => {
        targets.push(target);
        if (target.address === '127.0.40.1') return Promise.reject(typedError('DeviceUnreachable', true, 'connect ETIMEDOUT 127.0.40.1:16993'));
        reached = true;
        return Promise.resolve({ fingerprint: 'ab'.repeat(32), firstContact: false });
      },
      phase1: (target) => { targets.push(target); return Promise.resolve({ steps: [] }); },
    }, async ({ taskQueue, reports }) => {
      const args = input();
      const handle = await client.workflow.signalWithStart<typeof provisionDevice, [HelloSignal]>('provisionDevice', {
        taskQueue, workflowId: provisioningWorkflowId(args.uuid), args: [args], signal: helloSignal, signalArgs: [{ retryCount: 1, peerAddress: '127.0.40.1' }],
      });
      await handle.signal(helloSignal, { retryCount: 2, peerAddress: '127.0.40.77' });
      for (let i = 0; i < 40 && !reached; i++) {
        await handle.signal(retrySignal);
        await new Promise((r) => setTimeout(r, 150));
      }
      assert.equal((await handle.result()).outcome, 'Provisioned');
      const tls = targets.filter((t) => !('directory' in t));
      assert.equal(tls[0].address, '127.0.40.1');
      assert.equal(tls[0].addressUnproven, undefined, 'the address the run started with is the known one');
      const moved = tls.find((t) => t.address === '127.0.40.77');
      assert.equal(moved?.addressUnproven, true, 'the attempt at the newer address must prove the device');
      assert.equal(targets.at(-1)?.addressUnproven, undefined, 'once proven, later stages go there as known');
      assert.equal(reports[0].addressUnproven, undefined);
    });
  });
});
