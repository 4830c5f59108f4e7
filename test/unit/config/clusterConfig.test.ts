// The cluster profile's generated configuration: the Temporal server YAML, its dynamic config
// file, the UI server's config and the pinned UI version, from the shipped temporal-dev.yaml.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { uiServerVersion } from '../../../src/stack/cluster/binaries';
import { allPorts, dynamicConfigYaml, portsFromFrontend, serverConfigYaml } from '../../../src/stack/cluster/serverConfig';
import { uiServerConfigYaml } from '../../../src/stack/cluster/temporalCluster';
import { defaultDevStackConfigPath, parseDevStackConfig } from '../../../src/config/temporalDev';

const shipped = readFileSync(defaultDevStackConfigPath(), 'utf8');
/** The value at a dotted path of parsed YAML. */
function at(tree: unknown, dotted: string): unknown {
  return dotted.split('.').reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], tree);
}
const database = { host: '127.0.0.1', port: 5433, user: 'postgres', password: 'pw' };

test('the shipped temporal-dev.yaml gives the cluster 16 shards and ports apart from every other', () => {
  const config = parseDevStackConfig(shipped, 'temporal-dev.yaml');
  assert.deepEqual(config.cluster, { historyShards: 16, postgresPort: 5433, metricsPort: 9470 });
  const ports = portsFromFrontend(config.server.port, config.cluster.metricsPort);
  assert.deepEqual(ports, { frontend: 7233, frontendHttp: 7243, history: 7234, matching: 7235, worker: 7239, membership: [6933, 6934, 6935, 6939], metrics: 9470 });
  const everyPort = [...allPorts(ports), config.server.uiPort, config.server.uiCodecPort, config.cluster.postgresPort];
  assert.equal(new Set(everyPort).size, everyPort.length, 'no two services share a port');
});

test('a file without a cluster section gets the defaults; a bad shard count is named by key', () => {
  const withoutCluster = shipped.slice(0, shipped.indexOf('\n# `npm run cluster` only'));
  assert.equal(parseDevStackConfig(withoutCluster, 'x.yaml').cluster.historyShards, 16);
  assert.throws(() => parseDevStackConfig(shipped.replace('historyShards: 16', 'historyShards: 0'), 'x.yaml'), /cluster\.historyShards: /);
  assert.throws(() => parseDevStackConfig(shipped.replace('postgresPort: 5433', 'postgresPort: 7233'), 'x.yaml'), /must all differ/);
});

test('the server config: N shards, PostgreSQL for both stores, every service on the one address', () => {
  const ports = portsFromFrontend(7233, 9470);
  const yaml = parse(serverConfigYaml({ host: '127.0.170.1', ports, historyShards: 16, database, dynamicConfigFile: '/d/dc.yaml', logLevel: 'warn' })) as unknown;
  assert.equal(at(yaml, 'persistence.numHistoryShards'), 16);
  for (const [store, db] of [['default', 'temporal'], ['visibility', 'temporal_visibility']]) {
    assert.equal(at(yaml, `persistence.datastores.${store}.sql.pluginName`), 'postgres12');
    assert.equal(at(yaml, `persistence.datastores.${store}.sql.databaseName`), db);
    assert.equal(at(yaml, `persistence.datastores.${store}.sql.connectAddr`), '127.0.0.1:5433');
  }
  for (const service of ['frontend', 'history', 'matching', 'worker']) assert.equal(at(yaml, `services.${service}.rpc.bindOnIP`), '127.0.170.1', service);
  assert.equal(at(yaml, 'services.frontend.rpc.httpPort'), 7243);
  assert.equal(at(yaml, 'global.membership.broadcastAddress'), '127.0.170.1');
  assert.equal(at(yaml, 'global.metrics.prometheus.listenAddress'), '127.0.170.1:9470');
  assert.equal(at(yaml, 'clusterMetadata.clusterInformation.active.rpcAddress'), '127.0.170.1:7233');
  assert.equal(at(yaml, 'publicClient.hostPort'), '127.0.170.1:7233');
  assert.equal(at(yaml, 'dynamicConfigClient.filepath'), '/d/dc.yaml');
});

test("temporal-dev.yaml's dynamic config becomes the server's file format", () => {
  const config = parseDevStackConfig(shipped, 'temporal-dev.yaml');
  const file = parse(dynamicConfigYaml(config.dynamicConfig)) as Record<string, unknown>;
  assert.deepEqual(file['history.maximumSignalsPerExecution'], [{ value: 10000, constraints: {} }]);
  assert.deepEqual(file['frontend.enableUpdateWorkflowExecution'], [{ value: true, constraints: {} }]);
});

test('the UI server points at the cluster and at the codec endpoint, with no news fetch', () => {
  const ui = parse(uiServerConfigYaml({ host: '127.0.0.1', port: 8233, temporalAddress: '127.0.0.1:7233', namespace: 'default', codecEndpoint: 'http://127.0.0.1:8234' })) as unknown;
  assert.equal(at(ui, 'temporalGrpcAddress'), '127.0.0.1:7233');
  assert.equal(at(ui, 'port'), 8233);
  assert.equal(at(ui, 'codec.endpoint'), 'http://127.0.0.1:8234');
  assert.equal(at(ui, 'defaultNamespace'), 'default');
  assert.equal(at(ui, 'disableNewsFetch'), true);
});

test('the UI server version is read from the wrapper module, its one pin', () => {
  assert.match(uiServerVersion(), /^v2\.\d+\.\d+$/);
  assert.equal(uiServerVersion('require (\n\tgithub.com/temporalio/ui-server/v2 v2.58.1 // indirect\n)'), 'v2.58.1');
  assert.throws(() => uiServerVersion('module x\n'), /does not require github.com\/temporalio\/ui-server\/v2/);
});
