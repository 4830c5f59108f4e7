// The processes the benchmark measures on their own: the benchmark's private Temporal (the
// dev server, or the cluster profile's real server on its own PostgreSQL), the worker
// (`amtprov worker`, exactly as operators run it) and the plain baseline. Their output goes
// to log files under .tools/bench-fleet-<N>/logs for inspection.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../../src/log';
import { loadDevStackConfig } from '../../src/config/temporalDev';
import { projectRoot } from '../../src/config/paths';
import { startTemporalCluster, freeServerPorts } from '../../src/stack/cluster/temporalCluster';
import { startDevServer } from '../../src/stack/devServer';
import { freePort } from '../../src/net/ports';
import { metricsUrlFromDevServerLog } from './temporalMetrics';

export type BenchProfile = { kind: 'dev' } | { kind: 'cluster'; historyShards: number };

export interface BenchTemporal {
  address: string;
  namespace: string;
  historyShards: number;
  /** Process trees the sampler counts as "Temporal server" (the cluster's PostgreSQL is its own group). */
  pids: { server: number; postgres?: number };
  logFile: string;
  metricsUrl: string | undefined;
  stop(): Promise<void>;
}

/** A run's changes to the project's Temporal settings (temporal-dev.yaml), for lever experiments. */
export interface TemporalOverrides {
  dynamicConfig?: Record<string, string | number | boolean>;
  /** Dev server only: replaces temporal-dev.yaml's server.sqlitePragmas key by key. */
  sqlitePragmas?: Record<string, string>;
}

/** The settings a run's Temporal actually had: the project's with the run's overrides. */
export function effectiveTemporalSettings(overrides: TemporalOverrides): { dynamicConfig: Record<string, string | number | boolean>; sqlitePragmas: Record<string, string | number> } {
  const config = loadDevStackConfig();
  return {
    dynamicConfig: { ...config.dynamicConfig, ...overrides.dynamicConfig },
    sqlitePragmas: { ...config.server.sqlitePragmas, ...overrides.sqlitePragmas },
  };
}

/** The project's Temporal config (search attributes, dynamic config, SQLite pragmas, with the overrides) on free ports of host, its data in dir. */
export async function startBenchTemporal(profile: BenchProfile, host: string, dir: string, logDir: string, overrides: TemporalOverrides, log: Logger): Promise<BenchTemporal> {
  const config = loadDevStackConfig();
  const { dynamicConfig: allDynamicConfig, sqlitePragmas } = effectiveTemporalSettings(overrides);
  if (profile.kind === 'cluster') {
    const cluster = await startTemporalCluster({
      dir: path.join(dir, 'cluster'), host, ports: await freeServerPorts(host), historyShards: profile.historyShards,
      namespace: config.server.namespace, searchAttributes: config.searchAttributes, dynamicConfig: allDynamicConfig, log,
    });
    // pg_ctl detaches the postmaster; its pid is the first line of postmaster.pid.
    const postgres = Number(readFileSync(path.join(dir, 'cluster', 'postgres', 'pgdata', 'postmaster.pid'), 'utf8').split('\n')[0]);
    return {
      address: cluster.address, namespace: cluster.namespace, historyShards: cluster.historyShards, pids: { server: cluster.pid, postgres },
      logFile: cluster.logFile, metricsUrl: cluster.metricsUrl, stop: () => cluster.stop(),
    };
  }
  const [port, uiPort, uiCodecPort] = [await freePort(host), await freePort(host), await freePort(host)];
  const dev = await startDevServer({
    ...config,
    dynamicConfig: allDynamicConfig,
    server: { ...config.server, ip: host, port, uiPort, uiCodecPort, dbFile: path.join(dir, 'temporal.sqlite'), logLevel: 'warn', sqlitePragmas },
  }, { logDir });
  return {
    address: dev.address, namespace: dev.namespace, historyShards: 1, pids: { server: dev.pid }, logFile: dev.logFile,
    metricsUrl: metricsUrlFromDevServerLog(dev.logFile), stop: () => dev.stop(),
  };
}

export interface MeasuredChild {
  child: ChildProcess;
  pid: number;
  exited: Promise<number | null>;
  /** SIGTERM, then SIGKILL after 15 s; resolves when it is gone. */
  stop(): Promise<void>;
}

function spawnLogged(args: string[], env: NodeJS.ProcessEnv, logFile: string, nodeArgs: string[] = []): MeasuredChild {
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', ...args], { cwd: projectRoot(), env, stdio: ['ignore', 'pipe', 'pipe'] });
  const log = createWriteStream(logFile);
  child.stdout.pipe(log, { end: false });
  child.stderr.pipe(log, { end: false });
  // 'close', not 'exit': the pipes have drained into the log by then.
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => { log.end(); resolve(code); }));
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  };
  if (child.pid === undefined) throw new Error(`could not start ${args.join(' ')}`);
  return { child, pid: child.pid, exited, stop };
}

export interface WorkerEnv {
  temporalAddress: string;
  namespace: string;
  siteDb: string;
  masterKeyRing: string;
  codecKeyRing: string;
  dataDir: string;
  /** Extra `amtprov worker` flags (workflow-task tuning). */
  args?: string[];
  /** AMTPROV_LOG_LEVEL (default info, the product's default). */
  logLevel?: string;
  /** Write a V8 CPU profile of the worker's main thread into this directory when it exits (node --cpu-prof). */
  cpuProfileDir?: string;
}

/**
 * `amtprov worker` on the default task queue of the benchmark's own server; resolves once its
 * GET /readyz answers 200 (whatever its log level), on a free metrics port of 127.0.0.1.
 */
export async function startWorkerProcess(env: WorkerEnv, logFile: string, timeoutMs = 180_000): Promise<MeasuredChild> {
  const metrics = `127.0.0.1:${await freePort('127.0.0.1')}`;
  const worker = spawnLogged([path.join(projectRoot(), 'src', 'cli.ts'), 'worker', '--metrics', metrics, ...(env.args ?? [])], {
    ...process.env,
    TEMPORAL_ADDRESS: env.temporalAddress, TEMPORAL_NAMESPACE: env.namespace, AMTPROV_SITE_DB: env.siteDb,
    AMTPROV_MASTER_KEY: env.masterKeyRing, AMTPROV_CODEC_KEY: env.codecKeyRing, AMTPROV_DATA_DIR: env.dataDir, AMTPROV_LOG_LEVEL: env.logLevel ?? 'info',
  }, logFile, env.cpuProfileDir !== undefined ? ['--cpu-prof', '--cpu-prof-dir', env.cpuProfileDir] : []);
  let exited: string | undefined;
  void worker.exited.then((code) => { exited = `exited with code ${code}`; });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ready = await fetch(`http://${metrics}/readyz`).then((r) => r.status === 200, () => false);
    if (ready) return worker;
    const failure = exited ?? (Date.now() > deadline ? `not ready after ${timeoutMs} ms` : undefined);
    if (failure) {
      await worker.stop();
      throw new Error(`amtprov worker ${failure} (see ${logFile})`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

export function startPlainProcess(inputFile: string, outputFile: string, masterKeyRing: string, logFile: string): MeasuredChild {
  return spawnLogged([path.join(__dirname, 'plainRun.ts'), inputFile, outputFile], {
    ...process.env, AMTPROV_MASTER_KEY: masterKeyRing, AMTPROV_LOG_LEVEL: 'info',
  }, logFile);
}

/** The storm's Hello sender (helloSender.ts): one burst from the input file, its outcome in the output file. */
export function startHelloSenderProcess(inputFile: string, outputFile: string, logFile: string): MeasuredChild {
  return spawnLogged([path.join(__dirname, 'helloSender.ts'), inputFile, outputFile], process.env, logFile);
}
