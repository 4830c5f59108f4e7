// `npm run cluster` (`amtprov start --cluster`): the real Temporal server for the embedded
// stack, laid out from temporal-dev.yaml (the same address, ports, namespace, search
// attributes and dynamic config as the dev server, plus its `cluster` section), with its
// data in <data dir>/cluster. The rest of the stack (site, worker, listener) is npm start's.
import path from 'node:path';
import type { Logger } from '../../log';
import type { DevStackConfig } from '../../config/temporalDev';
import { dataDir } from '../../config/paths';
import { portsFromFrontend } from './serverConfig';
import { startTemporalCluster, type TemporalCluster } from './temporalCluster';

export function clusterDataDir(): string {
  return path.join(dataDir(), 'cluster');
}

export function startClusterProfileTemporal(config: DevStackConfig, options: { codecEndpoint: string; historyShards?: number; log: Logger }): Promise<TemporalCluster> {
  const { server, cluster } = config;
  const historyShards = options.historyShards ?? cluster.historyShards;
  options.log.info('starting the Temporal server (cluster profile)', { grpc: `${server.ip}:${server.port}`, historyShards, data: clusterDataDir() });
  return startTemporalCluster({
    dir: clusterDataDir(), host: server.ip, ports: portsFromFrontend(server.port, cluster.metricsPort), postgresPort: cluster.postgresPort,
    historyShards, namespace: server.namespace, searchAttributes: config.searchAttributes, dynamicConfig: config.dynamicConfig,
    ui: { port: server.uiPort, codecEndpoint: options.codecEndpoint }, logLevel: server.logLevel, log: options.log.child('temporal-cluster'),
  });
}
