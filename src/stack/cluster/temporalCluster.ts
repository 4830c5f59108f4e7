// A real Temporal server on this machine ("the production shape on one machine"): our own
// PostgreSQL (src/stack/postgres.ts), the temporal and temporal_visibility schemas set up with
// the server's sql tool, the server from a generated config with N history shards, the
// project's namespace and search attributes, and optionally the Web UI server pointed at it
// with the project's codec endpoint. Everything lives in one directory and survives restarts;
// stop() stops what start started, in reverse.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { stringify } from 'yaml';
import type { Logger } from '../../log';
import { assertPortsFree, isPortFree, waitForTcp } from '../../net/ports';
import { waitForTemporal } from '../devServer';
import { startPostgres, type RunningPostgres } from '../postgres';
import { ensureClusterBinaries, SQL_PLUGIN, type ClusterBinaries } from './binaries';
import { allPorts, dynamicConfigYaml, serverConfigYaml, TEMPORAL_DB, VISIBILITY_DB, type DatabaseAccess, type ServerPorts } from './serverConfig';

const run = promisify(execFile);

/** How long finished runs stay visible (and their histories readable) in the namespace. */
export const NAMESPACE_RETENTION_DAYS = 30;

export interface TemporalClusterOptions {
  /** Holds postgres/, the generated config, the UI server's config and the logs. */
  dir: string;
  host: string;
  ports: ServerPorts;
  /** Fixed PostgreSQL port (the profile), or a free one (tests, bench). */
  postgresPort?: number;
  historyShards: number;
  namespace: string;
  searchAttributes: Record<string, string>;
  dynamicConfig: Record<string, string | number | boolean>;
  /** The Web UI server; off when undefined (tests and the bench need no UI). */
  ui?: { port: number; codecEndpoint?: string };
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  log: Logger;
  timeoutMs?: number;
}

export interface TemporalCluster {
  /** Where its database, config and logs live. */
  dir: string;
  address: string;
  namespace: string;
  historyShards: number;
  uiUrl: string | undefined;
  metricsUrl: string;
  pid: number;
  logFile: string;
  postgres: RunningPostgres;
  binaries: ClusterBinaries;
  stop(): Promise<void>;
}

interface Stoppable { what: string; stop: () => Promise<void> }

export async function startTemporalCluster(options: TemporalClusterOptions): Promise<TemporalCluster> {
  const { host, ports, log } = options;
  if (!Number.isInteger(options.historyShards) || options.historyShards < 1 || options.historyShards > 16384) {
    throw new Error(`history shards must be a whole number from 1 to 16384, got ${options.historyShards}`);
  }
  await assertPortsFree(allPorts(ports).map((port) => ({ host, port, what: 'Temporal server (cluster profile)' })));
  if (options.ui) await assertPortsFree([{ host, port: options.ui.port, what: 'Temporal Web UI (cluster profile)' }]);
  const binaries = await ensureClusterBinaries(log);
  const dir = path.resolve(options.dir);
  const logDir = path.join(dir, 'logs');
  mkdirSync(logDir, { recursive: true });

  const started: Stoppable[] = [];
  const stop = async (): Promise<void> => {
    for (const { what, stop: stopOne } of started.splice(0).reverse()) {
      try {
        await stopOne();
      } catch (err) {
        log.error(`stopping ${what} failed`, { error: (err as Error).message });
      }
    }
  };
  try {
    // The Temporal server keeps ~1.5 connections per shard per pool; leave room for the site store.
    const postgres = await startPostgres({ dir: path.join(dir, 'postgres'), host, ...(options.postgresPort ? { port: options.postgresPort } : {}), maxConnections: 300 });
    started.push({ what: 'PostgreSQL', stop: () => postgres.stop() });
    const database = databaseAccess(postgres);
    for (const db of [TEMPORAL_DB, VISIBILITY_DB]) await ensureSchema(binaries, database, db, postgres);

    const configFile = path.join(dir, 'temporal-server.yaml');
    const dynamicConfigFile = path.join(dir, 'dynamicconfig.yaml');
    writeFileSync(dynamicConfigFile, dynamicConfigYaml(options.dynamicConfig));
    // The config holds the database password: readable by its owner only.
    writeFileSync(configFile, serverConfigYaml({ host, ports, historyShards: options.historyShards, database, dynamicConfigFile, logLevel: options.logLevel ?? 'warn' }), { mode: 0o600 });

    const logFile = path.join(logDir, 'temporal-server.log');
    const server = spawnLogged(binaries.server, ['--config-file', configFile, '--allow-no-auth', 'start'], logFile);
    started.push({ what: 'Temporal server', stop: () => stopChild(server) });
    const address = `${host}:${ports.frontend}`;
    try {
      await waitForTemporal(address, options.timeoutMs ?? 120_000, server);
    } catch (err) {
      throw new Error(`${(err as Error).message} (see ${logFile})`, { cause: err });
    }
    const connection = await Connection.connect({ address });
    try {
      await refuseShardMismatch(connection, options.historyShards, dir);
      await ensureNamespace(connection, options.namespace, options.searchAttributes, options.timeoutMs ?? 120_000);
    } finally {
      await connection.close();
    }

    let uiUrl: string | undefined;
    if (options.ui) {
      const ui = await startUiServer(binaries, { dir: path.join(dir, 'ui'), host, port: options.ui.port, temporalAddress: address, namespace: options.namespace, codecEndpoint: options.ui.codecEndpoint, logFile: path.join(logDir, 'ui-server.log') });
      started.push({ what: 'Temporal UI server', stop: () => stopChild(ui) });
      uiUrl = `http://${host}:${options.ui.port}`;
    }
    return {
      dir, address, namespace: options.namespace, historyShards: options.historyShards, uiUrl,
      metricsUrl: `http://${host}:${ports.metrics}/metrics`, pid: server.pid!, logFile, postgres, binaries, stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

function databaseAccess(postgres: RunningPostgres): DatabaseAccess {
  // Our own throwaway-or-persistent server: the Temporal server uses its superuser (a managed
  // database would give it a role of its own, docs/deploy.md).
  const url = new URL(postgres.superuserUrl());
  return { host: postgres.host, port: postgres.port, user: decodeURIComponent(url.username), password: decodeURIComponent(url.password) };
}

/** Creates the database and its schema on first start; later starts apply any newer schema versions (idempotent). */
async function ensureSchema(binaries: ClusterBinaries, database: DatabaseAccess, db: string, postgres: RunningPostgres): Promise<void> {
  const versioned = path.join(binaries.schemaDir, db === TEMPORAL_DB ? 'temporal' : 'visibility', 'versioned');
  if (!existsSync(versioned)) throw new Error(`schema directory ${versioned} is missing (rebuild with npm run cluster -- --build-only)`);
  await postgres.createDatabase(db);
  const base = ['--plugin', SQL_PLUGIN, '--ep', database.host, '-p', String(database.port), '-u', database.user, '--db', db];
  // The password goes through the environment, not the argument list other users can read.
  const env = { ...process.env, SQL_PASSWORD: database.password };
  const sql = async (args: string[]): Promise<void> => {
    try {
      await run(binaries.sqlTool, [...base, ...args], { env });
    } catch (err) {
      const stderr = String((err as { stderr?: string }).stderr ?? '').trim().split('\n').slice(-3).join(' | ');
      throw new Error(`temporal sql tool ${args[0]} on database ${db} failed: ${stderr || (err as Error).message}`, { cause: err });
    }
  };
  // setup-schema -v 0.0 creates the version tables; on an existing schema it is a no-op.
  await sql(['setup-schema', '-v', '0.0']);
  await sql(['update-schema', '-d', versioned]);
}

async function refuseShardMismatch(connection: Connection, wanted: number, dir: string): Promise<void> {
  const info = await connection.workflowService.getClusterInfo({});
  const persisted = info.historyShardCount ?? 0;
  if (persisted !== wanted) {
    // The server silently keeps the count its database was created with; say so instead.
    throw new Error(`the cluster's database in ${dir} was created with ${persisted} history shards, not ${wanted}: ` +
      `the shard count is fixed for the database's life. Start with --shards ${persisted}, or delete ${dir} to start over with ${wanted} (its runs are lost)`);
  }
}

const SEARCH_ATTRIBUTE_TYPES: Record<string, temporal.api.enums.v1.IndexedValueType> = {
  Text: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
  Keyword: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  Int: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_INT,
  Double: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
  Bool: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
  Datetime: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
  KeywordList: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
};

/** Registers the namespace and its custom search attributes when missing; waits until runs can be listed in it. */
async function ensureNamespace(connection: Connection, namespace: string, searchAttributes: Record<string, string>, timeoutMs: number): Promise<void> {
  const described = await connection.workflowService.describeNamespace({ namespace }).then(() => true, (err: { code?: number }) => {
    if (err.code === 5) return false; // NOT_FOUND
    throw err;
  });
  if (!described) {
    await connection.workflowService.registerNamespace({
      namespace, workflowExecutionRetentionPeriod: msToTs(`${NAMESPACE_RETENTION_DAYS} days`),
      description: 'amt-provisioner provisioning runs',
    });
  }
  const deadline = Date.now() + timeoutMs;
  let lastError: string;
  for (;;) {
    try {
      // A new namespace reaches every service's cache after a refresh interval (~10 s).
      const existing = await connection.operatorService.listSearchAttributes({ namespace });
      const missing = Object.entries(searchAttributes).filter(([name]) => !(name in (existing.customAttributes ?? {})));
      if (missing.length > 0) {
        await connection.operatorService.addSearchAttributes({
          namespace, searchAttributes: Object.fromEntries(missing.map(([name, type]) => [name, searchAttributeType(type)])),
        });
      }
      await connection.workflowService.listWorkflowExecutions({ namespace, pageSize: 1, query: `${Object.keys(searchAttributes)[0] ?? 'WorkflowType'} = 'x'` });
      return;
    } catch (err) {
      lastError = (err as Error).message;
    }
    if (Date.now() > deadline) throw new Error(`namespace ${namespace} not ready after ${timeoutMs} ms: ${lastError}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

function searchAttributeType(type: string): temporal.api.enums.v1.IndexedValueType {
  const value = SEARCH_ATTRIBUTE_TYPES[type];
  if (value === undefined) throw new Error(`unknown search attribute type ${type}`);
  return value;
}

interface UiServerOptions {
  dir: string;
  host: string;
  port: number;
  temporalAddress: string;
  namespace: string;
  codecEndpoint: string | undefined;
  logFile: string;
}

/** The UI server reads <root>/config/<env>.yaml; we write the whole config, nothing from upstream's samples. */
export function uiServerConfigYaml(options: Pick<UiServerOptions, 'host' | 'port' | 'temporalAddress' | 'namespace' | 'codecEndpoint'>): string {
  return stringify({
    temporalGrpcAddress: options.temporalAddress,
    host: options.host,
    port: options.port,
    enableUi: true,
    defaultNamespace: options.namespace,
    disableNewsFetch: true,
    notifyOnNewVersion: false,
    cors: { allowOrigins: [`http://${options.host}:${options.port}`], cookieInsecure: true },
    // The codec endpoint decodes payloads in the browser (it refuses other origins, src/temporal/codecServer.ts).
    codec: { endpoint: options.codecEndpoint ?? '', passAccessToken: false, includeCredentials: false },
    auth: { enabled: false },
  });
}

async function startUiServer(binaries: ClusterBinaries, options: UiServerOptions): Promise<ChildProcess> {
  mkdirSync(path.join(options.dir, 'config'), { recursive: true });
  writeFileSync(path.join(options.dir, 'config', 'cluster.yaml'), uiServerConfigYaml(options));
  const child = spawnLogged(binaries.uiServer, ['--root', options.dir, '--config', 'config', '--env', 'cluster', 'start'], options.logFile);
  try {
    await Promise.race([
      waitForTcp(options.host, options.port, 30_000),
      new Promise((_, reject) => child.once('exit', (code) => reject(new Error(`the Temporal UI server exited with code ${code} (see ${options.logFile})`)))),
    ]);
  } catch (err) {
    await stopChild(child);
    throw err;
  }
  return child;
}

function spawnLogged(file: string, args: string[], logFile: string): ChildProcess {
  const fd = openSync(logFile, 'a');
  // Its own process group: a Ctrl-C reaches only us, and we stop it after what uses it.
  const child = spawn(file, args, { stdio: ['ignore', fd, fd], detached: true });
  closeSync(fd);
  return child;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

/**
 * Every service port on a free port of host (tests and the bench run clusters next to other
 * servers). Below 32768: the server stores membership ports as a PostgreSQL smallint, and
 * that is also below Linux's ephemeral range, where outgoing connections take theirs.
 */
export async function freeServerPorts(host: string): Promise<ServerPorts> {
  const taken = new Set<number>();
  while (taken.size < 10) {
    const port = 20_000 + randomInt(12_000);
    if (!taken.has(port) && (await isPortFree(host, port))) taken.add(port);
  }
  const [frontend, frontendHttp, history, matching, worker, m1, m2, m3, m4, metrics] = [...taken] as [number, number, number, number, number, number, number, number, number, number];
  return { frontend, frontendHttp, history, matching, worker, membership: [m1, m2, m3, m4], metrics };
}
