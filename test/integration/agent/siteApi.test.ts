// The site server API over real HTTPS with mutual TLS, a real site store and a real Temporal
// dev server (no worker: a started run just waits): who is admitted, what bad requests get,
// that refusals change nothing, and what an accepted in-band request records and starts.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import forge from 'node-forge';
import { generateRsaKeyPair } from '../../../src/pki/x509';
import { issueDeviceCertificate } from '../../../src/pki/deviceCertificate';
import { createDemoPki } from '../../../src/pki/demoPki';
import { issueAgentCertificate } from '../../../src/site/api/apiCertificates';
import { AesGcmPayloadCodec } from '../../../src/temporal/payloadCodec';
import type { SiteApi } from '../../../src/site/api/siteApiServer';
import { provisioningWorkflowId, searchAttributes, type ProvisionInput } from '../../../src/workflows/definitions';
import { collectPayloads } from '../../support/historyPayloads';
import { startTestTemporal, uniqueTaskQueue } from '../../support/temporal';
import { codecClient, testCodecKeys } from '../../support/worker';
import { enrollTestAgent, httpsRequest, openTestSite, startTestSiteApi, type AgentFiles, type TestSite } from './support/agentHarness';
import { countRows } from '../../support/storeRows';

const API_HOST = '127.0.61.1';
const AGENT_ADDRESS = '127.0.61.20';

describe('site server API', () => {
  let env: TestWorkflowEnvironment;
  let client: Client;
  let site: TestSite;
  let api: SiteApi;
  let files: AgentFiles;
  let agent: { cert: string; key: string; ca: string };
  const logs: string[] = [];

  before(async () => {
    env = await startTestTemporal();
    client = codecClient(env);
    site = await openTestSite();
    // The shared agent speaks for apiaccept1.amt.test, the computer its accepted request registers.
    files = await enrollTestAgent(site.store, 'pc-api-test', { fqdn: 'apiaccept1.amt.test' });
    agent = { cert: readFileSync(files.cert, 'utf8'), key: readFileSync(files.key, 'utf8'), ca: readFileSync(files.ca, 'utf8') };
    api = await startTestSiteApi({
      store: site.store, client, taskQueue: uniqueTaskQueue('site-api'), host: API_HOST, logs,
      limits: { headersTimeoutMs: 500, requestTimeoutMs: 1_000, idleTimeoutMs: 2_000 },
    });
  });
  after(async () => {
    await api?.close();
    files?.cleanup();
    await site?.close();
    await env?.teardown();
  });

  const validBody = (overrides: Record<string, unknown> = {}) => JSON.stringify({
    uuid: randomUUID(), otpHash: randomBytes(32).toString('hex'), hostName: `api${randomBytes(3).toString('hex')}`, domain: 'amt.test',
    trustedRootHashes: ['aa'.repeat(32)], ...overrides,
  });
  const post = (body: string | Buffer, credentials: Partial<typeof agent> = agent, headers: Record<string, string> = {}) =>
    httpsRequest(api.url, { method: 'POST', path: '/v1/in-band-requests', body, headers, ca: agent.ca, localAddress: AGENT_ADDRESS, ...credentials });

  /** What a refused request must leave alone: computers, registrations, audit, Temporal. */
  async function assertNothingStored(uuid: string, auditBefore: number): Promise<void> {
    assert.equal(await site.store.computers.findByUuid(uuid), undefined);
    assert.equal(await countRows(site.store, 'in_band_registrations'), 0);
    assert.equal((await site.store.audit.recent(1000)).length, auditBefore);
    await assert.rejects(client.workflow.getHandle(provisioningWorkflowId(uuid)).describe(), WorkflowNotFoundError);
  }

  test('an enrolled agent reads the provisioning roots', async () => {
    const answer = await httpsRequest(api.url, { path: '/v1/provisioning-roots', ...agent });
    assert.equal(answer.status, 200);
    const [cert] = await site.store.provisioningCertificates.list();
    assert.deepEqual(answer.body, { roots: [{ subjectCn: 'provisionserver.amt.test', dnsSuffix: 'amt.test', ...cert.rootHashes }] });
  });

  test('no client certificate, another site\'s agent, or a device certificate: 401, and nothing is stored', async () => {
    const other = createDemoPki({ domain: 'amt.test' });
    const foreign = issueAgentCertificate({ certPem: other.issuingCa.certPem, keyPem: other.issuingCa.keyPem, chainPem: other.issuingCa.chainPem }, 'pc-api-test', { fqdn: 'apiaccept1.amt.test' });
    const deviceKey = generateRsaKeyPair();
    const device = issueDeviceCertificate({ fqdn: 'pc-api-test.amt.test', key: { publicKeyPem: forge.pki.publicKeyToPem(deviceKey.publicKey) } }, await site.store.issuingCa.loadIssuer());
    const uuid = randomUUID();
    const auditBefore = (await site.store.audit.recent(1000)).length;
    for (const credentials of [{ cert: undefined, key: undefined }, { cert: foreign.certPem, key: foreign.keyPem }, { cert: device.certPem, key: deviceKey.privateKeyPem }]) {
      const answer = await post(validBody({ uuid }), credentials);
      assert.equal(answer.status, 401);
      assert.deepEqual(answer.body, { error: 'a client certificate issued by the site CA is required (amtprov agent enroll)' });
      assert.equal((await httpsRequest(api.url, { path: '/v1/provisioning-roots', ca: agent.ca, ...credentials })).status, 401);
    }
    await assertNothingStored(uuid, auditBefore);
    const refusals = logs.filter((l) => l.includes('not an enrolled agent'));
    assert.ok(refusals.some((l) => l.includes('no client certificate was presented')));
    assert.ok(refusals.some((l) => l.includes('not issued by the site issuing CA')));
    assert.ok(refusals.some((l) => l.includes('no clientAuth extended key usage')));
  });

  test('malformed JSON, a wrong schema, an oversized body, not JSON: 400/413/415 naming the problem, and nothing is stored', async () => {
    const uuid = randomUUID();
    const auditBefore = (await site.store.audit.recent(1000)).length;
    const secretish = randomBytes(32).toString('hex');
    const cases: [string | Buffer, Record<string, string>, number, RegExp][] = [
      [`{"uuid":"${uuid}","otpHash":"${secretish}"`, {}, 400, /^request body is not valid JSON$/],
      [validBody({ uuid, hostName: 'has space', trustedRootHashes: 'none' }), {}, 400, /hostName: short name "has space" may contain only letters.*trustedRootHashes: Invalid input: expected array/],
      [validBody({ uuid, otp: 'should-never-be-sent' }), {}, 400, /Unrecognized key: "otp"/],
      [validBody({ uuid, otpHash: 'zz' }), {}, 400, /otpHash: must be the SHA-256 of the one-time password/],
      [Buffer.alloc(20_000, 0x20), {}, 413, /^request body is over 16384 bytes$/],
      [validBody({ uuid }), { 'Content-Type': 'text/plain' }, 415, /^Content-Type must be application\/json$/],
    ];
    for (const [body, headers, status, message] of cases) {
      const answer = await post(body, agent, headers);
      assert.equal(answer.status, status, String(answer.body?.error));
      assert.match(String(answer.body?.error), message);
    }
    await assertNothingStored(uuid, auditBefore);
    assert.ok(!logs.join('\n').includes(secretish), 'a refused body is never logged');
  });

  test('unknown routes and wrong methods', async () => {
    assert.deepEqual(await httpsRequest(api.url, { path: '/v1/nothing', ...agent }), { status: 404, body: { error: 'no route /v1/nothing' } });
    assert.deepEqual(await httpsRequest(api.url, { path: '/v1/in-band-requests', ...agent }), { status: 405, body: { error: '/v1/in-band-requests takes POST' } });
  });

  test('an accepted request records the computer from the agent\'s peer address and starts its in-band run; no hash in the run', async () => {
    const uuid = randomUUID();
    const otpHash = randomBytes(32).toString('hex');
    const answer = await post(validBody({ uuid, otpHash, hostName: 'apiaccept1' }));
    assert.equal(answer.status, 202);
    assert.deepEqual(answer.body, {
      workflowId: provisioningWorkflowId(uuid),
      computer: { uuid, netbiosName: 'APIACCEPT1', fqdn: 'apiaccept1.amt.test', discovered: true },
    });
    const computer = (await site.store.computers.findByUuid(uuid))!;
    assert.equal(computer.inBandManaged, true);
    assert.equal((await site.store.inBand.get(computer.id))?.agentAddress, AGENT_ADDRESS);
    assert.equal(await site.store.vault.getSecret((await site.store.inBand.otpHashRef(computer.id))!), otpHash);
    assert.deepEqual((await site.store.audit.forComputer(uuid)).map((r) => [r.actor, r.action]), [
      ['agent:pc-api-test', 'computer.discover'], ['agent:pc-api-test', 'provisioning.in-band-request'],
    ]);

    const handle = client.workflow.getHandle(provisioningWorkflowId(uuid));
    const description = await handle.describe();
    assert.equal(description.typedSearchAttributes.get(searchAttributes.mode), 'in-band');
    const history = await client.workflowService.getWorkflowExecutionHistory({ namespace: env.namespace ?? 'default', execution: { workflowId: handle.workflowId } });
    const codec = new AesGcmPayloadCodec(testCodecKeys);
    const decoded = await codec.decode(collectPayloads(history.history));
    const started = history.history!.events!.find((e) => e.workflowExecutionStartedEventAttributes)!.workflowExecutionStartedEventAttributes!;
    const [input] = (await codec.decode(started.input!.payloads!)).map((p) => JSON.parse(Buffer.from(p.data!).toString('utf8')) as unknown);
    assert.deepEqual(input, { uuid, mode: 'in-band', address: AGENT_ADDRESS, trustedRootHashes: ['aa'.repeat(32)], trigger: 'agent' } satisfies ProvisionInput);
    const signals = history.history!.events!.filter((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'agentRequest');
    assert.equal(signals.length, 1);
    assert.ok(!decoded.some((p) => Buffer.from(p.data!).toString('utf8').includes(otpHash)));
    await handle.terminate('test done');
  });

  test('a client that sends its headers or its body too slowly is cut off', async () => {
    const answerBeforeClose = (request: string) => new Promise<string>((resolve, reject) => {
      const socket = tls.connect({ host: API_HOST, port: api.port, ca: agent.ca, cert: agent.cert, key: agent.key }, () => socket.write(request));
      let answer = '';
      socket.on('data', (d: Buffer) => { answer += d.toString(); });
      socket.on('close', () => resolve(answer));
      socket.on('error', reject);
    });
    // Headers never finished, then a body that stops at 10 of 100 bytes: Node answers 408 and closes.
    assert.match(await answerBeforeClose('GET /v1/provisioning-roots HTTP/1.1\r\nHost: site\r\n'), /^HTTP\/1\.1 408 Request Timeout/);
    const registrations = () => countRows(site.store, 'in_band_registrations');
    const before = await registrations();
    const slowBody = await answerBeforeClose('POST /v1/in-band-requests HTTP/1.1\r\nHost: site\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"uuid":"1');
    assert.match(slowBody, /^HTTP\/1\.1 408 Request Timeout/);
    assert.equal(await registrations(), before);
  });

  test('an agent asking for an imported computer or another FQDN gets 403, a security event, and nothing else changes', async (t) => {
    const victim = await site.store.computers.add({ uuid: randomUUID(), netbiosName: 'APIVICTIM', fqdn: 'apivictim.amt.test' });
    const thief = await enrollTestAgent(site.store, 'pc-api-thief', { fqdn: 'apithief.amt.test' });
    t.after(() => thief.cleanup());
    const credentials = { cert: readFileSync(thief.cert, 'utf8'), key: readFileSync(thief.key, 'utf8') };
    const auditBefore = (await site.store.audit.recent(1000)).length;
    const takeover = await post(validBody({ uuid: victim.uuid, hostName: 'apithief' }), credentials);
    assert.equal(takeover.status, 403);
    assert.match(String(takeover.body?.error), /computer .* is apivictim\.amt\.test; agent pc-api-thief .* may not rename it/);
    const otherName = await post(validBody({ hostName: 'apivictim' }), credentials);
    assert.equal(otherName.status, 403);
    assert.match(String(otherName.body?.error), /enrolled for apithief\.amt\.test, not apivictim\.amt\.test/);
    const after = await site.store.computers.get(victim.id);
    assert.deepEqual([after.netbiosName, after.fqdn, after.inBandManaged, after.lastAddress], ['APIVICTIM', 'apivictim.amt.test', false, null]);
    await assert.rejects(client.workflow.getHandle(provisioningWorkflowId(victim.uuid)).describe(), WorkflowNotFoundError);
    const events = (await site.store.audit.recent(1000)).slice(0, (await site.store.audit.recent(1000)).length - auditBefore);
    assert.deepEqual(events.map((e) => e.action), ['security.agent-request-refused', 'security.agent-request-refused']);
  });

  test('a revoked agent is refused from its next request on', async () => {
    const doomed = await enrollTestAgent(site.store, 'pc-doomed');
    const credentials = { cert: readFileSync(doomed.cert, 'utf8'), key: readFileSync(doomed.key, 'utf8') };
    try {
      assert.equal((await httpsRequest(api.url, { path: '/v1/provisioning-roots', ca: agent.ca, ...credentials })).status, 200);
      await site.store.agents.revoke('pc-doomed', 'operator:test');
      const refused = await httpsRequest(api.url, { path: '/v1/provisioning-roots', ca: agent.ca, ...credentials });
      assert.deepEqual(refused, { status: 401, body: { error: 'this agent was revoked (amtprov agent enroll issues a new one)' } });
      assert.ok(logs.some((l) => l.includes('not an enrolled agent') && l.includes('agent pc-doomed was revoked')));
    } finally {
      doomed.cleanup();
    }
  });

  test('a thousand bare TCP connections that never start TLS do not starve an enrolled agent', async () => {
    const sockets = await Promise.all(Array.from({ length: 1_000 }, (_, i) => new Promise<net.Socket>((resolve) => {
      const socket = net.connect({ host: API_HOST, port: api.port, localAddress: `127.0.61.${30 + (i % 10)}` }, () => resolve(socket));
      socket.on('error', () => resolve(socket));
    })));
    try {
      const answer = await httpsRequest(api.url, { path: '/v1/provisioning-roots', localAddress: AGENT_ADDRESS, ...agent });
      assert.equal(answer.status, 200);
      // Each hostile address keeps at most its cap of silent sockets; the rest were evicted.
      await new Promise((r) => setTimeout(r, 200));
      const open = sockets.filter((s) => !s.destroyed && s.readyState === 'open').length;
      assert.ok(open <= 10 * 8, `at most 8 silent sockets per address stay open, found ${open}`);
      assert.ok(logs.some((l) => l.includes('connection evicted before it proved to be an agent')));
    } finally {
      sockets.forEach((s) => s.destroy());
    }
  });
});
