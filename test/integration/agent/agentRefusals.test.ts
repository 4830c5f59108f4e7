// The agent's refusals against real parts: emulated devices (host interface sockets), the
// site API over mutual TLS, a Temporal dev server behind it. Each refusal is one sentence on
// stderr with its documented exit code, and each leaves the firmware without an OTP and the
// site without a record unless the refusal came after those steps.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { hashOneTimePassword } from '../../../src/agent/oneTimePassword';
import { AGENT_EXIT } from '../../../src/agent/refusals';
import { runAgentCommand } from '../../../src/cli/agent';
import { startFleet, trustedHashesOfRoot, type Fleet } from '../../../src/emulator/fleet';
import { createDemoPki } from '../../../src/pki/demoPki';
import type { SiteApi } from '../../../src/site/api/siteApiServer';
import { freePort } from '../../../src/net/ports';
import { findSecrets } from '../../support/secretScan';
import { startTestTemporal, uniqueTaskQueue } from '../../support/temporal';
import { codecClient } from '../../support/worker';
import { enrollTestAgent, openTestSite, runAgent, startTestSiteApi, type AgentFiles, type AgentTarget, type TestSite } from './support/agentHarness';

const API_HOST = '127.0.62.1';

describe('amtprov agent refusals', () => {
  let env: TestWorkflowEnvironment;
  let site: TestSite;
  let otherSite: TestSite;
  let api: SiteApi;
  let files: AgentFiles;
  let foreignFiles: AgentFiles;
  let stateDir: string;
  let trusting: Fleet;
  let distrusting: Fleet;
  const logs: string[] = [];

  before(async () => {
    env = await startTestTemporal();
    site = await openTestSite();
    otherSite = await openTestSite();
    files = await enrollTestAgent(site.store, 'pc-refusals');
    foreignFiles = await enrollTestAgent(otherSite.store, 'pc-refusals');
    api = await startTestSiteApi({ store: site.store, client: codecClient(env), taskQueue: uniqueTaskQueue('agent'), host: API_HOST, logs });
    stateDir = mkdtempSync(path.join(os.tmpdir(), 'amtprov-agent-fw-'));
    const common = { stateDir, domainSuffix: 'amt.test', adminPasswords: ['Mebx!Pass1'], provisionServer: null };
    trusting = await startFleet({ ...common, count: 3, baseIp: '127.0.62.10', uuidSeed: 'agent-trusting', trustedRootHashes: trustedHashesOfRoot(site.pki.root.certPem) });
    // Devices that trust some other vendor's root only.
    distrusting = await startFleet({ ...common, count: 1, baseIp: '127.0.62.30', uuidSeed: 'agent-distrusting', trustedRootHashes: trustedHashesOfRoot(createDemoPki().root.certPem) });
  });
  after(async () => {
    await trusting?.stop();
    await distrusting?.stop();
    await api?.close();
    files?.cleanup();
    foreignFiles?.cleanup();
    await site?.close();
    await otherSite?.close();
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
    await env?.teardown();
  });

  /** An agent speaks for one computer: one enrolled per host name the tests register. */
  const agents = new Map<string, AgentFiles>();
  after(() => agents.forEach((a) => a.cleanup()));
  async function agentFor(hostName: string): Promise<AgentFiles> {
    if (!agents.has(hostName)) agents.set(hostName, await enrollTestAgent(site.store, `agent-${hostName}`, { fqdn: `${hostName}.amt.test` }));
    return agents.get(hostName)!;
  }

  async function target(fleet: Fleet, index: number, overrides: Partial<AgentTarget> = {}): Promise<AgentTarget> {
    const device = fleet.devices[index];
    const hostName = overrides.hostName ?? `refuse${index}`;
    return {
      socket: path.join(stateDir, `${device.firmware.uuid}.sock`), site: api.url, files: await agentFor(hostName), localAddress: device.config.ip, hostName, ...overrides,
    };
  }

  /** The one sentence the agent printed for its refusal. */
  function refusal(stderr: string[]): string {
    const lines = stderr.filter((l) => l.startsWith('amtprov agent: '));
    assert.equal(lines.length, 1, stderr.join('\n'));
    return lines[0].slice('amtprov agent: '.length);
  }

  async function assertUntouched(fleet: Fleet, index: number): Promise<void> {
    const device = fleet.devices[index];
    assert.equal(device.firmware.state.otp, null, 'no OTP was set in the firmware');
    assert.equal(await site.store.computers.findByUuid(device.firmware.uuid), undefined, 'the site recorded nothing');
  }

  test('bad arguments: exit 2 with the problem named', async () => {
    const io = { out: () => undefined, err: (line: string) => stderr.push(line) };
    const stderr: string[] = [];
    assert.equal(await runAgentCommand(['--device-socket', '/nonexistent.sock', '--site', 'http://127.0.62.1:1'], io), AGENT_EXIT.badArguments);
    assert.equal(await runAgentCommand(['--device-socket', '/nonexistent.sock'], io), AGENT_EXIT.badArguments);
    assert.equal(await runAgentCommand(['--bogus'], io), AGENT_EXIT.badArguments);
    const run = await runAgent({ ...(await target(trusting, 0)), files: { ...files, cert: path.join(stateDir, 'missing.pem') } });
    assert.equal(run.code, AGENT_EXIT.badArguments);
    assert.equal(stderr.length, 3);
    assert.equal(stderr[0], 'amtprov agent: --site must be https://host:port, got "http://127.0.62.1:1"; see "amtprov agent --help".');
    assert.equal(stderr[1], 'amtprov agent: --site is required; see "amtprov agent --help".');
    assert.match(stderr[2], /^amtprov agent: Unknown option '--bogus'/);
    assert.match(refusal(run.stderr), /^cannot read --cert .*missing\.pem: ENOENT/);
    await assertUntouched(trusting, 0);
  });

  test('no HECI driver: exit 3', async () => {
    await trusting.devices[0].setHeciPresent(false);
    try {
      const run = await runAgent(await target(trusting, 0));
      assert.equal(run.code, AGENT_EXIT.noHeciDriver);
      assert.match(refusal(run.stderr), /^The Intel MEI\/HECI host interface is not usable: cannot open the host interface at .*\.sock: no driver there \(ENOENT\)\.$/);
    } finally {
      await trusting.devices[0].setHeciPresent(true);
    }
    await assertUntouched(trusting, 0);
  });

  test('the firmware trusts none of the site\'s provisioning roots: exit 4', async () => {
    const run = await runAgent(await target(distrusting, 0));
    assert.equal(run.code, AGENT_EXIT.rootNotTrusted);
    assert.equal(refusal(run.stderr), "None of the site's 1 provisioning certificate root(s) is among the 3 active root hash(es) this firmware trusts.");
    await assertUntouched(distrusting, 0);
  });

  test('credentials rejected: a certificate from another site, or a CA that does not vouch for the server: exit 7', async () => {
    const foreign = await runAgent(await target(trusting, 1, { files: { ...foreignFiles, ca: files.ca } }));
    assert.equal(foreign.code, AGENT_EXIT.credentialsRejected);
    assert.equal(refusal(foreign.stderr),
      "Mutual TLS with the site server failed: the site server rejected this agent's certificate: a client certificate issued by the site CA is required (amtprov agent enroll).");
    const wrongCa = await runAgent(await target(trusting, 1, { files: { ...files, ca: foreignFiles.ca } }));
    assert.equal(wrongCa.code, AGENT_EXIT.credentialsRejected);
    assert.equal(refusal(wrongCa.stderr), "Mutual TLS with the site server failed: the site server's certificate is not trusted by the site CA given (SELF_SIGNED_CERT_IN_CHAIN).");
    await assertUntouched(trusting, 1);
  });

  test('the site server stays unreachable: retries, then exit 6', async () => {
    const port = await freePort('127.0.62.2');
    const run = await runAgent(await target(trusting, 1, { site: `https://127.0.62.2:${port}`, retryFor: 2 }));
    assert.equal(run.code, AGENT_EXIT.siteUnreachable);
    assert.match(refusal(run.stderr), /^The site server could not be reached after [2-9] attempt\(s\) over 2 s \(cannot reach the site server at https:\/\/127\.0\.62\.2:\d+: ECONNREFUSED\)\.$/);
    assert.ok(run.stderr.filter((l) => l.includes('retrying')).length >= 1);
    await assertUntouched(trusting, 1);
  });

  test('the site refuses the registration (host name taken by another computer): exit 8', async () => {
    await site.store.computers.add({ uuid: '4c4c4544-0000-4000-8000-00000000beef', netbiosName: 'TAKEN1', fqdn: 'taken1.amt.test' });
    const run = await runAgent(await target(trusting, 2, { hostName: 'taken1' }));
    assert.equal(run.code, AGENT_EXIT.siteRefused);
    assert.equal(refusal(run.stderr), 'The site server refused the request (409): host name TAKEN1 already belongs to computer 4c4c4544-0000-4000-8000-00000000beef.');
    assert.equal(await site.store.computers.findByUuid(trusting.devices[2].firmware.uuid), undefined);
  });

  test('the agent never prints the OTP or its hash', async () => {
    const run = await runAgent(await target(trusting, 2, { hostName: 'printcheck' }));
    assert.equal(run.code, AGENT_EXIT.ok, run.stderr.join('\n'));
    const otp = trusting.devices[2].firmware.state.otp;
    assert.ok(otp);
    assert.deepEqual(findSecrets([...run.stdout, ...run.stderr, ...logs].join('\n'), [otp, hashOneTimePassword(otp)]), []);
  });
});
