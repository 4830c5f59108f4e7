// The hello listener over real TCP, with a real site store (SQLite) and a real Temporal dev
// server: which Hellos start a run, which are dropped and why, and that bad input is harmless.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startHelloListener, type HelloListener } from '../../../src/listener/helloListener';
import { siteHelloLookups } from '../../../src/listener/siteLookups';
import { helloToWorkflow } from '../../../src/listener/startProvisioning';
import { createLogger } from '../../../src/log';
import { createDemoPki } from '../../../src/pki/demoPki';
import { registerDemoPki } from '../../../src/pki/register';
import { parseKeyRing } from '../../../src/secrets/keyFile';
import { openSiteStore, type SiteStore } from '../../../src/site/store';
import { helloSignal, provisioningWorkflowId, searchAttributes } from '../../../src/workflows/definitions';
import { helloBytes, sendHelloBytes } from '../../support/helloBytes';
import { waitUntil } from '../../support/waitUntil';
import { hasProvisioningRun, startTestTemporal, uniqueTaskQueue } from '../../support/temporal';
import { codecClient } from '../../support/worker';

const LISTENER_IP = '127.0.40.1';

const send = (data: Buffer, from: string, port: number): Promise<void> => sendHelloBytes(data, { host: LISTENER_IP, port }, from);

describe('hello listener', () => {
  let env: TestWorkflowEnvironment;
  let client: Client;
  let store: SiteStore;
  let listener: HelloListener;
  let dir: string;
  let trustedSha256: string;
  const logLines: string[] = [];

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'amtprov-listener-'));
    store = await openSiteStore({ location: path.join(dir, 'site.sqlite'), keyRing: parseKeyRing(`t:${randomBytes(32).toString('base64')}`, 'test') });
    const pki = createDemoPki();
    const registered = await registerDemoPki(store, pki, 'test');
    trustedSha256 = registered.provisioning.rootHashes.sha256;
    env = await startTestTemporal();
    client = codecClient(env);
    listener = await startHelloListener({
      host: LISTENER_IP, port: 0, lookups: siteHelloLookups(store),
      provision: helloToWorkflow(client, uniqueTaskQueue('listener')),
      log: createLogger('listener', { level: 'debug', sink: (line) => logLines.push(line) }),
      readTimeoutMs: 300, rateLimit: { perSecond: 1, burst: 25 },
    });
  });
  after(async () => {
    await listener?.close();
    await env?.teardown();
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function importComputer(options: { inBand?: boolean } = {}): Promise<string> {
    const uuid = randomUUID();
    const name = `PC${randomBytes(3).toString('hex').toUpperCase()}`;
    const computer = await store.computers.add({ uuid, netbiosName: name, fqdn: `${name.toLowerCase()}.amt.test` });
    if (options.inBand) await store.computers.setDeviceFacts(computer.id, { inBandManaged: true });
    return uuid;
  }

  const workflowExists = (uuid: string): Promise<boolean> => hasProvisioningRun(client, uuid);

  test('a Hello from an imported device with a trusted root starts its run, carrying the Hello as a signal', async () => {
    const uuid = await importComputer();
    await send(helloBytes({ uuid, retryCount: 4, hashes: [{ algorithm: 1, hex: 'aa'.repeat(20) }, { algorithm: 2, hex: trustedSha256 }] }), '127.0.40.11', listener.port);
    await waitUntil(() => workflowExists(uuid), 'the run to exist');
    const handle = client.workflow.getHandle(provisioningWorkflowId(uuid));
    const history = await handle.fetchHistory();
    const started = history.events!.find((e) => e.workflowExecutionStartedEventAttributes)!;
    assert.equal(started.workflowExecutionStartedEventAttributes!.workflowType!.name, 'provisionDevice');
    const signals = history.events!.filter((e) => e.workflowExecutionSignaledEventAttributes?.signalName === helloSignal.name);
    assert.equal(signals.length, 1);
    const description = await handle.describe();
    assert.equal(description.typedSearchAttributes.get(searchAttributes.uuid), uuid);
  });

  test('unknown UUID, untrusted root and in-band devices are dropped with their reasons and start nothing', async () => {
    const before = listener.stats().dropped;
    const unknown = randomUUID();
    const untrusted = await importComputer();
    const inBand = await importComputer({ inBand: true });
    await send(helloBytes({ uuid: unknown, hashes: [{ algorithm: 2, hex: trustedSha256 }] }), '127.0.40.12', listener.port);
    await send(helloBytes({ uuid: untrusted, hashes: [{ algorithm: 2, hex: 'bb'.repeat(32) }] }), '127.0.40.12', listener.port);
    await send(helloBytes({ uuid: inBand, hashes: [{ algorithm: 2, hex: trustedSha256 }] }), '127.0.40.12', listener.port);
    await waitUntil(() => (listener.stats().dropped['in-band-managed'] ?? 0) > (before['in-band-managed'] ?? 0), 'the drops to be counted');
    const after = listener.stats().dropped;
    for (const reason of ['unknown-uuid', 'root-not-trusted', 'in-band-managed']) {
      assert.equal((after[reason] ?? 0) - (before[reason] ?? 0), 1, reason);
    }
    for (const uuid of [unknown, untrusted, inBand]) assert.equal(await workflowExists(uuid), false);
    assert.ok(logLines.some((l) => l.includes('hello dropped') && l.includes('reason=unknown-uuid') && l.includes(unknown)));
  });

  test('twenty Hellos in a burst make one run; repeats while its call is waiting or under way coalesce instead of calling again', async () => {
    const uuid = await importComputer();
    const before = listener.stats();
    const hello = (n: number): Buffer => helloBytes({ uuid, retryCount: n, hashes: [{ algorithm: 2, hex: trustedSha256 }] });
    await Promise.all(Array.from({ length: 20 }, (_, n) => send(hello(n), '127.0.40.13', listener.port)));
    const handle = client.workflow.getHandle(provisioningWorkflowId(uuid));
    const coalesced = (): number => (listener.stats().dropped.coalesced ?? 0) - (before.dropped.coalesced ?? 0);
    const calls = (): number => listener.stats().forwarded - before.forwarded;
    await waitUntil(() => calls() + coalesced() === 20, 'every Hello to be sent or coalesced');
    const signals = (await handle.fetchHistory()).events!.filter((e) => e.workflowExecutionSignaledEventAttributes).length;
    assert.equal(signals, calls(), 'one signal per call');
    assert.ok(coalesced() >= 1, 'twenty Hellos at once overlap their own call');
    const runs = [];
    for await (const wf of client.workflow.list({ query: `WorkflowId = "${provisioningWorkflowId(uuid)}"` })) runs.push(wf.runId);
    assert.equal(runs.length, 1);
  });

  test('malformed, oversized and stalled connections are dropped and the listener keeps serving', async () => {
    const before = listener.stats().dropped;
    const uuid = await importComputer();
    const good = helloBytes({ uuid, hashes: [{ algorithm: 2, hex: trustedSha256 }] });
    await send(Buffer.concat([good, Buffer.from([0])]), '127.0.40.14', listener.port);
    await send(good.subarray(0, 10), '127.0.40.14', listener.port);
    await send(randomBytes(20_000), '127.0.40.14', listener.port).catch(() => undefined);
    const stalled = net.connect({ host: LISTENER_IP, port: listener.port, localAddress: '127.0.40.14' }, () => stalled.write(good.subarray(0, 5)));
    stalled.on('error', () => undefined);
    await new Promise<void>((resolve) => stalled.on('close', () => resolve()));
    const after = listener.stats().dropped;
    assert.equal((after['malformed:trailing-bytes'] ?? 0) - (before['malformed:trailing-bytes'] ?? 0), 1);
    assert.equal((after['malformed:short'] ?? 0) - (before['malformed:short'] ?? 0), 1);
    assert.equal((after['too-large'] ?? 0) - (before['too-large'] ?? 0), 1);
    assert.equal((after['read-timeout'] ?? 0) - (before['read-timeout'] ?? 0), 1);
    assert.equal(await workflowExists(uuid), false);
    await send(good, '127.0.40.14', listener.port);
    await waitUntil(() => workflowExists(uuid), 'the good Hello after the bad ones');
  });

  test('a noisy peer is rate limited without starving another device', async () => {
    const before = listener.stats();
    const noisy = helloBytes({ uuid: randomUUID(), hashes: [{ algorithm: 2, hex: trustedSha256 }] });
    await Promise.all(Array.from({ length: 60 }, () => send(noisy, '127.0.40.15', listener.port).catch(() => undefined)));
    const uuid = await importComputer();
    await send(helloBytes({ uuid, hashes: [{ algorithm: 2, hex: trustedSha256 }] }), '127.0.40.16', listener.port);
    await waitUntil(() => workflowExists(uuid), 'the quiet device to be served');
    const limited = (listener.stats().dropped['rate-limited'] ?? 0) - (before.dropped['rate-limited'] ?? 0);
    assert.ok(limited >= 30, `expected most of the 60 noisy Hellos to be rate limited, got ${limited}`);
  });

  /** A peer that writes one byte every `everyMs` and never finishes its Hello. */
  function trickle(port: number, from: string, everyMs: number): { socket: net.Socket; closed: Promise<void> } {
    const socket = net.connect({ host: LISTENER_IP, port, localAddress: from });
    const timer = setInterval(() => socket.write(Buffer.from([0])), everyMs);
    socket.on('error', () => undefined);
    const closed = new Promise<void>((resolve) => socket.on('close', () => {
      clearInterval(timer);
      resolve();
    }));
    return { socket, closed };
  }

  test('a peer trickling bytes is cut at the total deadline, not kept open by its own trickle', async (t) => {
    const slow = await startHelloListener({
      host: LISTENER_IP, port: 0, lookups: siteHelloLookups(store), provision: helloToWorkflow(client, uniqueTaskQueue('listener-slow')),
      log: createLogger('listener', { level: 'debug', sink: () => undefined }), readTimeoutMs: 400, connectionDeadlineMs: 900,
    });
    t.after(() => slow.close());
    const peer = trickle(slow.port, '127.0.40.20', 100);
    await peer.closed;
    assert.equal(slow.stats().dropped['read-deadline'], 1);
    assert.equal(slow.stats().dropped['read-timeout'], undefined, 'the idle timer never fired: the trickle kept it alive');
  });

  test('sockets held open by trickling peers never lock a device out: the idlest are evicted, counted, logged at a bounded rate', async (t) => {
    const lines: string[] = [];
    const capped = await startHelloListener({
      host: LISTENER_IP, port: 0, lookups: siteHelloLookups(store), provision: helloToWorkflow(client, uniqueTaskQueue('listener-capped')),
      log: createLogger('listener', { level: 'debug', sink: (line) => lines.push(line) }),
      readTimeoutMs: 5_000, connectionDeadlineMs: 30_000,
      connectionLimits: { perAddress: 3, total: 30 }, dropLogRate: { burst: 2, windowMs: 60_000 },
    });
    t.after(() => capped.close());
    // Ten hostile addresses open four sockets each: the fourth of each evicts that address's idlest.
    const peers = Array.from({ length: 10 }, (_, a) => Array.from({ length: 4 }, () => trickle(capped.port, `127.0.40.${100 + a}`, 200))).flat();
    t.after(() => peers.forEach((p) => p.socket.destroy()));
    await waitUntil(() => (capped.stats().dropped['evicted:per-address'] ?? 0) === 10, 'each address to lose one socket to its own cap');
    const uuid = await importComputer();
    await send(helloBytes({ uuid, hashes: [{ algorithm: 2, hex: trustedSha256 }] }), '127.0.40.120', capped.port);
    await waitUntil(() => workflowExists(uuid), 'the device to get in while the listener is full');
    assert.ok((capped.stats().dropped['evicted:total'] ?? 0) >= 1, 'the newcomer made room by evicting an idle socket');
    const dropLines = lines.filter((l) => l.includes('hello dropped') && l.includes('reason=evicted:per-address'));
    assert.equal(dropLines.length, 2, 'drop lines per reason are bounded per window');
    peers.forEach((p) => p.socket.destroy());
    await capped.close();
    assert.ok(lines.some((l) => l.includes('log lines suppressed') && l.includes('key=evicted:per-address') && l.includes('suppressed=8')));
  });

  test('a browser GET gets a small page that says what this port is', async () => {
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = net.connect({ host: LISTENER_IP, port: listener.port }, () => socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
      let text = '';
      socket.on('data', (d) => { text += d.toString(); });
      socket.on('close', () => resolve(text));
      socket.on('error', reject);
    });
    assert.match(answer, /^HTTP\/1\.1 200 OK/);
    assert.match(answer, /AMT Hello listener/);
  });
});
