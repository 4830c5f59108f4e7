// The Temporal server's YAML configuration and dynamic config file for the cluster profile:
// one process running all four services (frontend, history, matching, worker) on one
// address, PostgreSQL persistence for history and visibility, N history shards, Prometheus
// metrics. Pure functions of their inputs, so the shape is unit-tested without a server.
import { stringify } from 'yaml';
import { SQL_PLUGIN } from './binaries';

export const TEMPORAL_DB = 'temporal';
export const VISIBILITY_DB = 'temporal_visibility';

/** The services' ports, derived from the front end's the way Temporal's sample configs lay them out. */
export interface ServerPorts {
  frontend: number;
  frontendHttp: number;
  history: number;
  matching: number;
  worker: number;
  /** Membership (ringpop) ports, one per service, in the order frontend, history, matching, worker. */
  membership: [number, number, number, number];
  metrics: number;
}

/** frontend 7233 -> history 7234, matching 7235, worker 7239, HTTP 7243, membership 6933-6939. */
export function portsFromFrontend(frontend: number, metrics: number): ServerPorts {
  const m = frontend - 300;
  return { frontend, frontendHttp: frontend + 10, history: frontend + 1, matching: frontend + 2, worker: frontend + 6, membership: [m, m + 1, m + 2, m + 6], metrics };
}

export function allPorts(ports: ServerPorts): number[] {
  return [ports.frontend, ports.frontendHttp, ports.history, ports.matching, ports.worker, ...ports.membership, ports.metrics];
}

export interface DatabaseAccess {
  host: string;
  port: number;
  user: string;
  password: string;
}

export interface ServerConfigInput {
  host: string;
  ports: ServerPorts;
  historyShards: number;
  database: DatabaseAccess;
  dynamicConfigFile: string;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** Connections per history datastore; visibility gets half. */
  maxConns?: number;
}

function datastore(database: DatabaseAccess, databaseName: string, maxConns: number) {
  return {
    sql: {
      pluginName: SQL_PLUGIN, databaseName, connectAddr: `${database.host}:${database.port}`, connectProtocol: 'tcp',
      user: database.user, password: database.password, maxConns, maxIdleConns: maxConns, maxConnLifetime: '1h',
    },
  };
}

export function serverConfigYaml(input: ServerConfigInput): string {
  const { host, ports } = input;
  const maxConns = input.maxConns ?? 20;
  const rpc = (grpcPort: number, membershipPort: number, extra: Record<string, number> = {}) => ({ rpc: { grpcPort, membershipPort, bindOnIP: host, ...extra } });
  const frontendAddress = `${host}:${ports.frontend}`;
  const config = {
    log: { stdout: true, level: input.logLevel, format: 'json' },
    persistence: {
      defaultStore: 'default',
      visibilityStore: 'visibility',
      // Fixed for the database's life: the server keeps the count it was created with.
      numHistoryShards: input.historyShards,
      datastores: { default: datastore(input.database, TEMPORAL_DB, maxConns), visibility: datastore(input.database, VISIBILITY_DB, Math.max(2, Math.floor(maxConns / 2))) },
    },
    global: {
      membership: { maxJoinDuration: '30s', broadcastAddress: host },
      metrics: { prometheus: { framework: 'tally', timerType: 'histogram', listenAddress: `${host}:${ports.metrics}` } },
    },
    services: {
      frontend: rpc(ports.frontend, ports.membership[0], { httpPort: ports.frontendHttp }),
      history: rpc(ports.history, ports.membership[1]),
      matching: rpc(ports.matching, ports.membership[2]),
      worker: rpc(ports.worker, ports.membership[3]),
    },
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: { active: { enabled: true, initialFailoverVersion: 1, rpcName: 'frontend', rpcAddress: frontendAddress } },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    archival: { history: { state: 'disabled' }, visibility: { state: 'disabled' } },
    namespaceDefaults: { archival: { history: { state: 'disabled' }, visibility: { state: 'disabled' } } },
    publicClient: { hostPort: frontendAddress },
    dynamicConfigClient: { filepath: input.dynamicConfigFile, pollInterval: '10s' },
  };
  return stringify(config);
}

/** temporal-dev.yaml's `dynamicConfig` (KEY: value) in the server's file format (KEY: [{value, constraints}]). */
export function dynamicConfigYaml(values: Record<string, string | number | boolean>): string {
  return stringify(Object.fromEntries(Object.entries(values).map(([key, value]) => [key, [{ value, constraints: {} }]])));
}
