// Runs the Temporal CLI dev server (gRPC front end, Web UI, SQLite persistence) as a child
// process from a DevStackConfig, waits until it answers health checks, and stops it.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, closeSync } from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { grpc } from '@temporalio/proto';
import type { DevStackConfig } from '../config/temporalDev';
import { dataDir } from '../config/paths';
import { assertPortsFree } from '../net/ports';
import { resolveTemporalCli } from './temporalCli';

export interface DevServerHandle {
  address: string;
  uiUrl: string;
  namespace: string;
  pid: number;
  dbFile: string;
  logFile: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

export function devServerArgs(config: DevStackConfig, dbFile: string, codecEndpoint?: string): string[] {
  const s = config.server;
  const args = ['server', 'start-dev', '--ip', s.ip, '--port', String(s.port), '--ui-port', String(s.uiPort),
    '--db-filename', dbFile, '--namespace', s.namespace, '--log-level', s.logLevel, '--log-format', s.logFormat,
    '--ui-disable-news-fetch'];
  for (const [name, type] of Object.entries(config.searchAttributes)) args.push('--search-attribute', `${name}=${type}`);
  for (const [key, value] of Object.entries(config.dynamicConfig)) args.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`);
  for (const [key, value] of Object.entries(s.sqlitePragmas)) args.push('--sqlite-pragma', `${key}=${value}`);
  if (codecEndpoint) args.push('--ui-codec-endpoint', codecEndpoint);
  return args;
}

/** Polls the gRPC health service until the front end reports SERVING. */
export async function waitForTemporal(address: string, timeoutMs: number, child?: ChildProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = 'no answer';
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) throw new Error(`the Temporal server exited with code ${child.exitCode} during start-up`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        const health = await connection.healthService.check({});
        if (health.status === grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING) return;
        lastError = `health status ${health.status}`;
      } finally {
        await connection.close();
      }
    } catch (err) {
      lastError = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`Temporal at ${address} not healthy after ${timeoutMs} ms: ${lastError}`);
}

/** The dev server's SQLite file: in the data dir, with the codec key its payloads were encrypted with (they belong together). */
export function devServerDbFile(config: DevStackConfig): string {
  return path.resolve(dataDir(), config.server.dbFile);
}

export async function startDevServer(config: DevStackConfig, options: { logDir: string; codecEndpoint?: string; timeoutMs?: number }): Promise<DevServerHandle> {
  const s = config.server;
  await assertPortsFree([
    { host: s.ip, port: s.port, what: 'Temporal gRPC, server.port in temporal-dev.yaml' },
    { host: s.ip, port: s.uiPort, what: 'Temporal Web UI, server.uiPort in temporal-dev.yaml' },
  ]);
  const cli = await resolveTemporalCli();
  const dbFile = devServerDbFile(config);
  mkdirSync(path.dirname(dbFile), { recursive: true });
  mkdirSync(options.logDir, { recursive: true });
  const logFile = path.join(options.logDir, 'temporal.log');
  const logFd = openSync(logFile, 'a');
  // Its own process group: a Ctrl-C reaches only us, and we stop the server last, after the
  // worker and listener that use it.
  const child = spawn(cli.path, devServerArgs(config, dbFile, options.codecEndpoint), { stdio: ['ignore', logFd, logFd], detached: true });
  closeSync(logFd);
  const address = `${s.ip}:${s.port}`;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  try {
    await waitForTemporal(address, options.timeoutMs ?? 60_000, child);
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message} (see ${logFile})`, { cause: err });
  }
  return { address, uiUrl: `http://${s.ip}:${s.uiPort}`, namespace: s.namespace, pid: child.pid!, dbFile, logFile, child, stop };
}
