// Network fuzz bench (not a test): a hello listener (real site store, recording provision
// callback) and the site API (real TLS, enrolled agent) take a seeded, bounded mix of hostile
// traffic from many 127.0.x.y source addresses (malformed and mutated Hellos, slow trickles,
// oversized bodies, HTTP and TLS bytes on the Hello port; bare TCP, garbage, plain HTTP, TLS
// without or with a client certificate but bad requests on the site API) while a well-behaved
// device and agent keep sending valid requests. Records outcomes per attack, the listener's
// drop reasons, API status codes, crashes (must be 0) and whether every valid request was
// served; writes results/<date>-<seed>.json. See README.md.
//   npx tsx bench/network-fuzz/run.ts [--seed N] [--seconds S] [--concurrency C]
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { parseArgs } from 'node:util';
import { startHelloListener, type ProvisionRequest } from '../../src/listener/helloListener';
import { siteHelloLookups } from '../../src/listener/siteLookups';
import { createLogger } from '../../src/log';
import { startSiteApi } from '../../src/site/api/siteApiServer';
import { API_PATHS } from '../../src/site/api/schemas';
import { helloBytes } from '../../test/support/helloBytes';
import { enrollTestAgent, httpsRequest, openTestSite } from '../../test/integration/agent/support/agentHarness';
import { intBetween, pick, seededRandom, type Random } from './seededRandom';

const LISTENER_HOST = '127.1.0.1';
const API_HOST = '127.1.0.2';
const DEVICE_ADDRESS = '127.1.0.10';
const AGENT_ADDRESS = '127.1.0.11';
const CLIENT_GIVE_UP_MS = 12_000;
// Shorter than the defaults so slow clients resolve within a short run (recorded in the results).
const API_LIMITS = { handshakeTimeoutMs: 2_000, headersTimeoutMs: 2_000, requestTimeoutMs: 4_000, idleTimeoutMs: 4_000 };
const LISTENER_LIMITS = { readTimeoutMs: 1_000, connectionDeadlineMs: 5_000 };

const { values } = parseArgs({ options: {
  seed: { type: 'string', default: '1' }, seconds: { type: 'string', default: '30' }, concurrency: { type: 'string', default: '32' },
} });
const seed = Number(values.seed);
const seconds = Number(values.seconds);
const concurrency = Number(values.concurrency);
for (const [name, value] of Object.entries({ seed, seconds, concurrency })) {
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer`);
}
if (seconds > 600) throw new Error('--seconds is capped at 600 (the bench must stay bounded)');

const crashes: string[] = [];
process.on('uncaughtException', (err) => { crashes.push(`uncaughtException: ${err.message}`); });
process.on('unhandledRejection', (err) => { crashes.push(`unhandledRejection: ${String(err)}`); });

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const step = (text: string): void => console.error(`[${new Date().toISOString().slice(11, 19)}] ${text}`);

/** A random source address in 127.0.0.0/16 (never one of the services' or the good clients'). */
const sourceAddress = (random: Random): string => `127.0.${intBetween(random, 1, 254)}.${intBetween(random, 1, 254)}`;

type Outcome = string;

/**
 * Writes `chunks` (with a pause before each) to a TCP or TLS socket, half-closes it when `end`
 * (a device sends its Hello and closes its side), and says how it ended.
 */
function exchange(socket: net.Socket, chunks: { data: Buffer; delayMs: number }[], mode: 'wait' | 'end' | 'leave' = 'wait'): Promise<Outcome> {
  return new Promise((resolve) => {
    let settled = false;
    let received = 0;
    const done = (outcome: Outcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(giveUp);
      socket.destroy();
      resolve(outcome);
    };
    const giveUp = setTimeout(() => done('client-gave-up'), CLIENT_GIVE_UP_MS);
    socket.on('data', (chunk: Buffer) => { received += chunk.length; });
    socket.on('error', (err: NodeJS.ErrnoException) => done(`error:${err.code ?? 'tls'}`));
    socket.on('close', () => done(received > 0 ? 'answered-then-closed' : 'closed-by-server'));
    const write = async (): Promise<void> => {
      for (const chunk of chunks) {
        if (chunk.delayMs > 0) await sleep(chunk.delayMs);
        if (settled || socket.destroyed) return;
        socket.write(chunk.data);
      }
      if (mode === 'end') socket.end();
      if (mode === 'leave') done('sent');
    };
    socket.once(socket instanceof tls.TLSSocket ? 'secureConnect' : 'connect', () => void write());
  });
}

const tcp = (host: string, port: number, from: string): net.Socket => net.connect({ host, port, localAddress: from });
/** TLS from a chosen source address (tls.connect takes no localAddress: it wraps a bound TCP socket). */
const tlsFrom = (host: string, port: number, from: string, options: tls.ConnectionOptions): tls.TLSSocket =>
  tls.connect({ socket: tcp(host, port, from), host, ...options });

interface Target { helloPort: number; apiPort: number; apiUrl: string; agent: { cert: string; key: string; ca: string }; validHello: Buffer }

const HTTP_GET = Buffer.from('GET / HTTP/1.1\r\nHost: fuzz\r\n\r\n');

/** One hostile exchange; returns [attack kind, outcome]. */
async function attack(random: Random, t: Target): Promise<[string, Outcome]> {
  const from = sourceAddress(random);
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => intBetween(random, 0, 255)));
  const kind = pick(random, [
    'hello:random-bytes', 'hello:mutated', 'hello:truncated', 'hello:extended', 'hello:oversized', 'hello:trickle', 'hello:http',
    'hello:tls', 'hello:connect-close', 'hello:unknown-device', 'api:bare-tcp', 'api:garbage', 'api:plain-http', 'api:tls-no-cert',
    'api:tls-garbage-after-handshake', 'api:agent-oversized', 'api:agent-bad-json', 'api:agent-wrong-path', 'api:agent-slow-headers',
  ] as const);
  const once = (data: Buffer) => [{ data, delayMs: 0 }];
  const hello = (socketChunks: { data: Buffer; delayMs: number }[]) => exchange(tcp(LISTENER_HOST, t.helloPort, from), socketChunks, 'end');
  switch (kind) {
    case 'hello:random-bytes': return [kind, await hello(once(bytes(intBetween(random, 1, 300))))];
    case 'hello:mutated': {
      const data = Buffer.from(t.validHello);
      for (let i = intBetween(random, 1, 4); i > 0; i--) data[intBetween(random, 0, data.length - 1)] = intBetween(random, 0, 255);
      return [kind, await hello(once(data))];
    }
    case 'hello:truncated': return [kind, await hello(once(t.validHello.subarray(0, intBetween(random, 1, t.validHello.length - 1))))];
    case 'hello:extended': return [kind, await hello(once(Buffer.concat([t.validHello, bytes(intBetween(random, 1, 64))])))];
    case 'hello:oversized': return [kind, await hello(once(bytes(intBetween(random, 16_001, 64_000))))];
    case 'hello:trickle': return [kind, await hello([...t.validHello].map((b) => ({ data: Buffer.from([b]), delayMs: intBetween(random, 100, 700) })))];
    case 'hello:http': return [kind, await hello(once(HTTP_GET))];
    case 'hello:tls': return [kind, await exchange(tlsFrom(LISTENER_HOST, t.helloPort, from, { rejectUnauthorized: false }), [])];
    case 'hello:connect-close': return [kind, await exchange(tcp(LISTENER_HOST, t.helloPort, from), [], 'leave')];
    case 'hello:unknown-device': return [kind, await hello(once(helloBytes({ uuid: randomUUID(), hashes: [{ algorithm: 2, hex: 'ab'.repeat(32) }] })))];
    case 'api:bare-tcp': return [kind, await exchange(tcp(API_HOST, t.apiPort, from), [])];
    case 'api:garbage': return [kind, await exchange(tcp(API_HOST, t.apiPort, from), once(bytes(intBetween(random, 1, 2000))))];
    case 'api:plain-http': return [kind, await exchange(tcp(API_HOST, t.apiPort, from), once(HTTP_GET))];
    case 'api:tls-garbage-after-handshake':
      return [kind, await exchange(tlsFrom(API_HOST, t.apiPort, from, t.agent), once(bytes(intBetween(random, 1, 500))))];
    case 'api:agent-slow-headers':
      return [kind, await exchange(tlsFrom(API_HOST, t.apiPort, from, t.agent),
        [{ data: Buffer.from(`GET ${API_PATHS.provisioningRoots} HTTP/1.1\r\n`), delayMs: 0 }, ...Array.from({ length: 20 }, () => ({ data: Buffer.from('X-Slow: 1\r\n'), delayMs: 500 }))])];
    default: {
      const request = {
        'api:tls-no-cert': { path: API_PATHS.provisioningRoots, ca: t.agent.ca },
        'api:agent-oversized': { method: 'POST', path: API_PATHS.inBandRequests, body: Buffer.alloc(intBetween(random, 17_000, 200_000), 0x41), ...t.agent },
        'api:agent-bad-json': { method: 'POST', path: API_PATHS.inBandRequests, body: bytes(intBetween(random, 1, 200)).toString('latin1'), ...t.agent },
        'api:agent-wrong-path': { path: `/v1/${bytes(4).toString('hex')}`, ...t.agent },
      }[kind];
      try {
        return [kind, `http:${(await httpsRequest(t.apiUrl, { ...request, localAddress: from })).status}`];
      } catch (err) {
        return [kind, `error:${(err as NodeJS.ErrnoException).code ?? (err as Error).name}`];
      }
    }
  }
}

function tally(into: Record<string, Record<string, number>>, kind: string, outcome: Outcome): void {
  into[kind] ??= {};
  into[kind][outcome] = (into[kind][outcome] ?? 0) + 1;
}

async function main(): Promise<void> {
  const started = new Date();
  const loadAverageAtStart = os.loadavg();
  const site = await openTestSite();
  const [root] = await site.store.provisioningCertificates.list();
  if (!root) throw new Error('the demo PKI registered no provisioning certificate');
  const device = await site.store.computers.add({ uuid: randomUUID(), netbiosName: 'FUZZDEV1', fqdn: 'fuzzdev1.amt.test' });
  const validHello = helloBytes({ uuid: device.uuid, hashes: [{ algorithm: 2, hex: root.rootHashes.sha256 }] });
  const forwarded: ProvisionRequest[] = [];
  const listener = await startHelloListener({
    host: LISTENER_HOST, port: 0, lookups: siteHelloLookups(site.store), ...LISTENER_LIMITS,
    provision: (request) => { forwarded.push(request); return Promise.resolve(); },
    log: createLogger('listener', { level: 'error' }),
  });
  const files = await enrollTestAgent(site.store, 'fuzz-agent', { fqdn: 'fuzzagent.amt.test' });
  const agent = { cert: readFileSync(files.cert, 'utf8'), key: readFileSync(files.key, 'utf8'), ca: readFileSync(files.ca, 'utf8') };
  const runsStarted: string[] = [];
  const api = await startSiteApi({
    host: API_HOST, port: 0, store: site.store, limits: API_LIMITS, log: createLogger('site-api', { level: 'error' }),
    startRun: (request) => { runsStarted.push(request.uuid); return Promise.resolve(`fuzz-${request.uuid}`); },
  });
  const target: Target = { helloPort: listener.port, apiPort: api.port, apiUrl: api.url, agent, validHello };
  const stopAt = Date.now() + seconds * 1000;
  step(`listener ${LISTENER_HOST}:${listener.port}, site API ${api.url}; ${seconds} s of fuzz, ${concurrency} at once, seed ${seed}`);

  const outcomes: Record<string, Record<string, number>> = {};
  const attackers = Array.from({ length: concurrency }, async (_, slot) => {
    const random = seededRandom(seed * 1000 + slot);
    while (Date.now() < stopAt) {
      const [kind, outcome] = await attack(random, target);
      tally(outcomes, kind, outcome);
    }
  });
  // The well-behaved device (one Hello a second from its own address) and agent (two reads a second).
  const good = { hellosSent: 0, hellosFailed: 0, agentRequests: 0, agentStatuses: {} as Record<string, number> };
  const device$ = (async () => {
    while (Date.now() < stopAt) {
      good.hellosSent += 1;
      const outcome = await exchange(tcp(LISTENER_HOST, listener.port, DEVICE_ADDRESS), [{ data: validHello, delayMs: 0 }], 'end');
      if (outcome.startsWith('error') || outcome === 'client-gave-up') good.hellosFailed += 1;
      await sleep(1000);
    }
  })();
  const agent$ = (async () => {
    while (Date.now() < stopAt) {
      good.agentRequests += 1;
      const status = await httpsRequest(api.url, { path: API_PATHS.provisioningRoots, ...agent, localAddress: AGENT_ADDRESS })
        .then((a) => String(a.status), (err: NodeJS.ErrnoException) => `error:${err.code ?? 'unknown'}`);
      good.agentStatuses[status] = (good.agentStatuses[status] ?? 0) + 1;
      await sleep(500);
    }
  })();
  await Promise.all([...attackers, device$, agent$]);
  await sleep(500); // the last forwards land

  const deviceForwards = forwarded.filter((r) => r.uuid === device.uuid && r.peerAddress === DEVICE_ADDRESS).length;
  const attacks = Object.values(outcomes).reduce((n, byOutcome) => n + Object.values(byOutcome).reduce((a, b) => a + b, 0), 0);
  const results = {
    date: started.toISOString(), seed, seconds, concurrency,
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown', node: process.version, loadAverageAtStart: loadAverageAtStart.map((l) => Math.round(l * 100) / 100), loadAverageAtEnd: os.loadavg().map((l) => Math.round(l * 100) / 100) },
    limits: { listener: LISTENER_LIMITS, siteApi: API_LIMITS, clientGiveUpMs: CLIENT_GIVE_UP_MS },
    attacks, outcomes,
    listener: listener.stats(),
    // A mutation that only touched the retry count or admin flag is still the device's valid Hello.
    forwardedFromOthers: forwarded.length - deviceForwards,
    forwardedForUnknownComputers: forwarded.filter((r) => r.uuid !== device.uuid).length,
    runsStartedByApi: runsStarted.length,
    wellBehaved: { ...good, deviceHellosForwarded: deviceForwards, allServed: deviceForwards === good.hellosSent && good.agentStatuses['200'] === good.agentRequests },
    crashes,
  };
  await api.close();
  await listener.close();
  files.cleanup();
  await site.close();
  const file = path.join(__dirname, 'results', `${results.date.slice(0, 10)}-${seed}.json`);
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  console.log(JSON.stringify({ attacks, crashes: crashes.length, wellBehaved: results.wellBehaved, dropped: results.listener.dropped }, null, 2));
  step(`results in ${path.relative(process.cwd(), file)}`);
  if (crashes.length > 0 || !results.wellBehaved.allServed || results.forwardedForUnknownComputers > 0) process.exitCode = 2;
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exitCode = 1;
});
