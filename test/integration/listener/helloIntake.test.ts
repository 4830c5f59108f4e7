// The listener's intake under a burst, over real TCP with a real site store and a real Temporal
// dev server: repeats of a device coalesce into one call, what the bounded queue cannot hold is
// shed and counted, a shed device's next Hello starts its run, and calls Temporal does not take
// are counted by reason. The only stand-in is a gate the test holds shut in front of the real
// signalWithStart, so a call stays under way while the burst arrives. Addresses: 127.200.*.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startHelloListener, type ProvisionRequest } from '../../../src/listener/helloListener';
import { siteHelloLookups } from '../../../src/listener/siteLookups';
import { helloToWorkflow } from '../../../src/listener/startProvisioning';
import { createLogger } from '../../../src/log';
import { productRegistry } from '../../../src/metrics/productMetrics';
import { createDemoPki } from '../../../src/pki/demoPki';
import { registerDemoPki } from '../../../src/pki/register';
import { parseKeyRing } from '../../../src/secrets/keyFile';
import { openSiteStore, type SiteStore } from '../../../src/site/store';
import { provisioningWorkflowId } from '../../../src/workflows/definitions';
import { helloBytes, sendHelloBytes } from '../../support/helloBytes';
import { waitUntil } from '../../support/waitUntil';
import { hasProvisioningRun, startTestTemporal, uniqueTaskQueue } from '../../support/temporal';
import { codecClient } from '../../support/worker';

const LISTENER_IP = '127.200.0.1';

const send = (data: Buffer, from: string, port: number): Promise<void> => sendHelloBytes(data, { host: LISTENER_IP, port }, from);

async function metric(name: string, labels: Record<string, string>): Promise<number> {
  const values = (await productRegistry.getSingleMetric(name)!.get()).values;
  return values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value ?? 0;
}

describe('hello listener intake', () => {
  let env: TestWorkflowEnvironment;
  let client: Client;
  let store: SiteStore;
  let dir: string;
  let trusted: string;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'amtprov-intake-'));
    store = await openSiteStore({ location: path.join(dir, 'site.sqlite'), keyRing: parseKeyRing(`t:${randomBytes(32).toString('base64')}`, 'test') });
    trusted = (await registerDemoPki(store, createDemoPki(), 'test')).provisioning.rootHashes.sha256;
    env = await startTestTemporal();
    client = codecClient(env);
  });
  after(async () => {
    await env?.teardown();
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function importComputer(): Promise<string> {
    const uuid = randomUUID();
    const name = `IN${randomBytes(3).toString('hex').toUpperCase()}`;
    await store.computers.add({ uuid, netbiosName: name, fqdn: `${name.toLowerCase()}.amt.test` });
    return uuid;
  }
  const hello = (uuid: string, retryCount: number): Buffer => helloBytes({ uuid, retryCount, hashes: [{ algorithm: 2, hex: trusted }] });

  /** Every run of the device's workflow id (visibility), waiting until `expected` are listed. */
  async function runsOf(uuid: string, expected: number): Promise<string[]> {
    let runs: string[] = [];
    await waitUntil(async () => {
      runs = [];
      for await (const wf of client.workflow.list({ query: `WorkflowId = "${provisioningWorkflowId(uuid)}"` })) runs.push(wf.runId);
      return runs.length >= expected;
    }, `${expected} run(s) of ${uuid} in visibility`);
    return runs;
  }

  const hasRun = (uuid: string): Promise<boolean> => hasProvisioningRun(client, uuid);

  test('a burst coalesces repeats, sheds past the queue with a counted reason, and the shed device\'s next Hello starts its run', async (t) => {
    const real = helloToWorkflow(client, uniqueTaskQueue('intake'));
    let open: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => { open = resolve; });
    const sent: ProvisionRequest[] = [];
    const lines: string[] = [];
    const listener = await startHelloListener({
      host: LISTENER_IP, port: 0, lookups: siteHelloLookups(store), log: createLogger('listener', { level: 'debug', sink: (l) => lines.push(l) }),
      provision: async (request) => { await gate; sent.push(request); await real(request); },
      intake: { concurrency: 1, capacity: 2 },
    });
    t.after(() => listener.close());
    const [a, b, c, d] = [await importComputer(), await importComputer(), await importComputer(), await importComputer()];
    const shedBefore = await metric('amtprov_hellos_dropped_total', { reason: 'queue-full' });
    const coalescedBefore = await metric('amtprov_hellos_dropped_total', { reason: 'coalesced' });
    // a is under way (held at the gate), b and c wait, d finds the queue full.
    const burst: [string, number, string][] = [[a, 0, '127.200.1.1'], [a, 1, '127.200.1.1'], [b, 0, '127.200.1.2'], [c, 0, '127.200.1.3'],
      [b, 7, '127.200.1.12'], [d, 0, '127.200.1.4']];
    // Each Hello ends queued (waiting or sending grows) or dropped (coalesced, shed) before the next is sent.
    const takenIn = (): number => {
      const s = listener.stats();
      return Object.values(s.dropped).reduce((n, v) => n + v, 0) + s.intake.waiting + s.intake.sending;
    };
    for (const [uuid, retry, from] of burst) {
      const before = takenIn();
      await send(hello(uuid, retry), from, listener.port);
      await waitUntil(() => takenIn() > before, `the Hello of ${uuid} (retry ${retry}) to be taken in`);
    }
    assert.deepEqual(listener.stats().dropped, { coalesced: 2, 'queue-full': 1 });
    assert.deepEqual(listener.stats().intake, { waiting: 2, sending: 1, peakWaiting: 2, peakSending: 1 });
    assert.equal(await metric('amtprov_hellos_dropped_total', { reason: 'queue-full' }) - shedBefore, 1);
    assert.equal(await metric('amtprov_hellos_dropped_total', { reason: 'coalesced' }) - coalescedBefore, 2);
    assert.ok(lines.some((l) => l.includes('hello dropped') && l.includes('reason=queue-full') && l.includes(d)));
    open();
    await waitUntil(() => listener.stats().forwarded === 3, 'the three calls');
    assert.deepEqual(sent.map((r) => [r.uuid, r.retryCount, r.peerAddress]), [[a, 0, '127.200.1.1'], [b, 7, '127.200.1.12'], [c, 0, '127.200.1.3']],
      'one call per device; b\'s waiting entry took its newer Hello');
    for (const uuid of [a, b, c]) assert.equal((await runsOf(uuid, 1)).length, 1);
    const details = await client.workflow.getHandle(provisioningWorkflowId(b)).describe().then((desc) => desc.staticDetails());
    assert.match(details ?? '', /Hello from 127\.200\.1\.12 \(retry count 7\)/);
    assert.equal(await hasRun(d), false, 'the shed device has no run yet');
    // d's next scheduled Hello: the queue has room again.
    await send(hello(d, 1), '127.200.1.4', listener.port);
    await waitUntil(() => listener.stats().forwarded === 4, 'd\'s next Hello to be handed on');
    assert.equal((await runsOf(d, 1)).length, 1);
    assert.equal(listener.stats().dropped['queue-full'], 1, 'nothing else was shed');
  });

  test('calls Temporal does not take are counted by reason and logged at a bounded rate, saying the next Hello retries', async (t) => {
    // A Temporal that is not there: every call is refused (Unavailable) or runs out its deadline.
    const connection = Connection.lazy({ address: '127.200.0.9:1' });
    const absent = new Client({ connection, namespace: 'default' });
    t.after(() => connection.close());
    const lines: string[] = [];
    const listener = await startHelloListener({
      host: LISTENER_IP, port: 0, lookups: siteHelloLookups(store), log: createLogger('listener', { level: 'debug', sink: (l) => lines.push(l) }),
      provision: helloToWorkflow(absent, uniqueTaskQueue('intake-absent'), 1_500), dropLogRate: { burst: 1, windowMs: 60_000 },
    });
    const uuids = [await importComputer(), await importComputer(), await importComputer()];
    for (const [i, uuid] of uuids.entries()) await send(hello(uuid, 0), `127.200.2.${i + 1}`, listener.port);
    await waitUntil(() => Object.values(listener.stats().forwardFailed).reduce((n, v) => n + v, 0) === 3, 'three refused calls');
    await listener.close();
    const failed = listener.stats().forwardFailed;
    assert.ok(Object.keys(failed).every((reason) => reason === 'unavailable' || reason === 'deadline-exceeded'), JSON.stringify(failed));
    assert.equal(listener.stats().forwarded, 0);
    const refusals = lines.filter((l) => l.includes('could not start or signal the provisioning run; the device\'s next Hello retries'));
    assert.ok(refusals.length >= 1 && refusals.length <= Object.keys(failed).length, `one line per reason and window, got ${refusals.length}`);
    assert.ok(lines.some((l) => l.includes('log lines suppressed')), 'the rest were counted as suppressed');
  });
});
