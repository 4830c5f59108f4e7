// `amtprov replay`, the gate before rolling workers, run as the docs run it against a real
// Temporal: a real provisioning run's history replays with this code (exit 0); a history
// written by other workflow code under the same type is named and the command exits 1.
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NativeConnection, Worker } from '@temporalio/worker';
import { WORKFLOW_TYPE } from '../../../src/runs/runControl';
import { dataConverter } from '../../../src/temporal/connection';
import { AMTPROV_BIN, useProvisioningStacks } from '../../support/provisioningStack';
import { uniqueTaskQueue } from '../../support/temporal';
import { waitUntil } from '../../support/waitUntil';

function replay(env: NodeJS.ProcessEnv, query: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(AMTPROV_BIN, ['replay', '--query', query], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
}

const { stack } = useProvisioningStacks();

test('amtprov replay: a real run replays; a history of other workflow code is named, exit 1', async (t) => {
  const s = await stack(t, { baseIp: '127.0.164.1' });
  assert.equal((await s.waitForResult(0)).outcome, 'Provisioned');
  const real = `WorkflowId = '${s.workflowId(0)}'`;
  await waitUntil(async () => (await s.client.workflow.count(real)).count === 1, 'the run to be listed');
  const good = await replay(s.roleEnv, real);
  assert.equal(good.code, 0, good.stderr);
  assert.match(good.stdout, /^1 of 1 histories replay with this workflow code$/m);

  const taskQueue = uniqueTaskQueue('divergent');
  const connection = await NativeConnection.connect({ address: s.roleEnv.TEMPORAL_ADDRESS! });
  t.after(() => connection.close());
  const worker = await Worker.create({
    connection, namespace: s.roleEnv.TEMPORAL_NAMESPACE!, taskQueue, workflowsPath: require.resolve('./support/divergentWorkflow'), dataConverter: dataConverter(s.codecKeys),
  });
  const diverged = await s.client.workflow.start(WORKFLOW_TYPE, { taskQueue, workflowId: `diverged-${taskQueue}` });
  assert.equal(await worker.runUntil(diverged.result()), 'diverged');
  const both = `${real} OR WorkflowId = '${diverged.workflowId}'`;
  await waitUntil(async () => (await s.client.workflow.count(both)).count === 2, 'both runs to be listed');
  const bad = await replay(s.roleEnv, both);
  assert.equal(bad.code, 1, bad.stdout);
  assert.match(bad.stdout, /^1 of 2 histories replay with this workflow code$/m);
  assert.match(bad.stderr, new RegExp(`^${diverged.workflowId} \\(run ${diverged.firstExecutionRunId}\\): `, 'm'));
  assert.ok(!bad.stderr.includes(s.workflowId(0)), 'the real run is not named');
});
