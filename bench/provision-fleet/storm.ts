// `run.ts --storm`: the Hello storm of performance issue 13. N known devices' Hellos in one
// burst (plus unknown UUIDs and repeats) at the hello listener, in front of a private Temporal
// with NO worker: the runs stay at their first workflow task, so this measures intake (Hello
// to a started run) and nothing after it. Later waves (each device's next scheduled Hello)
// show that a device shed in one wave gets in with a later one. See README.md, "Hello storm".
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { projectRoot } from '../../src/config/paths';
import { trustedHashesOfRoot } from '../../src/emulator/fleet';
import { deviceAddresses, deviceUuid } from '../../src/emulator/fleetAddressing';
import { DEFAULT_INTAKE, startHelloListener, type HelloListener, type IntakeLimits, type ListenerStats, type ProvisionRequest } from '../../src/listener/helloListener';
import { siteHelloLookups } from '../../src/listener/siteLookups';
import { helloToWorkflow } from '../../src/listener/startProvisioning';
import { createLogger } from '../../src/log';
import { productRegistry } from '../../src/metrics/productMetrics';
import { WORKFLOW_TYPE } from '../../src/runs/runControl';
import { parseKeyRing } from '../../src/secrets/keyFile';
import { dataConverter } from '../../src/temporal/connection';
import { provisioningWorkflowId } from '../../src/workflows/definitions';
import { benchPki, createListenerSite } from './benchSite';
import { startBenchTemporal, startHelloSenderProcess, type BenchProfile } from './childProcesses';
import { startProbe, type ProbeSummary } from './listenerProbe';
import { ProcSampler, round, type WindowCost } from './procSampler';
import { distribution, type Distribution } from './runAnalysis';
import type { SenderInput, SenderOutput } from './helloSender';
import { readServerMetrics, type ServerMetrics } from './temporalMetrics';

// Loopback plan: listener 127.4.255.1, known devices 127.4.0.1... (one address each), unknown
// UUIDs 127.5.0.1..., probes 127.6.0.1... Temporal on 127.0.0.1 (see run.ts).
const LISTENER_HOST = '127.4.255.1';
const TEMPORAL_HOST = '127.0.0.1';
/** The interval of AMT's first Hello phase (docs/amt-protocol.md section 2): the storm's goal is every run started before it. */
const NEXT_HELLO_SECONDS = 60;

type Cleanup = (fn: () => Promise<void> | void) => () => Promise<void>;

interface StormOptions {
  devices: number;
  profile: BenchProfile;
  /** Unknown-UUID Hellos, as a share of the known devices. */
  unknownShare: number;
  /** Hellos each known device sends in the burst, from min to max (spread evenly). */
  repeats: { min: number; max: number };
  /** Waves in all: the burst, then each known device's next scheduled Hello, once per wave (AMT's first phase has five, a minute apart). */
  waves: number;
  /** When each later wave goes: once the one before has settled, or this many seconds after the one before started. */
  waveInterval: 'settle' | number;
  intake: IntakeLimits;
  sockets: number;
  dynamicConfig: Record<string, string | number | boolean>;
}

function positiveInt(value: string, flag: string, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new Error(`${flag} must be a whole number from 1 to ${max}, got ${value}`);
  return n;
}

function parseStormArgs(argv: string[]): StormOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      storm: { type: 'boolean' },
      devices: { type: 'string', default: '10000' },
      temporal: { type: 'string', default: 'dev' },
      shards: { type: 'string', default: '16' },
      'unknown-share': { type: 'string', default: '0.1' },
      repeats: { type: 'string', default: '2-3' },
      waves: { type: 'string', default: '2' },
      'wave-interval': { type: 'string', default: 'settle' },
      'intake-concurrency': { type: 'string', default: String(DEFAULT_INTAKE.concurrency) },
      'intake-capacity': { type: 'string', default: String(DEFAULT_INTAKE.capacity) },
      sockets: { type: 'string', default: '1000' },
      'dynamic-config': { type: 'string', multiple: true, default: [] },
    },
  });
  const devices = positiveInt(values.devices, '--devices', 254 * 255);
  const profile: BenchProfile = values.temporal === 'dev' ? { kind: 'dev' }
    : values.temporal === 'cluster' ? { kind: 'cluster', historyShards: positiveInt(values.shards, '--shards', 16384) }
      : (() => { throw new Error(`--storm --temporal wants dev or cluster, got ${values.temporal}`); })();
  const unknownShare = Number(values['unknown-share']);
  if (!(unknownShare >= 0 && unknownShare <= 10)) throw new Error(`--unknown-share must be a number from 0 to 10, got ${values['unknown-share']}`);
  const match = /^(\d+)(?:-(\d+))?$/.exec(values.repeats);
  const repeats = match ? { min: Number(match[1]), max: Number(match[2] ?? match[1]) } : undefined;
  if (!repeats || repeats.min < 1 || repeats.max < repeats.min || repeats.max > 30) throw new Error(`--repeats wants N or MIN-MAX from 1 to 30, got ${values.repeats}`);
  const waveInterval = values['wave-interval'] === 'settle' ? 'settle' : positiveInt(values['wave-interval'], '--wave-interval (settle or seconds)', 3600);
  const dynamicConfig = Object.fromEntries(values['dynamic-config'].map((pair) => {
    const at = pair.indexOf('=');
    if (at < 1) throw new Error(`--dynamic-config wants KEY=JSON, got ${pair}`);
    return [pair.slice(0, at), JSON.parse(pair.slice(at + 1)) as string | number | boolean];
  }));
  return {
    devices, profile, unknownShare, repeats, waveInterval, dynamicConfig, waves: positiveInt(values.waves, '--waves', 5),
    intake: { concurrency: positiveInt(values['intake-concurrency'], '--intake-concurrency'), capacity: positiveInt(values['intake-capacity'], '--intake-capacity') },
    sockets: positiveInt(values.sockets, '--sockets', 10_000),
  };
}

/** A seeded shuffle (mulberry32), so a rerun sends the same burst in the same order. */
function shuffle<T>(items: T[], seed: number): T[] {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

const step = (text: string): void => console.error(`[${new Date().toISOString().slice(11, 19)}] ${text}`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Machine-wide TCP counters (/proc/net/netstat): SYNs dropped because a listen queue was full, and SYNs retransmitted. */
function tcpCounters(): { listenOverflows: number; synRetransmits: number } {
  const lines = readFileSync('/proc/net/netstat', 'utf8').split('\n').filter((l) => l.startsWith('TcpExt:'));
  const [names, values] = [lines[0]?.split(' ') ?? [], lines[1]?.split(' ') ?? []];
  const get = (name: string): number => Number(values[names.indexOf(name)] ?? 0);
  return { listenOverflows: get('ListenOverflows'), synRetransmits: get('TCPSynRetrans') };
}

async function counterValues(name: string, label: string): Promise<Record<string, number>> {
  const metric = productRegistry.getSingleMetric(name);
  const values = metric ? (await metric.get()).values : [];
  return Object.fromEntries(values.filter((v) => v.value > 0).map((v) => [String(v.labels[label] ?? ''), v.value]));
}

interface WaveResult {
  hellos: number;
  sendSeconds: number;
  sendFailed: Record<string, number>;
  /** Machine-wide during the wave: SYNs dropped because the listener's accept queue was full, and SYN retransmits (1 s, then 3 s, each). */
  tcp: { listenOverflows: number; synRetransmits: number };
  /** The sender process's own CPU (user + system) for the wave. */
  senderCpuSeconds: number;
  /** From the wave's first send until the listener had handed on or dropped everything. */
  settleSeconds: number;
  listener: ListenerStats;
}

export interface StormResults {
  date: string;
  machine: { cpus: number; cpuModel: string; memoryGiB: number; node: string; platform: string; loadAverageAtStart: number[]; loadAverageAtEnd: number[] };
  devices: number;
  profile: BenchProfile;
  options: Omit<StormOptions, 'devices' | 'profile'>;
  siteImportSeconds: number;
  waves: WaveResult[];
  /** Per known device: burst start to its run's StartTime (visibility). */
  startSeconds: Distribution;
  startedWithin60s: number;
  /** Devices whose run first started during each wave (from that wave's first send to the next's). */
  startedPerWave: number[];
  /** Distinct runs started per second, first to last start. */
  startsPerSecond: number;
  runsPerDevice: { one: number; none: number; more: number };
  /** The listener's counters at the end (amtprov_hellos_*), whole run. */
  dropped: Record<string, number>;
  forwarded: Record<string, number>;
  probe: ProbeSummary;
  /** CPU and memory from the burst's start to the last wave's settling (the sender's own is in waves). */
  costs: WindowCost;
  benchEventLoopDelayP99Ms: number;
  benchEventLoopDelayMaxMs: number;
  /** The probe's start relative to the burst's (slow probes' atMs count from it). */
  probeStartedBeforeBurstMs: number;
  serverMetrics?: ServerMetrics;
}

function printStorm(r: StormResults): void {
  const w = 44;
  const row = (name: string, value: string | number): string => `${name.padEnd(w)}${value}`;
  const pairs = (o: Record<string, number>): string => Object.entries(o).map(([k, v]) => `${k} ${v}`).join(', ') || 'none';
  const cpu = (group: string): string => { const g = r.costs.groups[group]; return g ? `${g.cpuSeconds} s (${g.averageCores} cores), peak RSS ${g.peakRssMiB} MiB` : '-'; };
  const d = r.startSeconds;
  const lines = [
    `provision-fleet --storm: ${r.devices} known devices, Temporal ${r.profile.kind}, ${r.date}, ${r.machine.cpus} x ${r.machine.cpuModel}`,
    row('intake (concurrency / capacity)', `${r.options.intake.concurrency} / ${r.options.intake.capacity}`),
    row('site import', `${r.siteImportSeconds} s`),
    ...r.waves.map((wave, i) => row(`wave ${i + 1}: Hellos sent, send time`, `${wave.hellos} in ${wave.sendSeconds} s (sender ${wave.senderCpuSeconds} CPU-s); failed: ${pairs(wave.sendFailed)}; listen-queue overflows ${wave.tcp.listenOverflows}, SYN retransmits ${wave.tcp.synRetransmits}; settled after ${wave.settleSeconds} s`)),
    row('run started after burst start p50/p99/max', `${d.p50} / ${d.p99} / ${d.max} s (${d.count} devices)`),
    row(`started within ${NEXT_HELLO_SECONDS} s`, `${r.startedWithin60s} of ${r.devices}`),
    row('runs first started, per wave', r.startedPerWave.join(' / ')),
    row('starts per second', r.startsPerSecond),
    row('runs per device: one / none / more', `${r.runsPerDevice.one} / ${r.runsPerDevice.none} / ${r.runsPerDevice.more}`),
    row('dropped by reason', pairs(r.dropped)),
    row('forwarded by result', pairs(r.forwarded)),
    row('probe reply p50/p99/max (s)', `${r.probe.replyMs.p50} / ${r.probe.replyMs.p99} / ${r.probe.replyMs.max} (${r.probe.probes} probes, ${r.probe.slow.length} over 0.5 s, failed: ${pairs(r.probe.failed)})`),
    row('bench process (listener, probe) CPU', cpu('bench (listener, probe)')),
    row('Temporal server CPU', cpu('temporal-server')),
    row('PostgreSQL CPU', cpu('postgres')),
    row('machine busy cores; of which other processes', `${r.costs.system.busyCores} of ${r.costs.system.cores}; ${r.costs.system.othersBusyCores}`),
    row('bench event-loop delay p99 / max', `${r.benchEventLoopDelayP99Ms} / ${r.benchEventLoopDelayMaxMs} ms`),
  ];
  if (r.serverMetrics) lines.push(row('Temporal persistence', `${r.serverMetrics.persistenceRequests} calls, ${r.serverMetrics.persistenceTotalSeconds} s; semaphore waits ${r.serverMetrics.semaphoreWaitSeconds} s`));
  console.log(lines.join('\n'));
}

export async function runStorm(argv: string[], onCleanup: Cleanup): Promise<void> {
  const o = parseStormArgs(argv);
  const started = new Date();
  const loadAverageAtStart = os.loadavg().map((l) => round(l, 1));
  const log = createLogger('bench', { level: 'warn' });
  const logDir = path.join(projectRoot(), '.tools', `bench-storm-${o.devices}`, 'logs');
  rmSync(logDir, { recursive: true, force: true });
  mkdirSync(logDir, { recursive: true });
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'amtprov-storm-'));
  onCleanup(() => rmSync(tmp, { recursive: true, force: true }));

  const pki = benchPki();
  const hashes = trustedHashesOfRoot(pki.root.certPem).map(({ algorithm, hash }) => ({ algorithm, hash }));
  const uuids = Array.from({ length: o.devices }, (_, i) => deviceUuid(`bench-storm-${o.devices}`, i));
  const addresses = deviceAddresses('127.4.0.1', o.devices);
  step(`site store with ${o.devices} devices`);
  const importStart = Date.now();
  const store = await createListenerSite({
    file: path.join(tmp, 'site.sqlite'), keyRing: parseKeyRing(`bench:${randomBytes(32).toString('base64')}`, 'bench master'),
    pki, devices: uuids.map((uuid) => ({ uuid })), namePrefix: 'ST',
  });
  const siteImportSeconds = round((Date.now() - importStart) / 1000, 2);
  onCleanup(() => store.close());
  step(`  imported in ${siteImportSeconds} s; starting Temporal (${o.profile.kind})`);
  const server = await startBenchTemporal(o.profile, TEMPORAL_HOST, tmp, logDir, o.dynamicConfig, log.child('temporal'));
  onCleanup(() => server.stop());
  const sampler = new ProcSampler();
  sampler.watch('temporal-server', { pid: server.pids.server, tree: true });
  if (server.pids.postgres) sampler.watch('postgres', { pid: server.pids.postgres, tree: true });
  sampler.watch('bench (listener, probe)', { pid: process.pid, tree: false });
  sampler.start();
  onCleanup(() => sampler.stop());

  const connection = await Connection.connect({ address: server.address });
  onCleanup(() => connection.close());
  const client = new Client({ connection, namespace: server.namespace, dataConverter: dataConverter(parseKeyRing(`bench:${randomBytes(32).toString('base64')}`, 'bench codec')) });
  const forward = helloToWorkflow(client);
  const listener: HelloListener = await startHelloListener({
    host: LISTENER_HOST, port: 0, lookups: siteHelloLookups(store), log: log.child('listener'), intake: o.intake,
    provision: (request: ProvisionRequest) => forward(request),
  });
  onCleanup(() => listener.close());
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const probeStarted = Date.now();
  const probe = startProbe(listener.host, listener.port, deviceAddresses('127.6.0.1', 2_000));

  const wave = async (label: string, hellos: SenderInput['hellos']): Promise<WaveResult & { startedAt: number }> => {
    const input = path.join(tmp, `${label}-in.json`);
    const output = path.join(tmp, `${label}-out.json`);
    writeFileSync(input, JSON.stringify({ host: listener.host, port: listener.port, sockets: o.sockets, hashes, hellos } satisfies SenderInput));
    step(`${label}: ${hellos.length} Hellos, ${o.sockets} connections at once`);
    const tcpBefore = tcpCounters();
    const sender = startHelloSenderProcess(input, output, path.join(logDir, `${label}-sender.log`));
    const stopSender = onCleanup(() => sender.stop());
    const code = await sender.exited;
    await stopSender();
    if (code !== 0) throw new Error(`hello sender exited with code ${code} (see ${logDir})`);
    const sent = JSON.parse(readFileSync(output, 'utf8')) as SenderOutput;
    // Settled: nothing waits or is under way, and no Hello (the probes aside) came in for half a second.
    let last = -1;
    for (;;) {
      const s = listener.stats();
      const hellos = s.connections - (s.dropped['http-request'] ?? 0);
      if (s.intake.waiting === 0 && s.intake.sending === 0 && hellos === last) break;
      last = hellos;
      await sleep(500);
    }
    const settledAt = Date.now() - 500;
    const stats = listener.stats();
    step(`  sent in ${round((sent.endedAt - sent.startedAt) / 1000, 2)} s, settled after ${round((settledAt - sent.startedAt) / 1000, 2)} s; forwarded ${stats.forwarded}, dropped ${JSON.stringify(stats.dropped)}`);
    return {
      startedAt: sent.startedAt, hellos: sent.sent, sendSeconds: round((sent.endedAt - sent.startedAt) / 1000, 2), sendFailed: sent.failed,
      senderCpuSeconds: sent.cpuSeconds,
      tcp: { listenOverflows: tcpCounters().listenOverflows - tcpBefore.listenOverflows, synRetransmits: tcpCounters().synRetransmits - tcpBefore.synRetransmits },
      settleSeconds: round((settledAt - sent.startedAt) / 1000, 2), listener: stats,
    };
  };

  // Wave 1: every known device min..max times, the unknown UUIDs once, all shuffled together.
  const spread = o.repeats.max - o.repeats.min + 1;
  const known = uuids.flatMap((uuid, i) => Array.from({ length: o.repeats.min + (i % spread) }, () => ({ uuid, retryCount: 0, from: addresses[i] })));
  const unknownCount = Math.round(o.devices * o.unknownShare);
  const unknownAddresses = deviceAddresses('127.5.0.1', unknownCount);
  const unknown = Array.from({ length: unknownCount }, (_, i) => ({ uuid: deviceUuid(`bench-storm-unknown-${o.devices}`, i), retryCount: 0, from: unknownAddresses[i] }));
  const waves = [await wave('wave1', shuffle([...known, ...unknown], 13))];
  const burstStart = waves[0].startedAt;
  // Later waves: each known device's next scheduled Hello (retry count = Hellos sent before).
  for (let k = 1; k < o.waves; k++) {
    if (o.waveInterval !== 'settle') await sleep(Math.max(0, waves[k - 1].startedAt + o.waveInterval * 1000 - Date.now()));
    waves.push(await wave(`wave${k + 1}`, shuffle(uuids.map((uuid, i) => ({ uuid, retryCount: k, from: addresses[i] })), 13 + k)));
  }
  const last = waves[waves.length - 1];
  const probeSummary = await probe.stop();
  loop.disable();
  const costs = sampler.cost(burstStart, Date.now());

  step('reading run start times from visibility');
  const starts = new Map<string, number[]>();
  const uuidOf = new Map(uuids.map((uuid) => [provisioningWorkflowId(uuid), uuid]));
  for (let attempt = 0; attempt < 60; attempt++) {
    starts.clear();
    for await (const run of client.workflow.list({ query: `WorkflowType = '${WORKFLOW_TYPE}'` })) {
      const uuid = uuidOf.get(run.workflowId);
      if (uuid) starts.set(uuid, [...(starts.get(uuid) ?? []), run.startTime.getTime()]);
    }
    // Visibility is eventually consistent: wait until it lists a run for every device a call reached.
    if (starts.size >= Math.min(o.devices, last.listener.forwarded)) break;
    await sleep(1_000);
  }
  const firstStarts = [...starts.values()].map((list) => Math.min(...list));
  const startSeconds = distribution(firstStarts.map((at) => at - burstStart));
  const serverMetrics = await readServerMetrics(server.metricsUrl).catch((err: unknown) => { step(`Temporal server metrics unread: ${(err as Error).message}`); return undefined; });
  const results: StormResults = {
    date: started.toISOString(),
    machine: {
      cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown', memoryGiB: Math.round(os.totalmem() / 2 ** 30),
      node: process.version, platform: `${os.platform()} ${os.release()}`, loadAverageAtStart, loadAverageAtEnd: os.loadavg().map((l) => round(l, 1)),
    },
    devices: o.devices, profile: o.profile,
    options: { unknownShare: o.unknownShare, repeats: o.repeats, waves: o.waves, waveInterval: o.waveInterval, intake: o.intake, sockets: o.sockets, dynamicConfig: o.dynamicConfig },
    siteImportSeconds,
    waves: waves.map(({ startedAt: _startedAt, ...rest }) => rest),
    startSeconds,
    startedWithin60s: firstStarts.filter((at) => at - burstStart <= NEXT_HELLO_SECONDS * 1000).length,
    startedPerWave: waves.map((w, k) => firstStarts.filter((at) => at >= (k === 0 ? 0 : w.startedAt) && at < (waves[k + 1]?.startedAt ?? Infinity)).length),
    startsPerSecond: firstStarts.length > 1 ? round(firstStarts.length / ((Math.max(...firstStarts) - Math.min(...firstStarts)) / 1000), 1) : 0,
    runsPerDevice: {
      one: [...starts.values()].filter((list) => list.length === 1).length,
      none: o.devices - starts.size,
      more: [...starts.values()].filter((list) => list.length > 1).length,
    },
    dropped: await counterValues('amtprov_hellos_dropped_total', 'reason'),
    forwarded: await counterValues('amtprov_hellos_forwarded_total', 'result'),
    probe: probeSummary, costs,
    benchEventLoopDelayP99Ms: round(loop.percentile(99) / 1e6, 1),
    benchEventLoopDelayMaxMs: round(loop.max / 1e6, 1),
    probeStartedBeforeBurstMs: burstStart - probeStarted,
    serverMetrics,
  };
  printStorm(results);
  const dir = path.join(__dirname, 'results');
  mkdirSync(dir, { recursive: true });
  const experiment = Object.keys(o.dynamicConfig).length > 0 || o.intake.concurrency !== DEFAULT_INTAKE.concurrency || o.intake.capacity !== DEFAULT_INTAKE.capacity ? '-experiment' : '';
  const file = path.join(dir, `${results.date.slice(0, 10)}-${o.devices}-storm${o.profile.kind === 'cluster' ? '-cluster' : ''}${experiment}.json`);
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  step(`results written to ${path.relative(process.cwd(), file)}; logs in ${path.relative(process.cwd(), logDir)}`);
}
