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

/** The project's Temporal config (search attributes, dynamic config, plus any extra) on free ports of host, its data in dir. */
export async function startBenchTemporal(profile: BenchProfile, host: string, dir: string, logDir: string, dynamicConfig: Record<string, string | number | boolean>, log: Logger): Promise<BenchTemporal> {
  const config = loadDevStackConfig();
  const allDynamicConfig = { ...config.dynamicConfig, ...dynamicConfig };
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
    server: { ...config.server, ip: host, port, uiPort, uiCodecPort, dbFile: path.join(dir, 'temporal.sqlite'), logLevel: 'warn' },
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

function spawnLogged(args: string[], env: NodeJS.ProcessEnv, logFile: string, onLine?: (line: string) => void): MeasuredChild {
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: projectRoot(), env, stdio: ['ignore', 'pipe', 'pipe'] });
  const log = createWriteStream(logFile);
  let pending = '';
  const collect = (chunk: Buffer): void => {
    log.write(chunk);
    if (!onLine) return;
    const lines = (pending + chunk.toString()).split('\n');
    pending = lines.pop() ?? '';
    lines.forEach(onLine);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => { log.end(); resolve(code); }));
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
}

/** `amtprov worker` on the default task queue of the benchmark's own server; resolves once it polls. */
export async function startWorkerProcess(env: WorkerEnv, logFile: string, timeoutMs = 180_000): Promise<MeasuredChild> {
  let ready: () => void = () => undefined;
  const running = new Promise<void>((resolve) => { ready = resolve; });
  const worker = spawnLogged([path.join(projectRoot(), 'src', 'cli.ts'), 'worker', ...(env.args ?? [])], {
    ...process.env,
    TEMPORAL_ADDRESS: env.temporalAddress, TEMPORAL_NAMESPACE: env.namespace, AMTPROV_SITE_DB: env.siteDb,
    AMTPROV_MASTER_KEY: env.masterKeyRing, AMTPROV_CODEC_KEY: env.codecKeyRing, AMTPROV_DATA_DIR: env.dataDir, AMTPROV_LOG_LEVEL: 'info',
  }, logFile, (line) => { if (line.includes('worker running')) ready(); });
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    running.then(() => 'running' as const),
    worker.exited.then((code) => `exited with code ${code}` as const),
    new Promise<string>((resolve) => { timer = setTimeout(() => resolve(`not running after ${timeoutMs} ms`), timeoutMs); }),
  ]);
  clearTimeout(timer);
  if (outcome !== 'running') {
    await worker.stop();
    throw new Error(`amtprov worker ${outcome} (see ${logFile})`);
  }
  return worker;
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
