// Runs the real provisioning workflow on a test Temporal server with the given activities,
// each test on its own task queue. The workflow bundle is built once per test process.
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap, type Worker } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Client } from '@temporalio/client';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { ProvisioningActivities } from '../../src/activities/types';
import { parseKeyRing, type KeyRing } from '../../src/secrets/keyFile';
import { dataConverter } from '../../src/temporal/connection';
import { createProvisioningWorker } from '../../src/worker';

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;

export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({
    workflowsPath: path.resolve(__dirname, '../../src/workflows'),
    logger: { trace() {}, debug() {}, info() {}, warn() {}, error(m) { console.error(m); }, log() {} },
  });
  return bundle;
}

/** A fresh codec key ring per test process: histories are encrypted as in production. */
export const testCodecKeys: KeyRing = parseKeyRing(`test:${randomBytes(32).toString('base64')}`, 'test key');

export function codecClient(env: TestWorkflowEnvironment): Client {
  return new Client({ connection: env.connection, namespace: env.namespace ?? 'default', dataConverter: dataConverter(testCodecKeys) });
}

export async function startWorker(env: TestWorkflowEnvironment, taskQueue: string, activities: ProvisioningActivities): Promise<{ worker: Worker; stop: () => Promise<void> }> {
  const worker = await createProvisioningWorker({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue,
    activities,
    codecKeys: testCodecKeys,
    workflowBundle: await workflowBundle(),
  });
  const running = worker.run();
  return {
    worker,
    stop: async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
    },
  };
}
