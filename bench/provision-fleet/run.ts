// Benchmark (not a test): N emulated devices provisioned out-of-band through the real stack
// (Hello -> listener -> Temporal -> `amtprov worker` child -> devices and Samba DC), then the
// same activity calls made by a plain script for a second, fresh set of N devices. Reports
// devices/s, Hello-to-Provisioned latency, worker CPU and memory, the orchestration overhead
// (Temporal wall time / plain wall time) and every failure by type. See README.md.
// With --temporal dev,cluster the Temporal phase runs once per profile (the dev server, then
// the cluster profile's real server with --shards history shards), beside one plain baseline.
// With --latency the devices answer like real firmware, all power on at once, and the baseline
// is the device's own time (latencyMode.ts).
//   npx tsx bench/provision-fleet/run.ts --devices 100 [--temporal dev|cluster|dev,cluster] [--shards 16] [--latency]
//     [--firmware modern|early | --firmware-version 11.8.50] [--timeout-minutes 30]
// --storm is the Hello storm instead (storm.ts, its own options; README.md, "Hello storm").
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import type { Fleet } from '../../src/emulator/fleet';
import { startHelloListener, type HelloListener, type ProvisionRequest } from '../../src/listener/helloListener';
import { siteHelloLookups } from '../../src/listener/siteLookups';
import { helloToWorkflow } from '../../src/listener/startProvisioning';
import { createLogger } from '../../src/log';
import { parseKeyRing } from '../../src/secrets/keyFile';
import { ensureSamba, type SambaHandle } from '../../src/stack/samba';
import { dataConverter } from '../../src/temporal/connection';
import { testAdDir } from '../../test/support/ad';
import { benchStateRoot, fleetDevicePassword, fleetLayout, helloRootHashes, resetFleetToFactory, startBenchFleet, startBenchFleetTogether, writeFleetCounters, type FleetSpec } from './benchFleet';
import { firmwareDelays, LATENCY_BASELINE_DEVICES, LATENCY_DEVICES, LATENCY_TIMING, latencyFigures, latencyWorkerArgs, peakRunsInFlight, printLatencySummary } from './latencyMode';
import { benchPki, createBenchSite, createOu, type BenchOu } from './benchSite';
import { effectiveTemporalSettings, startBenchTemporal, startPlainProcess, startWorkerProcess, type BenchProfile, type MeasuredChild, type TemporalOverrides } from './childProcesses';
import { peakRssMiB, ProcSampler, round, threadCpuBetween, threadCpuSeconds } from './procSampler';
import { readServerMetrics } from './temporalMetrics';
import { printSummary, writeResults, type BenchResults, type PhaseResult } from './report';
import { countOpenRuns, distribution, summarisePhase, temporalDeviceRecords, type DeviceRecord } from './runAnalysis';
import { CLUSTER_WORKFLOW_TASK_TUNING, DEFAULT_MAX_CONCURRENT_ACTIVITIES, type WorkflowTaskTuning } from '../../src/worker';
import { DEFAULT_FIRMWARE_VERSION, firmwareFamily } from '../../src/contract/firmwareFamilies';
import { runMain } from './runMain';
import { summariseCpuProfiles } from './cpuProfile';
import { runStorm } from './storm';

// Loopback plan (brief): devices 127.2.0.0/16 (Temporal set) and 127.3.0.0/16 (plain set),
// listener and control APIs on 127.2.255.x. The Temporal dev server stays on 127.0.0.1 (free
// ports): bound to any other address, its front end dials its internal services on 127.0.0.1
// and every call fails Unavailable (Temporal CLI 1.9.1). The cluster profile's server, too.
const SERVICE_HOST = '127.2.255.1';
const TEMPORAL_HOST = '127.0.0.1';

/** --storm is its own benchmark with its own options (storm.ts); the rest of this file's options then keep their defaults. */
const storm = process.argv.includes('--storm');
const { values } = parseArgs({
  ...(storm ? { args: [] } : {}),
  options: {
    /** Default 100; with --latency 5,000. */
    devices: { type: 'string' },
    /** Real-firmware timing, all devices powered on at once, latency against the device's own time (latencyMode.ts). */
    latency: { type: 'boolean', default: false },
    /** A firmware family's default version (src/contract/firmwareFamilies.ts); --firmware-version names one exactly. */
    firmware: { type: 'string', default: 'modern' },
    'firmware-version': { type: 'string' },
    'timeout-minutes': { type: 'string', default: '30' },
    // The activity slots `amtprov worker` runs with (createProvisioningWorker's default in src/worker.ts).
    'plain-concurrency': { type: 'string', default: String(DEFAULT_MAX_CONCURRENT_ACTIVITIES) },
    /** Which Temporal(s) the Temporal phase runs on, in order: dev, cluster, or dev,cluster. */
    temporal: { type: 'string', default: 'dev' },
    /** History shards of the cluster profile's server. */
    shards: { type: 'string', default: '16' },
    /** Extra dynamic config for the benchmark's Temporal server, KEY=JSON (repeatable), for experiments. */
    'dynamic-config': { type: 'string', multiple: true, default: [] },
    /** Dev server SQLite pragma KEY=VALUE over temporal-dev.yaml's (repeatable), for experiments. */
    'sqlite-pragma': { type: 'string', multiple: true, default: [] },
    /** The worker's AMTPROV_LOG_LEVEL (the product's default is info). */
    'worker-log-level': { type: 'string', default: 'info' },
    /** Profiles the worker's main thread (node --cpu-prof) into the logs dir, and prints where its time went. */
    'cpu-prof': { type: 'boolean', default: false },
    /** Names the run's results file (`<date>-<N>-<family>-<profiles>-<label>.json`), e.g. the lever it measures. */
    label: { type: 'string' },
  },
});
const latency = values.latency;
const count = Number(values.devices ?? (latency ? LATENCY_DEVICES : 100));
if (!Number.isInteger(count) || count < 1 || count > 60_000) throw new Error(`--devices must be a positive integer, got ${values.devices}`);
const timeoutMs = Number(values['timeout-minutes']) * 60_000;
const plainConcurrency = Number(values['plain-concurrency']);
if (!Number.isInteger(plainConcurrency) || plainConcurrency < 1) throw new Error(`--plain-concurrency must be a positive integer, got ${values['plain-concurrency']}`);
function keyValues(option: string, pairs: string[]): [string, string][] {
  return pairs.map((pair) => {
    const at = pair.indexOf('=');
    if (at < 1) throw new Error(`--${option} wants KEY=VALUE, got ${pair}`);
    return [pair.slice(0, at), pair.slice(at + 1)];
  });
}
const overrides: TemporalOverrides = {
  dynamicConfig: Object.fromEntries(keyValues('dynamic-config', values['dynamic-config']).map(([key, json]) => [key, JSON.parse(json) as string | number | boolean])),
  sqlitePragmas: Object.fromEntries(keyValues('sqlite-pragma', values['sqlite-pragma'])),
};
if (values.label !== undefined && !/^[a-z0-9][a-z0-9-]{0,40}$/.test(values.label)) throw new Error(`--label wants lowercase letters, digits and dashes, got ${values.label}`);
const historyShards = Number(values.shards);
if (!Number.isInteger(historyShards) || historyShards < 1 || historyShards > 16384) throw new Error(`--shards must be a whole number from 1 to 16384, got ${values.shards}`);
const profiles: BenchProfile[] = values.temporal.split(',').map((name) => {
  if (name === 'dev') return { kind: 'dev' };
  if (name === 'cluster') return { kind: 'cluster', historyShards };
  throw new Error(`--temporal wants dev, cluster or dev,cluster, got ${values.temporal}`);
});
if (new Set(profiles.map((p) => p.kind)).size !== profiles.length) throw new Error(`--temporal names a profile twice: ${values.temporal}`);
/** The worker's workflow-task tuning per profile: SDK defaults on the one-shard dev server (comparable with earlier results), the cluster's own on the cluster. */
const WORKER_TUNING: Record<BenchProfile['kind'], WorkflowTaskTuning> = { dev: {}, cluster: CLUSTER_WORKFLOW_TASK_TUNING };
function tuningArgs(tuning: WorkflowTaskTuning): string[] {
  return [
    ...(tuning.slots !== undefined ? ['--workflow-task-slots', String(tuning.slots)] : []),
    ...(tuning.pollers !== undefined ? ['--workflow-task-pollers', String(tuning.pollers)] : []),
    ...(tuning.nonStickyRatio !== undefined ? ['--non-sticky-ratio', String(tuning.nonStickyRatio)] : []),
  ];
}
if (values.firmware !== 'modern' && values.firmware !== 'early') throw new Error(`--firmware must be modern or early, got ${values.firmware}`);
const firmwareVersion = values['firmware-version'] ?? DEFAULT_FIRMWARE_VERSION[values.firmware];
const firmware = { firmwareVersion };
const timing = latency ? { timing: LATENCY_TIMING, preparedKeys: true } : {};
const specs: Record<'temporal' | 'plain', FleetSpec> = {
  temporal: { label: 'temporal', count, baseIp: '127.2.0.1', controlHost: '127.2.255.2', ...firmware, ...timing },
  plain: latency
    ? { label: 'baseline', count: Math.min(count, LATENCY_BASELINE_DEVICES), stateRoot: benchStateRoot(count), baseIp: '127.3.0.1', controlHost: '127.2.255.3', ...firmware, ...timing }
    : { label: 'plain', count, baseIp: '127.3.0.1', controlHost: '127.2.255.3', ...firmware },
};

const log = createLogger('bench', { level: 'warn' });
const cleanups: (() => Promise<void>)[] = [];
/** Registers a cleanup that also runs if the benchmark fails; calling the result runs it early (once). */
function onCleanup(fn: () => Promise<void> | void): () => Promise<void> {
  let done: Promise<void> | undefined;
  const once = (): Promise<void> => (done ??= Promise.resolve().then(fn));
  cleanups.push(once);
  return once;
}
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** The promise's value, or 'timeout' after ms; the timer never outlives the race (it would keep the process up). */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<'timeout'>((resolve) => { timer = setTimeout(() => resolve('timeout'), ms); })]);
  } finally {
    clearTimeout(timer);
  }
}
const step = (text: string): void => console.error(`[${new Date().toISOString().slice(11, 19)}] ${text}`);

function countLines(file: string, pattern: RegExp): number {
  try {
    return readFileSync(file, 'utf8').split('\n').filter((line) => pattern.test(line)).length;
  } catch {
    return 0;
  }
}

interface Shared {
  samba: SambaHandle;
  rootPem: string;
  pki: ReturnType<typeof benchPki>;
  devicePassword: string;
  tmp: string;
  logDir: string;
  sampler: ProcSampler;
  masterKeyRing: string;
}

async function freshOu(shared: Shared, label: string): Promise<BenchOu> {
  const ou = await createOu(shared.samba, label);
  onCleanup(() => ou.remove());
  return ou;
}

/** Each phase's own device set, OU and site store (same settings, different computer names). */
async function phaseSite(shared: Shared, phase: 'temporal' | 'plain', namePrefix: string) {
  const layout = fleetLayout(specs[phase]);
  const ou = await freshOu(shared, phase);
  const siteDb = path.join(shared.tmp, `site-${phase}.sqlite`);
  const store = await createBenchSite({
    file: siteDb, keyRing: parseKeyRing(shared.masterKeyRing, 'bench master'), pki: shared.pki, samba: shared.samba, ou: ou.dn,
    devicePassword: shared.devicePassword, devices: layout.uuids.map((uuid) => ({ uuid })), namePrefix,
  });
  return { layout, ou, siteDb, store };
}

async function temporalPhase(shared: Shared, profile: BenchProfile): Promise<PhaseResult> {
  const { layout, siteDb, store } = await phaseSite(shared, 'temporal', profile.kind === 'dev' ? 'PD' : 'PC');
  onCleanup(async () => store.close());
  const phaseDir = path.join(shared.tmp, profile.kind);
  mkdirSync(phaseDir, { recursive: true });
  const server = await startBenchTemporal(profile, TEMPORAL_HOST, phaseDir, shared.logDir, overrides, log.child(`temporal-${profile.kind}`));
  const stopServer = onCleanup(() => server.stop());
  // Each phase's own sampler groups, so the dev and cluster figures never mix.
  shared.sampler.watch(`temporal-server-${profile.kind}`, { pid: server.pids.server, tree: true });
  if (server.pids.postgres) shared.sampler.watch('postgres', { pid: server.pids.postgres, tree: true });
  const codecKeyRing = `bench:${randomBytes(32).toString('base64')}`;
  const tuning = WORKER_TUNING[profile.kind];
  step(`Temporal ${profile.kind === 'dev' ? 'dev server' : `server (cluster profile, ${server.historyShards} shards, PostgreSQL)`} on ${server.address}; starting amtprov worker ${tuningArgs(tuning).join(' ')}`);
  const workerLog = path.join(shared.logDir, `worker-${profile.kind}.log`);
  const worker = await startWorkerProcess({
    temporalAddress: server.address, namespace: server.namespace, siteDb, masterKeyRing: shared.masterKeyRing, codecKeyRing, dataDir: shared.tmp,
    args: [...tuningArgs(tuning), ...(latency ? latencyWorkerArgs(count) : [])], logLevel: values['worker-log-level'],
    ...(values['cpu-prof'] ? { cpuProfileDir: path.join(shared.logDir, `cpu-${profile.kind}`) } : {}),
  }, workerLog);
  const stopWorker = onCleanup(() => worker.stop());
  shared.sampler.watch(`worker-${profile.kind}`, { pid: worker.pid, tree: false });

  const connection = await Connection.connect({ address: server.address });
  onCleanup(() => connection.close());
  const client = new Client({ connection, namespace: server.namespace, dataConverter: dataConverter(parseKeyRing(codecKeyRing, 'bench codec')) });
  const firstForward = new Map<string, number>();
  let workerThreadsAtStart = { at: Date.now(), cpu: threadCpuSeconds(worker.pid) };
  const forward = helloToWorkflow(client);
  const inFlight = new Set<Promise<void>>();
  const listener: HelloListener = await startHelloListener({
    host: SERVICE_HOST, port: 0, lookups: siteHelloLookups(store), log: log.child('listener'),
    provision: async (request: ProvisionRequest) => {
      const at = Date.now();
      const call = forward(request);
      inFlight.add(call);
      try {
        await call;
      } finally {
        inFlight.delete(call);
      }
      if (firstForward.size === 0) workerThreadsAtStart = { at, cpu: threadCpuSeconds(worker.pid) };
      if (!firstForward.has(request.uuid)) firstForward.set(request.uuid, at);
    },
  });
  onCleanup(async () => {
    await listener.close();
    // A signalWithStart still retrying must end before its connection closes under it.
    await within(Promise.allSettled(inFlight), 15_000);
  });

  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  step(`powering on ${count} devices (${specs.temporal.baseIp}...); their Hellos start the runs`);
  const fleetStart = { spec: specs.temporal, rootPem: shared.rootPem, devicePassword: shared.devicePassword, helloTarget: listener };
  const fleet: Fleet = await (latency ? startBenchFleetTogether(fleetStart) : startBenchFleet(fleetStart));
  const stopFleet = onCleanup(() => fleet.stop());
  const deadline = Date.now() + timeoutMs;
  let lastReport = 0;
  for (;;) {
    const open = await countOpenRuns(client);
    if (firstForward.size === count && open === 0) break;
    if (Date.now() > deadline) {
      step(`TIMEOUT: ${firstForward.size}/${count} devices forwarded, ${open} runs still open; analysing what finished`);
      break;
    }
    if (Date.now() - lastReport > 10_000) {
      step(`${firstForward.size}/${count} devices forwarded, ${open} runs open`);
      lastReport = Date.now();
    }
    await sleep(500);
  }
  loop.disable();
  const workerThreads = threadCpuBetween(workerThreadsAtStart.cpu, threadCpuSeconds(worker.pid), (Date.now() - workerThreadsAtStart.at) / 1000);
  const workerPeakRss = peakRssMiB(worker.pid);
  const serverMetrics = await readServerMetrics(server.metricsUrl);
  const firmwareDelaySeconds = latency ? firmwareDelays(fleet) : undefined;
  writeFleetCounters(fleet, path.join(shared.logDir, `fleet-counters-temporal-${profile.kind}.json`));
  const logLines = {
    workerErrors: countLines(workerLog, / (ERROR|WARN) /),
    sqliteBusy: countLines(workerLog, /SQLITE_BUSY|database is locked/i) + countLines(server.logFile, /SQLITE_BUSY|database is locked/i),
    temporalServerWarnings: countLines(server.logFile, /level=(WARN|ERROR)/),
  };
  await stopFleet();
  step('runs closed; reading histories');
  const { devices, extraRuns } = await temporalDeviceRecords(client, layout.uuids, firstForward);
  writeFileSync(path.join(shared.logDir, `devices-temporal-${profile.kind}.json`), JSON.stringify(devices));
  const summary = summarisePhase(devices);
  const costs = shared.sampler.cost(summary.firstStart, summary.lastFinish);
  const helloTimes = [...firstForward.values()];
  await stopWorker();
  await stopServer();
  const cpuProfile = values['cpu-prof'] ? summariseCpuProfiles(path.join(shared.logDir, `cpu-${profile.kind}`)) : undefined;
  return {
    ...(cpuProfile ? { workerCpuProfile: cpuProfile } : {}),
    profile: profile.kind, historyShards: server.historyShards, workerTuning: tuning,
    summary, costs, extraRuns,
    peakRssMiB: { worker: workerPeakRss },
    listener: listener.stats(),
    hellosForwardedSpreadSeconds: round((Math.max(...helloTimes) - Math.min(...helloTimes)) / 1000, 3),
    signalsPerRun: devices.reduce((n, d) => n + (d.signals ?? 0), 0) / devices.length,
    workflowTaskWaitSeconds: distribution(devices.flatMap((d) => d.workflowTaskWaitsMs ?? [])),
    benchEventLoopDelayP99Ms: round(loop.percentile(99) / 1e6, 1),
    logLines, workerThreads, serverMetrics,
    peakRunsInFlight: peakRunsInFlight(devices),
    ...(firmwareDelaySeconds ? { firmwareDelaySeconds } : {}),
  };
}

async function plainPhase(shared: Shared, concurrency: number): Promise<PhaseResult> {
  const { layout, siteDb, store } = await phaseSite(shared, 'plain', 'PP');
  await store.close();
  const fleet = await startBenchFleet({ spec: specs.plain, rootPem: shared.rootPem, devicePassword: shared.devicePassword, helloTarget: null });
  const stopFleet = onCleanup(() => fleet.stop());
  const inputFile = path.join(shared.tmp, 'plain-input.json');
  const outputFile = path.join(shared.tmp, 'plain-output.json');
  writeFileSync(inputFile, JSON.stringify({
    siteDb, concurrency, trustedRootHashes: helloRootHashes(shared.rootPem),
    devices: layout.uuids.map((uuid, i) => ({ uuid, address: layout.addresses[i] })),
  }));
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  step(`plain ${latency ? "baseline of the device's own time" : 'baseline'}: ${specs.plain.count} devices (${specs.plain.baseIp}...), at most ${concurrency} activities at once`);
  const plainLog = path.join(shared.logDir, 'plain.log');
  const plain: MeasuredChild = startPlainProcess(inputFile, outputFile, shared.masterKeyRing, plainLog);
  onCleanup(() => plain.stop());
  shared.sampler.watch('plain', { pid: plain.pid, tree: false });
  let peak = 0;
  const rssWatch = setInterval(() => { peak = Math.max(peak, peakRssMiB(plain.pid)); }, 250);
  const code = await within(plain.exited, timeoutMs);
  clearInterval(rssWatch);
  loop.disable();
  if (code !== 0) throw new Error(`plain baseline ${code === 'timeout' ? 'timed out' : `exited with code ${code}`} (see ${plainLog})`);
  const firmwareDelaySeconds = latency ? firmwareDelays(fleet) : undefined;
  writeFleetCounters(fleet, path.join(shared.logDir, 'fleet-counters-plain.json'));
  await stopFleet();
  const { devices } = JSON.parse(readFileSync(outputFile, 'utf8')) as { devices: DeviceRecord[] };
  writeFileSync(path.join(shared.logDir, 'devices-plain.json'), JSON.stringify(devices));
  const summary = summarisePhase(devices);
  return {
    summary, costs: shared.sampler.cost(summary.firstStart, summary.lastFinish), extraRuns: 0,
    peakRssMiB: { plain: peak }, benchEventLoopDelayP99Ms: round(loop.percentile(99) / 1e6, 1),
    logLines: { workerErrors: countLines(plainLog, / (ERROR|WARN) /), sqliteBusy: countLines(plainLog, /SQLITE_BUSY|database is locked/i) },
    ...(firmwareDelaySeconds ? { firmwareDelaySeconds } : {}),
  };
}

async function main(): Promise<void> {
  const started = new Date();
  const loadAverageAtStart = os.loadavg().map((l) => round(l, 1));
  const stateRoot = benchStateRoot(count);
  const logDir = path.join(stateRoot, 'logs');
  rmSync(logDir, { recursive: true, force: true });
  mkdirSync(logDir, { recursive: true });
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'amtprov-bench-'));
  onCleanup(() => rmSync(tmp, { recursive: true, force: true }));
  step(`Samba AD DC (${testAdDir()})`);
  const samba = await ensureSamba(testAdDir());
  onCleanup(() => samba.stop());
  const pki = benchPki();
  const shared: Shared = {
    samba, pki, rootPem: pki.root.certPem, devicePassword: fleetDevicePassword(count), tmp, logDir,
    sampler: new ProcSampler(), masterKeyRing: `bench:${randomBytes(32).toString('base64')}`,
  };
  const resetFleet = async (spec: FleetSpec): Promise<void> => {
    step(`resetting the ${spec.label} fleet (${fleetLayout(spec).stateDir}) to factory state`);
    const prepared = await resetFleetToFactory({ spec, rootPem: shared.rootPem, devicePassword: shared.devicePassword });
    step(`  ${prepared.firstBoot ? 'first boot (RSA keys made)' : 'warm boot'} in ${prepared.bootMs} ms; all ${spec.count} devices unprovisioned`);
  };
  for (const spec of Object.values(specs)) await resetFleet(spec);
  shared.sampler.watch('samba', { pid: samba.pid, tree: true });
  shared.sampler.watch('bench (fleet, listener)', { pid: process.pid, tree: false });
  shared.sampler.start();
  onCleanup(() => shared.sampler.stop());

  const temporal: PhaseResult[] = [];
  for (const [i, profile] of profiles.entries()) {
    // The previous profile's phase provisioned the Temporal fleet: back to factory state.
    if (i > 0) await resetFleet(specs.temporal);
    temporal.push(await temporalPhase(shared, profile));
  }
  const plain = await plainPhase(shared, plainConcurrency);
  const results: BenchResults = {
    date: started.toISOString(),
    machine: {
      cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown', memoryGiB: Math.round(os.totalmem() / 2 ** 30),
      node: process.version, platform: `${os.platform()} ${os.release()}`, loadAverageAtStart, loadAverageAtEnd: os.loadavg().map((l) => round(l, 1)),
    },
    devices: count,
    firmwareVersion,
    firmwareFamily: firmwareFamily(firmwareVersion),
    plainConcurrency,
    ...(values.label !== undefined ? { label: values.label } : {}),
    temporalOverrides: overrides,
    temporalSettings: effectiveTemporalSettings(overrides),
    temporal: latency ? temporal : temporal.map((phase) => ({ ...phase, overheadRatio: plain.summary.wallSeconds > 0 ? round(phase.summary.wallSeconds / plain.summary.wallSeconds, 2) : 0 })),
    plain,
    ...(latency ? { latency: temporal.map((phase) => latencyFigures(phase, plain)) } : {}),
  };
  printSummary(results);
  if (results.latency) printLatencySummary(results.latency);
  const file = writeResults(results);
  step(`results written to ${path.relative(process.cwd(), file)}; logs in ${path.relative(process.cwd(), logDir)}`);
}

runMain(storm ? () => runStorm(process.argv.slice(2), onCleanup) : main, cleanups);
