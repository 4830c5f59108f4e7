// The cluster profile's Temporal, started the way `npm run cluster` starts it: the real server
// on our PostgreSQL with the shard count asked for, the project's namespace and search
// attributes, Prometheus metrics; its database persists across restarts, and a restart with
// another shard count is refused instead of silently keeping the old one.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { loadDevStackConfig } from '../../../src/config/temporalDev';
import { startTestCluster } from '../../support/cluster';

const HOST = '127.0.170.1';

describe('the cluster profile Temporal server', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'amtprov-cluster-test-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const config = loadDevStackConfig();

  test('runs with the asked-for history shards, the namespace and every search attribute', async () => {
    const cluster = await startTestCluster({ host: HOST, historyShards: 4, dir });
    try {
      const connection = await Connection.connect({ address: cluster.address });
      try {
        assert.equal((await connection.workflowService.getClusterInfo({})).historyShardCount, 4);
        const attributes = await connection.operatorService.listSearchAttributes({ namespace: config.server.namespace });
        for (const name of Object.keys(config.searchAttributes)) {
          assert.equal(attributes.customAttributes?.[name], temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD, name);
        }
      } finally {
        await connection.close();
      }
      // The history service owns all 4 shards and reports its persistence calls.
      const deadline = Date.now() + 30_000;
      let owned = 0;
      let text = '';
      while (Date.now() < deadline) {
        text = await (await fetch(cluster.metricsUrl)).text();
        owned = [...text.matchAll(/^numshards_gauge(?:\{[^}]*\})? (\S+)$/gm)].reduce((a, m) => a + Number(m[1]), 0);
        if (owned === 4) break;
        await new Promise((r) => setTimeout(r, 500));
      }
      assert.equal(owned, 4, 'shards owned by the history service');
      assert.match(text, /^persistence_requests\{/m);
    } finally {
      await cluster.stop();
    }
  });

  test('a restart with another shard count is refused by name and leaves nothing running; the same count resumes', async () => {
    await assert.rejects(startTestCluster({ host: HOST, historyShards: 8, dir }),
      /was created with 4 history shards, not 8: the shard count is fixed for the database's life/);
    // PostgreSQL removes its pid file when it shuts down cleanly.
    assert.equal(existsSync(path.join(dir, 'postgres', 'pgdata', 'postmaster.pid')), false, 'its PostgreSQL was stopped');
    const again = await startTestCluster({ host: HOST, historyShards: 4, dir });
    try {
      const connection = await Connection.connect({ address: again.address });
      try {
        const described = await connection.workflowService.describeNamespace({ namespace: config.server.namespace });
        assert.equal(described.namespaceInfo?.name, config.server.namespace);
      } finally {
        await connection.close();
      }
    } finally {
      await again.stop();
    }
  });
});
