// The cluster profile's real Temporal server for a test file: our PostgreSQL, the server with
// N history shards, the project's namespace and search attributes (temporal-dev.yaml), on
// free ports of the caller's loopback address, in a temp dir removed by stop().
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLogger } from '../../src/log';
import { freeServerPorts, startTemporalCluster, type TemporalCluster } from '../../src/stack/cluster/temporalCluster';
import { loadDevStackConfig } from '../../src/config/temporalDev';

export interface TestCluster extends TemporalCluster {
  /** Stops everything and removes the directory (unless the test passed its own). */
  stop(): Promise<void>;
}

export async function startTestCluster(options: { host: string; historyShards?: number; dir?: string }): Promise<TestCluster> {
  const config = loadDevStackConfig();
  const dir = options.dir ?? mkdtempSync(path.join(os.tmpdir(), 'amtprov-cluster-'));
  const cluster = await startTemporalCluster({
    dir, host: options.host, ports: await freeServerPorts(options.host), historyShards: options.historyShards ?? 4,
    namespace: config.server.namespace, searchAttributes: config.searchAttributes, dynamicConfig: config.dynamicConfig,
    log: createLogger('test-cluster', { level: 'warn' }),
  }).catch((err: unknown) => {
    if (!options.dir) rmSync(dir, { recursive: true, force: true });
    throw err;
  });
  return {
    ...cluster,
    stop: async () => {
      await cluster.stop();
      if (!options.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
