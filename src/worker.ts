// The worker: registers the provisioning workflow and its activities on the task queue.
// Production runs many of these against a Temporal cluster; `npm start` runs one in-process.
import { NativeConnection, Worker, type WorkflowBundleOption } from '@temporalio/worker';
import type { KeyRing } from './secrets/keyFile';
import type { ProvisioningActivities } from './activities/types';
import { failureMappingInterceptor } from './activities/failureMapping';
import { stageMetricsInterceptor } from './activities/stageMetrics';
import { dataConverter, type TemporalSettings } from './temporal/connection';
import { TASK_QUEUE } from './workflows/definitions';

/** Activity slots per worker: device calls mostly wait on the network, so many run at once. */
export const DEFAULT_MAX_CONCURRENT_ACTIVITIES = 200;

/**
 * Workflow-task concurrency. The SDK defaults (40 slots, 10 pollers, non-sticky ratio 0.2)
 * suit one history shard; against a multi-shard cluster more workflow tasks can be in flight,
 * and more pollers on the normal queue shorten a new run's wait for its first task
 * (bench/provision-fleet: PostgreSQL, 16 shards).
 */
export interface WorkflowTaskTuning {
  slots?: number;
  pollers?: number;
  nonStickyRatio?: number;
}

/** What measured best on the cluster profile (bench/provision-fleet README). */
export const CLUSTER_WORKFLOW_TASK_TUNING: Required<WorkflowTaskTuning> = { slots: 100, pollers: 20, nonStickyRatio: 0.5 };

export interface ProvisioningWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  activities: ProvisioningActivities;
  codecKeys: KeyRing;
  taskQueue?: string;
  /** A pre-built bundle (tests build it once); otherwise the workflows are bundled from source. */
  workflowBundle?: WorkflowBundleOption;
  maxConcurrentActivityTaskExecutions?: number;
  workflowTasks?: WorkflowTaskTuning;
  /** How long in-flight activities may finish after shutdown() before they are cancelled (default 10 s). */
  shutdownGraceMs?: number;
}

export function createProvisioningWorker(options: ProvisioningWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue ?? TASK_QUEUE,
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath: require.resolve('./workflows') }),
    activities: options.activities,
    dataConverter: dataConverter(options.codecKeys),
    // First is outermost: stage metrics see the failures as mapped for the workflow.
    interceptors: { activity: [stageMetricsInterceptor, failureMappingInterceptor] },
    maxConcurrentActivityTaskExecutions: options.maxConcurrentActivityTaskExecutions ?? DEFAULT_MAX_CONCURRENT_ACTIVITIES,
    ...workflowTaskOptions(options.workflowTasks ?? {}),
    // Let in-flight device calls finish (they are idempotent either way) before exiting.
    shutdownGraceTime: options.shutdownGraceMs ?? 10_000,
    // Cancelled activities get a little longer to wind up; then run() fails rather than hang a stop.
    shutdownForceTime: (options.shutdownGraceMs ?? 10_000) + 5_000,
  });
}

function workflowTaskOptions(tuning: WorkflowTaskTuning) {
  return {
    ...(tuning.slots !== undefined ? { maxConcurrentWorkflowTaskExecutions: tuning.slots } : {}),
    ...(tuning.pollers !== undefined ? { maxConcurrentWorkflowTaskPolls: tuning.pollers } : {}),
    ...(tuning.nonStickyRatio !== undefined ? { nonStickyToStickyPollRatio: tuning.nonStickyRatio } : {}),
  };
}

export async function connectWorkerConnection(settings: TemporalSettings): Promise<NativeConnection> {
  const { address, tls, apiKey } = settings.connection;
  return NativeConnection.connect({ address, ...(tls !== undefined ? { tls } : {}), ...(apiKey !== undefined ? { apiKey: apiKey as string } : {}) });
}
