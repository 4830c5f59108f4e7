// The Temporal dev server is killed (SIGKILL) in the middle of a run and started again on
// the same SQLite file: the worker and listener reconnect, and the run completes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startDevServer, type DevServerHandle } from '../../src/stack/devServer';
import { loadDevStackConfig, type DevStackConfig } from '../../src/config/temporalDev';
import { freePort } from '../../src/net/ports';
import { statusQuery } from '../../src/workflows/definitions';
import { useTestDirectory } from '../support/ad';
import { startProvisioningStack, type ProvisioningStack } from '../support/provisioningStack';

describe('Temporal dev server killed and restarted mid-run', () => {
  const directory = useTestDirectory();
  let dir: string;
  let config: DevStackConfig;
  let server: DevServerHandle | undefined;
  let stack: ProvisioningStack | undefined;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'amtprov-temporal-restart-'));
    const base = loadDevStackConfig();
    config = {
      ...base,
      server: { ...base.server, port: await freePort(), uiPort: await freePort(), uiCodecPort: await freePort(), dbFile: path.join(dir, 'temporal.sqlite') },
    };
    server = await startDevServer(config, { logDir: dir });
  });
  after(async () => {
    await stack?.stop();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the run started before the crash completes after the restart', async (t) => {
    stack = await startProvisioningStack({
      temporal: { address: server!.address, namespace: server!.namespace }, directory, t, baseIp: '127.0.43.1',
    });
    await stack.control('POST', `/devices/${stack.uuids[0]}/faults`, { latencyMs: 200 });
    const handle = stack.client.workflow.getHandle(stack.workflowId(0));
    const deadline = Date.now() + 120_000;
    while ((await handle.query(statusQuery).then((s) => s.stage, () => undefined)) !== 'phase1') {
      if (Date.now() > deadline) assert.fail('the run never reached phase 1');
      await new Promise((r) => setTimeout(r, 50));
    }
    const runId = (await handle.describe()).runId;
    process.kill(server!.pid, 'SIGKILL');
    await new Promise<void>((resolve) => server!.child.once('exit', () => resolve()));
    await new Promise((r) => setTimeout(r, 2_000));
    server = await startDevServer(config, { logDir: dir });
    await stack.control('DELETE', `/devices/${stack.uuids[0]}/faults`);

    assert.equal((await stack.waitForResult(0, 240_000)).outcome, 'Provisioned');
    assert.equal((await handle.describe()).runId, runId, 'the same run finished, not a new one');
    const computer = (await stack.store.computers.findByUuid(stack.uuids[0]))!;
    const password = await stack.store.vault.getSecret(computer.secretRefs.adminPassword!);
    assert.deepEqual(await stack.control('POST', `/devices/${stack.uuids[0]}/check-admin`, { username: 'admin', password }), { matches: true });
  });
});
