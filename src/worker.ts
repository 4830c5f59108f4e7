// The worker: registers the workflows (provisioning, unprovision, discovery, scheduled maintenance) and their activities on the task queue.
// Production runs many of these against a Temporal cluster; `npm start` runs one in-process.
import { NativeConnection, Worker, type WorkflowBundleOption } from '@temporalio/worker';
import type { Logger } from './log';
import { RateBoundedLog } from './logRate';
import type { KeyRing } from './secrets/keyFile';
import type { ProvisioningActivities } from './activities/types';
import { failureMappingInterceptor } from './activities/failureMapping';
import { stageMetricsInterceptor } from './activities/stageMetrics';
import { dataConverter, type TemporalSettings } from './temporal/connection';
import type { UnknownKeyReport } from './temporal/payloadCodec';
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
  /** Provisioning's at least; production passes createActivities() (maintenance too), tests may pass fakes. */
  activities: ProvisioningActivities;
  codecKeys: KeyRing;
  taskQueue?: string;
  /** A pre-built bundle (tests build it once); otherwise the workflows are bundled from source. */
  workflowBundle?: WorkflowBundleOption;
  maxConcurrentActivityTaskExecutions?: number;
  workflowTasks?: WorkflowTaskTuning;
  /** How long in-flight activities may finish after shutdown() before they are cancelled (default 10 s). */
  shutdownGraceMs?: number;
  /** Where a run stuck on a codec key this worker lacks is reported (once a minute per key). */
  log?: Logger;
}

/**
 * A history under a key this worker lacks fails every workflow task of its run, every few
 * seconds, forever: said once a minute per key id, naming the key and its fingerprint.
 */
function unknownKeyReporter(log: Logger): UnknownKeyReport {
  const bounded = new RateBoundedLog(log, { burst: 1, windowMs: 60_000 });
  return (keyId, fingerprint, ring) => bounded.write(keyId, 'error',
    `run stuck: payload key "${keyId}" (fingerprint ${fingerprint}) not held by this worker; start it with the key ring that holds that key (AMTPROV_CODEC_KEY, old keys stay after a rotation)`,
    { keyId, fingerprint, ring });
}

export function createProvisioningWorker(options: ProvisioningWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue ?? TASK_QUEUE,
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath: require.resolve('./workflows') }),
    activities: options.activities,
    dataConverter: dataConverter(options.codecKeys, options.log ? unknownKeyReporter(options.log) : undefined),
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
