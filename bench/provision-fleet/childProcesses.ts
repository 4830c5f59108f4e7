// The processes the benchmark measures on their own: the benchmark's private Temporal dev
// server, the worker (`amtprov worker`, exactly as operators run it) and the plain baseline.
// Their output goes to log files under .tools/bench-fleet-<N>/logs for inspection.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import { startDevServer, type DevServerHandle } from '../../src/stack/devServer';
import { loadDevStackConfig } from '../../src/config/temporalDev';
import { freePort } from '../../src/net/ports';
import { projectRoot } from '../../src/config/paths';

/** A dev server of the project's config (search attributes, dynamic config, plus any extra) on free ports of host, SQLite in dbDir. */
export async function startBenchTemporal(host: string, dbDir: string, logDir: string, dynamicConfig: Record<string, string | number | boolean> = {}): Promise<DevServerHandle> {
  const config = loadDevStackConfig();
  const [port, uiPort, uiCodecPort] = [await freePort(host), await freePort(host), await freePort(host)];
  return startDevServer({
    ...config,
    dynamicConfig: { ...config.dynamicConfig, ...dynamicConfig },
    server: { ...config.server, ip: host, port, uiPort, uiCodecPort, dbFile: path.join(dbDir, 'temporal.sqlite'), logLevel: 'warn' },
  }, { logDir });
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
}

/** `amtprov worker` on the default task queue of the benchmark's own server; resolves once it polls. */
export async function startWorkerProcess(env: WorkerEnv, logFile: string, timeoutMs = 180_000): Promise<MeasuredChild> {
  let ready: () => void = () => undefined;
  const running = new Promise<void>((resolve) => { ready = resolve; });
  const worker = spawnLogged([path.join(projectRoot(), 'src', 'cli.ts'), 'worker'], {
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
