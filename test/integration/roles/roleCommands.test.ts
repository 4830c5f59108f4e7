// Each production role started from its command exactly as docs/deploy.md runs it
// (bin/amtprov <role> with the role's environment) against a real Temporal dev server, the
// shared Samba DC and emulated devices: /readyz turns ready; the spawned listener's Hellos
// start runs; SIGTERM drains: /readyz answers 503, new connections are refused, work in flight
// finishes (a Hello being read is still handed on, a request being sent is still answered, a
// worker's activity completes and the run is handed to the next worker), then exit code 0.
import { spawn } from 'node:child_process';
import net from 'node:net';
import { describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import { trustedHashesOfRoot } from '../../../src/emulator/fleet';
import { statusQuery } from '../../../src/workflows/definitions';
import { enrollTestAgent } from '../agent/support/agentHarness';
import { helloBytes } from '../../support/helloBytes';
import { AMTPROV_BIN, useProvisioningStacks } from '../../support/provisioningStack';
import { waitUntil } from '../../support/waitUntil';

interface RoleProcess {
  output: string[];
  exited: Promise<number | null>;
  signal(name: NodeJS.Signals): void;
}

function startRole(t: TestContext, args: string[], env: NodeJS.ProcessEnv): RoleProcess {
  const child = spawn(AMTPROV_BIN, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  const collect = (chunk: Buffer): void => { output.push(...chunk.toString().split('\n').filter(Boolean)); };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return { output, exited, signal: (name) => child.kill(name) };
}

async function status(url: string): Promise<number> {
  return (await fetch(url, { signal: AbortSignal.timeout(5_000) })).status;
}

async function waitReady(base: string, role: RoleProcess): Promise<void> {
  let last = 'no answer';
  await waitUntil(async () => {
    const response = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(5_000) });
    last = `${response.status} ${await response.text()}`;
    return response.status === 200;
  }, 'the role to be ready', 120_000).catch((err: Error) => {
    throw new Error(`${err.message}; last /readyz: ${last}; role output:\n${role.output.join('\n')}`);
  });
  assert.equal(await status(`${base}/healthz`), 200);
}

/** Resolves once `host:port` refuses a TCP connection (the role stopped accepting). */
function refused(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.once('connect', () => { socket.destroy(); resolve(false); });
    socket.once('error', () => resolve(true));
  });
}

/** SIGTERM, then while work is still in flight: /readyz answers 503 and the service port takes no connection. */
async function terminateAndSeeDraining(role: RoleProcess, health: string, host: string, port: number): Promise<void> {
  role.signal('SIGTERM');
  await waitUntil(async () => await status(`${health}/readyz`) === 503, '/readyz to answer 503 while draining', 10_000);
  assert.ok(await refused(host, port), 'a draining role takes no new connections');
}

function openFrom(localAddress: string, host: string, port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port, localAddress }, () => resolve(socket));
    socket.once('error', reject);
  });
}

describe('roles as their own processes', () => {
  const { stack } = useProvisioningStacks();

  test('amtprov listener: ready, starts runs from Hellos, and on SIGTERM still hands on the Hello it is reading, then exits 0', async (t) => {
    // The stack's in-process worker provisions; its devices stay silent: the Hellos here are sent to the spawned listener.
    const s = await stack(t, { baseIp: '127.0.160.1', devices: 2, hellos: false });
    const host = '127.0.160.251';
    const role = startRole(t, ['listener', '--listen', `${host}:9971`, '--metrics', `${host}:9466`, '--task-queue', s.taskQueue], s.roleEnv);
    await waitReady(`http://${host}:9466`, role);
    const sha256 = trustedHashesOfRoot(s.pki.root.certPem).find((h) => h.algorithm === 'sha256')!.hash;
    const hashes = [{ algorithm: 2 as const, hex: sha256 }];

    // Device 0 says Hello from its own address: the run starts and provisions it.
    const first = await openFrom('127.0.160.1', host, 9971);
    first.end(helloBytes({ uuid: s.uuids[0], hashes }));
    assert.equal((await s.waitForResult(0)).outcome, 'Provisioned');

    // Device 1 has sent half its Hello when the listener is told to stop.
    const hello = helloBytes({ uuid: s.uuids[1], hashes });
    const second = await openFrom('127.0.160.2', host, 9971);
    second.write(hello.subarray(0, 10));
    await new Promise((r) => setTimeout(r, 200));
    await terminateAndSeeDraining(role, `http://${host}:9466`, host, 9971);
    second.end(hello.subarray(10));
    assert.equal(await role.exited, 0, role.output.join('\n'));
    assert.ok(role.output.some((line) => /hello forwarded to provisioning run/.test(line) && line.includes(s.uuids[1])), 'the Hello in flight was handed on');
    assert.equal((await s.waitForResult(1)).outcome, 'Provisioned');
  });

  test('amtprov worker: ready once polling; SIGTERM mid-run lets the activity finish, exits 0, and the next worker completes the run', async (t) => {
    const s = await stack(t, { baseIp: '127.0.161.1', worker: 'child-process', workerMetrics: '127.0.161.251:9464' });
    const health = 'http://127.0.161.251:9464';
    // Slow device answers keep an activity in flight long enough to stop the worker inside it.
    await s.control('POST', `/devices/${s.uuids[0]}/faults`, { latencyMs: 150 });
    await waitUntil(async () => await status(`${health}/readyz`) === 200, 'the worker to be ready');
    const handle = s.client.workflow.getHandle(s.workflowId(0));
    await waitUntil(async () => (await handle.query(statusQuery)).stage === 'phase1', 'the run to reach phase 1');

    const stopping = s.stopWorker();
    await waitUntil(async () => await status(`${health}/readyz`) === 503, '/readyz to answer 503 while draining', 10_000);
    assert.equal(await stopping, 0, s.logs.join('\n'));
    assert.ok(s.logs.some((line) => /worker\s+draining signal=SIGTERM/.test(line)), 'the worker said it drained');

    await s.control('DELETE', `/devices/${s.uuids[0]}/faults`);
    await s.startWorker();
    assert.equal((await s.waitForResult(0)).outcome, 'Provisioned');
    // Nothing was cut off: every activity ran to completion on its first attempt.
    const events = (await handle.fetchHistory()).events ?? [];
    const scheduled = new Map(events.flatMap((e) => (e.activityTaskScheduledEventAttributes ? [[String(e.eventId), e.activityTaskScheduledEventAttributes.activityType?.name]] : [])));
    const started = events.flatMap((e) => {
      const attributes = e.activityTaskStartedEventAttributes;
      return attributes ? [{ activity: scheduled.get(String(attributes.scheduledEventId)), attempt: attributes.attempt, worker: attributes.identity }] : [];
    });
    assert.ok(started.length >= 5);
    assert.deepEqual(started.filter((a) => a.attempt !== 1), [], 'no activity had to be retried after the stop');
    // Phase 1 was in flight on the stopped worker and finished there; the next stage ran on the new one.
    const [phase1, phase2] = ['phase1', 'phase2Wsman'].map((name) => started.find((a) => a.activity === name)?.worker);
    assert.ok(phase1 && phase2 && phase1 !== phase2, `phase1 by ${phase1}, phase2 by ${phase2}`);
  });

  test('amtprov site-server: ready; on SIGTERM answers the request in progress, refuses new connections, exits 0', async (t) => {
    const s = await stack(t, { baseIp: '127.0.162.1', devices: 1, hellos: false });
    const host = '127.0.162.251';
    const role = startRole(t, ['site-server', '--listen', `${host}:9443`, '--metrics', `${host}:9465`, '--task-queue', s.taskQueue], s.roleEnv);
    await waitReady(`http://${host}:9465`, role);
    const agent = await enrollTestAgent(s.store, 'pc-drain');
    t.after(() => agent.cleanup());

    // An agent's request whose body is still on its way when the server is told to stop.
    const body = Buffer.from(JSON.stringify({ uuid: 'not-a-uuid', otpHash: 'x', hostName: 'pc-drain', domain: 'amt.test', trustedRootHashes: [] }));
    const req = https.request({
      host, port: 9443, method: 'POST', path: '/v1/in-band-requests', agent: false,
      cert: readFileSync(agent.cert), key: readFileSync(agent.key), ca: readFileSync(agent.ca),
      headers: { 'Content-Type': 'application/json', 'Content-Length': body.length },
    });
    const answer = new Promise<number>((resolve, reject) => {
      req.on('response', (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
    });
    req.write(body.subarray(0, 5));
    await new Promise((r) => setTimeout(r, 500));
    await terminateAndSeeDraining(role, `http://${host}:9465`, host, 9443);
    req.end(body.subarray(5));
    assert.equal(await answer, 400, 'the request in progress was read to its end and answered (its schema is wrong on purpose)');
    assert.equal(await role.exited, 0, role.output.join('\n'));
  });

  test('a role refuses to start on a bad variable, naming it, its default and who reads it, before it opens anything', async (t) => {
    const role = startRole(t, ['listener'], { ...process.env, AMTPROV_HELLO_LISTEN: '127.0.163.251', AMTPROV_SHUTDOWN_GRACE: 'soon', AMTPROV_DATA_DIR: '/nonexistent/amtprov' });
    assert.equal(await role.exited, 1);
    const text = role.output.join('\n');
    assert.match(text, /AMTPROV_HELLO_LISTEN \("127\.0\.163\.251"\): must be host:port .*\(default 127\.0\.0\.1:9971; read by listener, start\)/);
    assert.match(text, /AMTPROV_SHUTDOWN_GRACE \("soon"\): must be a number of seconds/);
  });
});
