// The production topology on one machine (issue 10): the cluster profile's real Temporal
// server (PostgreSQL, 8 history shards), one PostgreSQL site store, two hello listeners and two
// workers as separate processes started from their commands (bin/amtprov, as docs/deploy.md
// runs them), each on its own loopback address, and 50 emulated devices that know one Hello
// address: a TCP balancer in front of the two listeners, as a site with two service points
// runs them. Half the fleet is powered on at first; mid-way one worker is SIGKILLed and one
// listener stopped (SIGTERM), then the other half powers on and can reach only the listener
// left: every device still ends Provisioned, with one run, one AD object, and the vault's
// admin password the one the device has.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { withAdminClient, useTestDirectory } from '../../support/ad';
import { startTestCluster, type TestCluster } from '../../support/cluster';
import { startProvisioningStack } from '../../support/provisioningStack';
import { startRole, waitReady } from '../../support/roleProcess';
import { startTcpBalancer } from '../../support/tcpBalancer';
import { waitUntil } from '../../support/waitUntil';
import { HELLO_PORT } from '../../../src/contract/ports';
import { METRICS_PORTS } from '../../../src/config/environment';

const TEMPORAL_HOST = '127.0.170.1';
const LISTENER_HOSTS = ['127.0.171.1', '127.0.172.1'] as const;
const BALANCER_HOST = '127.0.173.1';
const WORKER_HOSTS = ['127.0.174.1', '127.0.174.2'] as const;
const DEVICES_BASE = '127.0.175.1';
const DEVICES = 50;

describe('multi-host on the cluster profile', () => {
  const directory = useTestDirectory();
  let cluster: TestCluster | undefined;
  after(async () => { await cluster?.stop(); });

  test('two listeners and two workers, one PostgreSQL store, 50 devices; a worker SIGKILLed and a listener stopped mid-way: every device provisioned once, correctly', async (t) => {
    cluster = await startTestCluster({ host: TEMPORAL_HOST, historyShards: 8 });
    const siteDb = await cluster.postgres.createDatabase('amtprov_site');
    // Devices know one Hello address; the balancer spreads them over the listeners and skips one that is gone.
    const balancer = await startTcpBalancer({ host: BALANCER_HOST, port: HELLO_PORT, backends: LISTENER_HOSTS.map((host) => ({ host, port: HELLO_PORT })) });
    t.after(() => balancer.close());
    const s = await startProvisioningStack({
      temporal: { address: cluster.address, namespace: cluster.namespace }, directory, t, baseIp: DEVICES_BASE, devices: DEVICES,
      siteDb, worker: 'none', provisionServer: { host: balancer.host, port: balancer.port }, deadline: '15m',
    });
    t.after(() => s.stop());
    // The second half of the fleet comes online after the listener stop, so it must find the other listener.
    const later = s.uuids.slice(DEVICES / 2);
    await Promise.all(later.map((uuid) => s.control('POST', `/devices/${uuid}/power`, { state: 'off' })));

    const workers = WORKER_HOSTS.map((host) => startRole(t, ['worker', '--task-queue', s.taskQueue, '--metrics', `${host}:${METRICS_PORTS.worker}`], s.roleEnv));
    const listeners = LISTENER_HOSTS.map((host) => startRole(t,
      ['listener', '--listen', `${host}:${HELLO_PORT}`, '--task-queue', s.taskQueue, '--metrics', `${host}:${METRICS_PORTS.listener}`], s.roleEnv));
    await Promise.all([
      ...WORKER_HOSTS.map((host, i) => waitReady(`http://${host}:${METRICS_PORTS.worker}`, workers[i], 180_000)),
      ...LISTENER_HOSTS.map((host, i) => waitReady(`http://${host}:${METRICS_PORTS.listener}`, listeners[i], 180_000)),
    ]);

    const completed = (): Promise<number> => s.client.workflow.count(`WorkflowType = 'provisionDevice' AND ExecutionStatus = 'Completed'`).then((c) => c.count);
    // Mid-way: worker 1 dies without a word while runs are on it.
    await waitUntil(async () => (await completed()) >= 10, '10 devices provisioned', 300_000);
    const doneAtKill = await completed();
    workers[0].signal('SIGKILL');
    assert.ok(doneAtKill < DEVICES, 'the worker was killed with runs still open');
    // Then listener 1 is stopped the way an operator stops it; its share of the devices moves to listener 2.
    await waitUntil(async () => (await completed()) >= 15, '15 devices provisioned', 300_000);
    const forwardedBefore = balancer.forwarded.get(`${LISTENER_HOSTS[1]}:${HELLO_PORT}`) ?? 0;
    listeners[0].signal('SIGTERM');
    assert.equal(await listeners[0].exited, 0, listeners[0].output.join('\n'));
    await Promise.all(later.map((uuid) => s.control('POST', `/devices/${uuid}/power`, { state: 'on' })));

    await waitUntil(async () => (await completed()) === DEVICES, `all ${DEVICES} devices provisioned`, 600_000);
    assert.ok((balancer.forwarded.get(`${LISTENER_HOSTS[0]}:${HELLO_PORT}`) ?? 0) > 0, 'listener 1 took Hellos before it stopped');
    assert.ok((balancer.forwarded.get(`${LISTENER_HOSTS[1]}:${HELLO_PORT}`) ?? 0) > forwardedBefore, 'listener 2 took Hellos after');

    // Every device: Provisioned, exactly one run, one AD object, the vault's admin password on the device.
    const runs = new Map<string, number>();
    for await (const run of s.client.workflow.list({ query: "WorkflowType = 'provisionDevice'" })) runs.set(run.workflowId, (runs.get(run.workflowId) ?? 0) + 1);
    const problems: string[] = [];
    for (const [i, uuid] of s.uuids.entries()) {
      if (runs.get(s.workflowId(i)) !== 1) problems.push(`${uuid}: ${runs.get(s.workflowId(i)) ?? 0} runs`);
      const result = await s.waitForResult(i, 10_000);
      if (result.outcome !== 'Provisioned') problems.push(`${uuid}: ${JSON.stringify(result)}`);
      const computer = await s.store.computers.findByUuid(uuid);
      const password = computer?.secretRefs.adminPassword ? await s.store.vault.getSecret(computer.secretRefs.adminPassword) : undefined;
      if (!computer || !password) {
        problems.push(`${uuid}: no admin password in the vault`);
        continue;
      }
      const check = await s.control<{ matches: boolean }>('POST', `/devices/${uuid}/check-admin`, { username: 'admin', password });
      if (!check.matches) problems.push(`${uuid}: the device's admin password is not the vault's`);
      const accounts = await withAdminClient(s.facts, async (ldap) => (await ldap.search(s.facts.baseDn, {
        filter: `(sAMAccountName=${computer.netbiosName}$)`, attributes: ['dn'],
      })).searchEntries);
      if (accounts.length !== 1) problems.push(`${uuid}: ${accounts.length} AD objects`);
    }
    assert.deepEqual(problems, []);
    // The surviving roles are still ready, and stop cleanly.
    for (const role of [workers[1], listeners[1]]) role.signal('SIGTERM');
    assert.deepEqual(await Promise.all([workers[1].exited, listeners[1].exited]), [0, 0]);
  });
});
