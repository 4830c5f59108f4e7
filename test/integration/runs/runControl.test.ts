// The three starters (hello listener, site API's in-band starter, operator CLI) go through
// the one run-control module: same workflow id, same search attributes, the same
// conflict/reuse policy, and a static summary and details the Web UI shows. Real TCP Hellos,
// a real Temporal dev server running the real workflow, and `amtprov` as a child process.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { randomBytes, randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import { startHelloListener, type HelloListener } from '../../../src/listener/helloListener';
import { siteHelloLookups } from '../../../src/listener/siteLookups';
import { helloToWorkflow } from '../../../src/listener/startProvisioning';
import { createLogger } from '../../../src/log';
import { RunControl } from '../../../src/runs/runControl';
import { inBandRunStarter } from '../../../src/site/api/startInBandRun';
import type { Computer } from '../../../src/site/computers';
import { provisioningWorkflowId, searchAttributes, statusQuery } from '../../../src/workflows/definitions';
import { helloBytes } from '../../support/helloBytes';
import { runsFixture, waitFor, type RunsFixture } from './support';

const LISTENER_IP = '127.0.50.1';
const ROOT = 'cd'.repeat(32);

function sendHello(uuid: string, from: string, port: number, retryCount: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: LISTENER_IP, port, localAddress: from }, () => socket.end(helloBytes({ uuid, retryCount, hashes: [{ algorithm: 2, hex: ROOT }] })));
    socket.on('close', () => resolve());
    socket.on('error', reject);
  });
}

describe('run control: every starter through one module', () => {
  let f: RunsFixture;
  let listener: HelloListener;

  before(async () => {
    f = await runsFixture('runs');
    listener = await startHelloListener({
      host: LISTENER_IP, port: 0, log: createLogger('listener', { level: 'error', sink: () => {} }),
      lookups: { ...siteHelloLookups(f.store), provisioningRootHashes: () => Promise.resolve(new Set([ROOT])) },
      provision: helloToWorkflow(f.client, f.taskQueue),
    });
  });
  after(async () => {
    await listener?.close();
    await f?.close();
  });

  async function importComputer(): Promise<Computer> {
    const name = `PC${randomBytes(3).toString('hex').toUpperCase()}`;
    return await f.store.computers.add({ uuid: randomUUID(), netbiosName: name, fqdn: `${name.toLowerCase()}.amt.test` });
  }

  async function runOf(computer: Computer): Promise<WorkflowHandle> {
    const handle = f.client.workflow.getHandle(provisioningWorkflowId(computer.uuid));
    await waitFor(async () => (await handle.describe().then(() => true, () => false)), `the run of ${computer.netbiosName}`);
    return handle;
  }

  async function startAttributes(handle: WorkflowHandle, runId?: string) {
    const history = await f.client.workflow.getHandle(handle.workflowId, runId).fetchHistory();
    const started = history.events!.find((e) => e.workflowExecutionStartedEventAttributes)!.workflowExecutionStartedEventAttributes!;
    return Object.keys(started.searchAttributes?.indexedFields ?? {}).sort();
  }

  const START_ATTRIBUTES = ['AmtHostname', 'AmtStatus', 'AmtUuid', 'ProvisioningMode', 'ProvisioningStage'];

  test('a Hello starts the run with search attributes and a static summary; the next Hello and an agent request reach the same run', async () => {
    const pc = await importComputer();
    await sendHello(pc.uuid, '127.0.50.11', listener.port, 4);
    const handle = await runOf(pc);
    const description = await handle.describe();
    assert.deepEqual(await startAttributes(handle), START_ATTRIBUTES, 'set at start, before the first workflow task');
    assert.equal(description.typedSearchAttributes.get(searchAttributes.uuid), pc.uuid);
    assert.equal(description.typedSearchAttributes.get(searchAttributes.hostname), pc.fqdn);
    assert.equal(description.typedSearchAttributes.get(searchAttributes.mode), 'out-of-band');
    assert.equal(await description.staticSummary(), `${pc.fqdn}: out-of-band provisioning (Hello)`);
    const details = (await description.staticDetails())!;
    assert.match(details, new RegExp(`\\*\\*UUID\\*\\* ${pc.uuid}`));
    assert.match(details, /\*\*Trigger\*\* Hello from 127\.0\.50\.11 \(retry count 4\)/);
    // Through the codec like every payload: the raw metadata does not show the host name.
    const raw = description.raw.executionConfig?.userMetadata?.summary;
    assert.ok(raw?.data && !Buffer.from(raw.data).toString('latin1').includes(pc.fqdn), 'summary is encrypted by the codec');

    await sendHello(pc.uuid, '127.0.50.12', listener.port, 5);
    await inBandRunStarter(f.client, f.taskQueue)({ uuid: pc.uuid, hostname: pc.fqdn, address: '127.0.50.13', trustedRootHashes: [ROOT] });
    await waitFor(async () => (await handle.query(statusQuery)).agentRequests === 1, 'the agent request to be absorbed');
    const live = await handle.query(statusQuery);
    assert.equal(live.hellosAbsorbed, 2);
    assert.equal(live.address, '127.0.50.13', 'the run moved to the newest address');
    assert.equal((await handle.describe()).runId, description.runId, 'no second run');
  });

  test('an agent request starts an in-band run with the same search attributes and its own summary', async () => {
    const pc = await importComputer();
    const workflowId = await inBandRunStarter(f.client, f.taskQueue)({ uuid: pc.uuid, hostname: pc.fqdn, address: '127.0.50.21', trustedRootHashes: [ROOT] });
    assert.equal(workflowId, provisioningWorkflowId(pc.uuid));
    const handle = await runOf(pc);
    const description = await handle.describe();
    assert.deepEqual(await startAttributes(handle), START_ATTRIBUTES);
    assert.equal(description.typedSearchAttributes.get(searchAttributes.mode), 'in-band');
    assert.equal(description.typedSearchAttributes.get(searchAttributes.hostname), pc.fqdn);
    assert.equal(await description.staticSummary(), `${pc.fqdn}: in-band provisioning (agent request)`);
    assert.match((await description.staticDetails())!, /\*\*Trigger\*\* agent request from 127\.0\.50\.21/);
  });

  test('amtprov status, retry and cancel steer the run as an operator would; after the cancel a retry starts a new run', async () => {
    const pc = await importComputer();
    await sendHello(pc.uuid, '127.0.50.31', listener.port, 0);
    const handle = await runOf(pc);
    const first = (await handle.describe()).runId;
    await waitFor(async () => (await handle.query(statusQuery)).stage === 'tls', 'the run to reach tls');

    const status = await f.cli(['status', pc.netbiosName]);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, new RegExp(`run +${handle.workflowId} RUNNING since .*\\(${pc.fqdn.replace(/\./g, '\\.')}: out-of-band provisioning \\(Hello\\)\\)`));
    assert.match(status.stdout, /stage +tls \(attempt 1\)/);

    const signalled = await f.cli(['retry', pc.netbiosName, '--task-queue', f.taskQueue]);
    assert.equal(signalled.code, 0, signalled.stderr);
    assert.match(signalled.stdout, /asked the running run to retry its current stage now/);
    const history = await handle.fetchHistory();
    assert.ok(history.events!.some((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'retry'));

    const cancelled = await f.cli(['cancel', pc.uuid]);
    assert.equal(cancelled.code, 0, cancelled.stderr);
    await waitFor(async () => (await handle.describe()).status.name === 'CANCELLED', 'the run to be cancelled');
    assert.equal((await f.store.computers.get(pc.id)).amtStatus, 'Failed');
    assert.match((await f.store.computers.get(pc.id)).statusReason ?? '', /cancelled by an operator/);

    const nothingOpen = await f.cli(['cancel', pc.netbiosName]);
    assert.equal(nothingOpen.code, 1);
    assert.match(nothingOpen.stderr, new RegExp(`${handle.workflowId} has no open run to cancel \\(its last run is CANCELLED\\)`));

    const restarted = await f.cli(['retry', pc.netbiosName, '--task-queue', f.taskQueue]);
    assert.equal(restarted.code, 0, restarted.stderr);
    assert.match(restarted.stdout, /started a new run .* at 127\.0\.50\.31/);
    const second = await handle.describe();
    assert.notEqual(second.runId, first, 'a new run under the same workflow id');
    assert.equal(second.status.name, 'RUNNING');
    assert.deepEqual(await startAttributes(handle, second.runId), START_ATTRIBUTES);
    assert.equal(second.typedSearchAttributes.get(searchAttributes.mode), 'out-of-band');
    assert.equal(await second.staticSummary(), `${pc.fqdn}: out-of-band provisioning (operator retry)`);
    assert.ok((await f.store.audit.forComputer(pc.uuid)).some((a) => a.action === 'provisioning.retry' && a.actor === 'operator:test-operator'));

    // The run finishes: the next Hello starts another run, as after a failure.
    f.release(pc.id);
    await waitFor(async () => (await handle.describe()).status.name === 'COMPLETED', 'the retried run to finish');
    assert.equal((await f.store.computers.get(pc.id)).amtStatus, 'Provisioned');
    const runs = new RunControl(f.client, f.taskQueue);
    const next = await runs.fromHello({ uuid: pc.uuid, hostname: pc.fqdn, address: '127.0.50.32', trustedRootHashes: [ROOT] }, 0);
    assert.notEqual(next.runId, second.runId);
    assert.equal((await runs.status(pc.uuid))?.status, 'RUNNING');
  });

  test('retry of a device never reached says so and starts nothing', async () => {
    const pc = await importComputer();
    const result = await f.cli(['retry', pc.netbiosName, '--task-queue', f.taskQueue]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, new RegExp(`${pc.fqdn.replace(/\./g, '\\.')} has never been reached`));
    assert.equal(await new RunControl(f.client).status(pc.uuid), undefined);
  });
});
