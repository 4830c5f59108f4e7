// In-band provisioning end to end (docs/amt-protocol.md section 7): the agent talks to the emulated
// device's host interface and to the site server API over mutual TLS; the site starts the
// device's run in in-band mode; the worker verifies the OTP and provisions the device over
// TLS, Digest, LDAPS, phase 1 in the firmware's dialect (EOI SOAP early, WS-Man modern) and
// WS-Man. Everything real: Temporal, Samba, emulator, sockets. The imported-computer tests (OTP
// read, both phases, device and directory state) run once per firmware family; discovery,
// Hello dropping and agent retries do not depend on the firmware and run on modern only.
import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { AGENT_EXIT } from '../../../src/agent/refusals';
import { DEFAULT_FIRMWARE_VERSION, type FirmwareFamily } from '../../../src/contract/firmwareFamilies';
import type { SiteApi } from '../../../src/site/api/siteApiServer';
import { freePort } from '../../../src/net/ports';
import { searchAttributes, statusQuery } from '../../../src/workflows/definitions';
import { useTestDirectory, withAdminClient } from '../../support/ad';
import { startProvisioningStack, type ProvisioningStack, type StackOptions } from '../../support/provisioningStack';
import { findSecrets, historySecretsScan } from '../../support/secretScan';
import { startTestTemporal } from '../../support/temporal';
import { enrollTestAgent, runAgent, startTestSiteApi, type AgentFiles, type AgentTarget } from '../agent/support/agentHarness';

interface DeviceView {
  summary: { phase: string };
  firmware: {
    provisioningState: string;
    phase: string;
    stagedSettings: string[];
    hostName: string;
    domainName: string;
    admin: { username: string; setByServer: boolean };
    userAcl: unknown[];
    features: { ping: boolean; webUi: boolean; sol: boolean; ider: boolean };
    keyStore: { certificates: unknown[] };
    tls: { enabled: boolean };
    otp: { sha256: string; value?: string } | null;
  };
}

/** Each family's imported devices on their own /24. */
const IMPORTED_NET: Record<FirmwareFamily, string> = { modern: '127.0.63', early: '127.0.65' };
const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');
const uniqueHost = (): string => `ib${randomBytes(4).toString('hex')}`;

async function adAccount(s: ProvisioningStack, netbiosName: string): Promise<{ spns: string[]; dnsHostName: string }[]> {
  return withAdminClient(s.facts, async (ldap) => (await ldap.search(s.ou, {
    scope: 'one', filter: `(sAMAccountName=${netbiosName}$)`, attributes: ['servicePrincipalName', 'dNSHostName'],
  })).searchEntries.map((e) => ({ spns: ([] as string[]).concat(e.servicePrincipalName as string[] | string).sort(), dnsHostName: String(e.dNSHostName) })));
}

describe('in-band provisioning end to end', () => {
  let env: TestWorkflowEnvironment;
  const cleanups: (() => Promise<void> | void)[] = [];
  before(async () => { env = await startTestTemporal(); });
  // Registered before useTestDirectory's hooks, so it runs while the directory is still up.
  after(async () => {
    const failures: unknown[] = [];
    for (const cleanup of cleanups.reverse()) await Promise.resolve().then(cleanup).catch((err: unknown) => failures.push(err));
    await env?.teardown();
    if (failures.length > 0) throw new AggregateError(failures, `${failures.length} cleanup(s) failed`);
  });
  const directory = useTestDirectory();
  // A stack here serves a whole describe block, so what it would clean up after one test
  // (its directory OU) is cleaned up after the file instead.
  const fileScope = { after: (fn: () => Promise<void>) => { cleanups.push(fn); } } as unknown as TestContext;

  /** A provisioning stack plus the site API and an enrolled agent. */
  async function inBandStack(options: { baseIp: string; apiHost: string } & Omit<StackOptions, 'temporal' | 'directory' | 't' | 'baseIp'>) {
    const s = await startProvisioningStack({ temporal: { address: env.address, namespace: env.namespace ?? 'default' }, directory, t: fileScope, ...options });
    cleanups.push(() => s.stop());
    const api = await startTestSiteApi({ store: s.store, client: s.client, taskQueue: s.taskQueue, host: options.apiHost, logs: s.logs });
    cleanups.push(() => api.close());
    // An agent speaks for one computer: the operator enrols one per device, for the host name
    // it registers and the device's UUID (which lets it rename the imported computer).
    const agents = new Map<string, AgentFiles>();
    const agentFor = async (index: number, hostName: string): Promise<AgentFiles> => {
      const key = `${index}:${hostName}`;
      if (!agents.has(key)) {
        const files = await enrollTestAgent(s.store, `agent-${hostName}`, { fqdn: `${hostName}.amt.test`, uuid: s.uuids[index] });
        cleanups.push(() => files.cleanup());
        agents.set(key, files);
      }
      return agents.get(key)!;
    };
    const target = async (index: number, hostName: string, site: SiteApi | string = api): Promise<AgentTarget> => ({
      socket: s.fleet.devices[index].summary().hostInterfacePath!, site: typeof site === 'string' ? site : site.url, files: await agentFor(index, hostName),
      localAddress: s.fleet.devices[index].config.ip, hostName,
    });
    return { s, api, target };
  }

  for (const family of ['modern', 'early'] as const) describe(`imported computers whose Hellos do not reach the site, ${family} firmware`, () => {
    let a: Awaited<ReturnType<typeof inBandStack>>;
    before(async () => {
      const net = IMPORTED_NET[family];
      a = await inBandStack({ baseIp: `${net}.1`, apiHost: `${net}.240`, devices: 2, hellos: false, firmwareVersion: DEFAULT_FIRMWARE_VERSION[family] });
    });

    test('agent -> site API -> in-band run -> Provisioned, with host name and domain from the registration', async () => {
      const { s } = a;
      const uuid = s.uuids[0];
      const imported = (await s.store.computers.findByUuid(uuid))!;
      const hostName = uniqueHost();
      const run = await runAgent(await a.target(0, hostName));
      assert.equal(run.code, AGENT_EXIT.ok, run.stderr.join('\n'));
      assert.match(run.stdout.join('\n'), new RegExp(`in-band provisioning requested for ${hostName}\\.amt\\.test \\(${uuid}\\): run amt-provision-${uuid}$`));

      const result = await s.waitForResult(0);
      const fqdn = `${hostName}.amt.test`;
      assert.equal(result.outcome, 'Provisioned');
      assert.equal(result.hostname, fqdn);
      const computer = await s.store.computers.get(imported.id);
      assert.deepEqual([computer.netbiosName, computer.fqdn, computer.amtStatus, computer.inBandManaged, computer.provisioningMode],
        [hostName.toUpperCase(), fqdn, 'Provisioned', true, 'in-band']);
      assert.equal(await s.store.inBand.get(computer.id), undefined, 'the OTP registration is spent');

      const view = await s.control<DeviceView>('GET', `/devices/${uuid}`);
      assert.equal(view.firmware.provisioningState, 'post');
      assert.equal(view.firmware.hostName, hostName);
      assert.equal(view.firmware.domainName, 'amt.test');
      assert.equal(view.firmware.tls.enabled, true);
      assert.deepEqual(view.firmware.features, { ping: true, rmcpPing: true, webUi: true, sol: true, ider: true });
      const adminPassword = await s.store.vault.getSecret(computer.secretRefs.adminPassword!);
      assert.deepEqual(await s.control('POST', `/devices/${uuid}/check-admin`, { username: 'admin', password: adminPassword }), { matches: true });
      assert.deepEqual(await s.control('POST', `/devices/${uuid}/check-admin`, { username: 'admin', password: s.devicePassword }), { matches: false });

      const accounts = await adAccount(s, computer.netbiosName);
      assert.equal(accounts.length, 1);
      assert.equal(accounts[0].dnsHostName, fqdn);
      const name = computer.netbiosName;
      assert.deepEqual(accounts[0].spns, [`HTTP/${fqdn}:16992`, `HTTP/${fqdn}:16993`, `HTTP/${name}:16992`, `HTTP/${name}:16993`].sort());

      const handle = s.client.workflow.getHandle(s.workflowId(0));
      const status = await handle.query(statusQuery);
      assert.deepEqual([status.mode, status.agentRequests, status.hellosAbsorbed, status.address], ['in-band', 1, 0, s.fleet.devices[0].config.ip]);
      assert.equal((await handle.describe()).typedSearchAttributes.get(searchAttributes.mode), 'in-band');
      const audit = (await s.store.audit.forComputer(uuid)).map((r) => `${r.action}:${r.outcome}`);
      for (const step of ['computer.rename:info', 'provisioning.in-band-request:info', 'provisioning.identity:success', 'provisioning.finished:success']) {
        assert.ok(audit.includes(step), `audit has ${step}: ${audit.join(', ')}`);
      }
      assert.equal(computer.firmwareFamily, family);
      const phase1 = (await s.store.audit.forComputer(uuid)).find((r) => r.action === 'provisioning.phase1');
      assert.equal(phase1?.detail?.dialect, family === 'modern' ? 'ws-man' : 'eoi-soap');

      // Run again on the provisioned computer: refused by the agent itself, nothing sent.
      const again = await runAgent(await a.target(0, hostName));
      assert.equal(again.code, AGENT_EXIT.alreadyProvisioned);
      assert.deepEqual(again.stderr.filter((l) => l.startsWith('amtprov agent:')), [
        `amtprov agent: Intel AMT on this computer (${uuid}) is already provisioned; there is nothing to do.`,
      ]);
    });

    test('OTP mismatch: the run ends "identity not verified" and the device is unchanged', async () => {
      const { s } = a;
      const uuid = s.uuids[1];
      const computerId = (await s.store.computers.findByUuid(uuid))!.id;
      // Without a worker the run waits, so the device can present another OTP before the check.
      await s.stopWorker();
      const run = await runAgent(await a.target(1, uniqueHost()));
      assert.equal(run.code, AGENT_EXIT.ok, run.stderr.join('\n'));
      await s.control('POST', `/devices/${uuid}/otp`, { otp: `Other-${randomBytes(8).toString('hex')}` });
      await s.startWorker();

      const failure = await s.waitForResult(1).then(() => assert.fail('expected the run to fail'), (err: unknown) => err);
      assert.ok(failure instanceof WorkflowFailedError && failure.cause instanceof ApplicationFailure);
      assert.equal(failure.cause.type, 'IdentityNotVerified');
      assert.equal(failure.cause.nonRetryable, true);
      assert.match(failure.cause.message, /^identity: identity not verified: the OTP the device presents does not match/);
      const status = await s.client.workflow.getHandle(s.workflowId(1)).query(statusQuery);
      assert.equal(status.attempt, 1, 'not retried');

      const view = await s.control<DeviceView>('GET', `/devices/${uuid}`);
      assert.equal(view.firmware.provisioningState, 'pre', 'nothing committed');
      assert.deepEqual(view.firmware.stagedSettings, [], 'nothing staged');
      assert.deepEqual([view.firmware.hostName, view.firmware.domainName, view.firmware.userAcl.length, view.firmware.keyStore.certificates.length, view.firmware.tls.enabled],
        ['', '', 0, 0, false]);
      assert.equal(view.firmware.admin.setByServer, false);
      assert.deepEqual(await s.control('POST', `/devices/${uuid}/check-admin`, { username: 'admin', password: s.devicePassword }), { matches: true });
      const computer = await s.store.computers.get(computerId);
      assert.equal(computer.amtStatus, 'Failed');
      assert.match(computer.statusReason ?? '', /IdentityNotVerified/);
      assert.equal(await s.store.inBand.get(computerId), undefined, 'a failed run spends the OTP too');
      assert.equal((await adAccount(s, computer.netbiosName)).length, 0, 'no directory account for an unverified device');
    });
  });

  describe('never-imported computers that send Hellos', () => {
    let b: Awaited<ReturnType<typeof inBandStack>>;
    before(async () => {
      b = await inBandStack({ baseIp: '127.0.64.1', apiHost: '127.0.64.240', devices: 2, importDevices: false });
    });

    test('discovered through its agent and provisioned; its Hellos are dropped and it has one run; the OTP and its hash appear nowhere', async () => {
      const { s } = b;
      const uuid = s.uuids[0];
      const waitFor = async (check: () => boolean, what: string): Promise<void> => {
        for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 50));
        assert.ok(check(), `timed out waiting for ${what}`);
      };
      await waitFor(() => (s.listener.stats().dropped['unknown-uuid'] ?? 0) >= 1, 'Hellos of the unknown device to be dropped');
      assert.equal(await s.store.computers.findByUuid(uuid), undefined);

      const hostName = uniqueHost();
      const run = await runAgent(await b.target(0, hostName));
      assert.equal(run.code, AGENT_EXIT.ok, run.stderr.join('\n'));
      assert.match(run.stdout.join('\n'), /computer registered by this request/);
      const otp = (await s.control<DeviceView>('GET', `/devices/${uuid}?secrets=reveal`)).firmware.otp?.value;
      assert.ok(otp, 'the agent set an OTP in the firmware');

      const result = await s.waitForResult(0);
      assert.equal(result.outcome, 'Provisioned');
      const computer = (await s.store.computers.findByUuid(uuid))!;
      assert.deepEqual([computer.netbiosName, computer.fqdn, computer.inBandManaged, computer.amtStatus], [hostName.toUpperCase(), `${hostName}.amt.test`, true, 'Provisioned']);
      assert.equal((await adAccount(s, computer.netbiosName)).length, 1);

      // startNetworkInterface began a new Hello period; the listener dropped those Hellos.
      assert.ok((s.listener.stats().dropped['in-band-managed'] ?? 0) >= 1, 'Hellos after the agent are dropped as in-band-managed');
      const status = await s.client.workflow.getHandle(s.workflowId(0)).query(statusQuery);
      assert.equal(status.hellosAbsorbed, 0);
      const runs = [];
      for await (const wf of s.client.workflow.list({ query: `WorkflowId = "${s.workflowId(0)}"` })) runs.push(wf.runId);
      assert.equal(runs.length, 1);

      const secrets = [otp, sha256(otp)];
      assert.deepEqual(await historySecretsScan(s.client, s.workflowId(0), s.codecKeys, secrets), []);
      assert.ok(s.logs.some((l) => l.includes('in-band request accepted')), 'the site API logs are captured');
      assert.deepEqual(findSecrets([...s.logs, ...run.stdout, ...run.stderr].join('\n'), secrets), []);
      assert.deepEqual(findSecrets(JSON.stringify(await s.store.audit.forComputer(uuid)), secrets), []);
    });

    test('the site server is down when the agent calls: the agent retries and succeeds once it is back', async () => {
      const { s } = b;
      const host = '127.0.64.241';
      const port = await freePort(host);
      const agentRun = runAgent(await b.target(1, uniqueHost(), `https://${host}:${port}`), []);
      // Nothing listens yet; bring the site server up once the agent has been refused at least once.
      let api: SiteApi | undefined;
      try {
        await new Promise((r) => setTimeout(r, 1_500));
        api = await startTestSiteApi({ store: s.store, client: s.client, taskQueue: s.taskQueue, host, port, logs: s.logs });
        const run = await agentRun;
        assert.equal(run.code, AGENT_EXIT.ok, run.stderr.join('\n'));
        const retries = run.stderr.filter((l) => l.includes('site server unreachable (provisioning roots); retrying'));
        assert.ok(retries.length >= 1, `expected retries in: ${run.stderr.join('\n')}`);
        assert.match(retries[0], /ECONNREFUSED/);
        const result = await s.waitForResult(1);
        assert.equal(result.outcome, 'Provisioned');
      } finally {
        await agentRun.catch(() => undefined);
        await api?.close();
      }
    });
  });
});
