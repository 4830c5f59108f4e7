// The worker role: the provisioning workflow and its activities on the task queue, against
// the site store. Stateless: run as many as the load needs; a run's state is Temporal's.
import type { NativeConnection, WorkflowBundleOption } from '@temporalio/worker';
import { createActivities } from '../activities';
import { closeSharedDirectoryConnections } from '../directory';
import type { Logger } from '../log';
import type { KeyRing } from '../secrets/keyFile';
import type { SiteStore } from '../site/store';
import { createProvisioningWorker, type WorkflowTaskTuning } from '../worker';
import { TASK_QUEUE } from '../workflows/definitions';
import { storeReady, temporalReady } from './readiness';
import type { RunningRole } from './runningRole';

export interface WorkerRoleOptions {
  connection: NativeConnection;
  namespace: string;
  codecKeys: KeyRing;
  store: SiteStore;
  taskQueue?: string;
  /** Activities at once; DEFAULT_MAX_CONCURRENT_ACTIVITIES when absent. */
  activitySlots?: number;
  /** Workflow-task concurrency; SDK defaults when absent. */
  workflowTasks?: WorkflowTaskTuning;
  /** In-flight activities get this long after a stop before they are cancelled (Temporal retries them elsewhere). */
  shutdownGraceMs: number;
  /** A pre-built workflow bundle (tests); otherwise bundled from source at start. */
  workflowBundle?: WorkflowBundleOption;
  log: Logger;
}

export async function startWorkerRole(options: WorkerRoleOptions): Promise<RunningRole> {
  const { connection, namespace, store, log } = options;
  const taskQueue = options.taskQueue ?? TASK_QUEUE;
  const worker = await createProvisioningWorker({
    connection, namespace, codecKeys: options.codecKeys, taskQueue, shutdownGraceMs: options.shutdownGraceMs,
    ...(options.workflowTasks ? { workflowTasks: options.workflowTasks } : {}),
    ...(options.activitySlots !== undefined ? { maxConcurrentActivityTaskExecutions: options.activitySlots } : {}),
    activities: createActivities({ store, log: log.child('activity') }), log: log.child('worker'),
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : {}),
  });
  const stopped = worker.run();
  return {
    summary: `worker            connected, task queue ${taskQueue}`,
    readiness: [
      () => Promise.resolve(worker.getState() === 'RUNNING' ? undefined : `worker ${worker.getState().toLowerCase()}`),
      temporalReady(connection, namespace), storeReady(store),
    ],
    stopped,
    drain: async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      try {
        await stopped;
      } finally {
        // The activities are done: the pooled LDAPS connections they shared go with them.
        await closeSharedDirectoryConnections();
      }
    },
  };
}
