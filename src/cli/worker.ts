// `amtprov worker`: one provisioning worker against TEMPORAL_ADDRESS (production runs many,
// all sharing the site store).
import { checkConfig, METRICS_PORTS, temporalConfig } from '../config/environment';
import { startWorkerRole } from '../roles/workerRole';
import { loadCodecKeyRing, temporalSettings } from '../temporal/connection';
import { connectWorkerConnection, DEFAULT_MAX_CONCURRENT_ACTIVITIES, type WorkflowTaskTuning } from '../worker';
import { TASK_QUEUE } from '../workflows/definitions';
import { runRoleProcess } from './roleProcess';
import { EXIT, METRICS_OPTION, metricsUsage, parseCli, processIo, resolveMetricsListen } from './support';

const USAGE = `usage: amtprov worker [--task-queue <name>] [--metrics <host:port>] [workflow-task tuning]

Runs a provisioning worker (the workflow and its activities) on task queue ${TASK_QUEUE}
(or --task-queue; listeners and site servers must start runs on the same queue). Stateless:
run as many as the load needs, on any hosts that reach Temporal, the site store, the
devices and the directory.

Options:
  --task-queue <name>     the queue to poll (default ${TASK_QUEUE})
  --activity-slots <n>         activities at once (default ${DEFAULT_MAX_CONCURRENT_ACTIVITIES}); each waits on a
                               device most of its time, so thousands of runs in flight
                               against slow firmware need thousands of slots
  --workflow-task-slots <n>    workflow tasks at once (SDK default 40)
  --workflow-task-pollers <n>  workflow-task pollers (SDK default 10)
  --non-sticky-ratio <x>       share of those pollers on the normal (not sticky) queue,
                               0-1 (SDK default 0.2). Against a multi-shard cluster the
                               bench measured best with 100 / 20 / 0.5 (bench/provision-fleet)
${metricsUsage(METRICS_PORTS.worker, 26, 'product and Temporal SDK worker metrics')}
  -h, --help              this text

SIGTERM or SIGINT: /readyz answers 503, the worker stops polling, in-flight activities get
AMTPROV_SHUTDOWN_GRACE seconds (default 30) to finish, then are cancelled and retried by
Temporal on another worker; exit 0. A second signal exits at once.

Environment: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE (default: the dev stack in temporal-dev.yaml),
TEMPORAL_TLS_CERT + TEMPORAL_TLS_KEY [+ TEMPORAL_TLS_CA] for mTLS, or TEMPORAL_API_KEY;
AMTPROV_CODEC_KEY(_FILE) payload codec keys, AMTPROV_MASTER_KEY(_FILE) vault keys,
AMTPROV_SITE_DB the site store, AMTPROV_DATA_DIR, AMTPROV_LOG_LEVEL
(every variable: amtprov config worker).
`;

export async function runWorkerCommand(argv: string[]): Promise<number> {
  const parsed = parseCli(argv, {
    'task-queue': { type: 'string', default: TASK_QUEUE },
    'activity-slots': { type: 'string' },
    'workflow-task-slots': { type: 'string' }, 'workflow-task-pollers': { type: 'string' }, 'non-sticky-ratio': { type: 'string' },
    ...METRICS_OPTION,
  }, processIo, USAGE);
  if (typeof parsed === 'number') return parsed;
  const { values } = parsed;
  let workflowTasks: WorkflowTaskTuning;
  let activitySlots: number | undefined;
  try {
    workflowTasks = parseWorkflowTaskTuning(values);
    activitySlots = wholeFlag('activity-slots', values['activity-slots'], 1);
  } catch (err) {
    processIo.err(`${(err as Error).message}\n\n${USAGE}`);
    return EXIT.usage;
  }
  checkConfig('worker');
  return runRoleProcess({
    role: 'worker',
    metrics: resolveMetricsListen(values.metrics, METRICS_PORTS.worker),
    runsWorker: true,
    start: async ({ store, log, shutdownGraceMs, defer }) => {
      const temporal = temporalConfig();
      const connection = await connectWorkerConnection(temporalSettings(temporal));
      defer('worker connection', () => connection.close());
      const role = await startWorkerRole({
        connection, namespace: temporal.namespace, codecKeys: loadCodecKeyRing(), store, taskQueue: values['task-queue'], workflowTasks, shutdownGraceMs, log,
        ...(activitySlots !== undefined ? { activitySlots } : {}),
      });
      log.info('worker running', { address: temporal.address, namespace: temporal.namespace, taskQueue: values['task-queue'] });
      return role;
    },
  });
}

/** A whole-number flag from min to 10000, or undefined when absent; a bad value throws naming its flag. */
export function wholeFlag(flag: string, text: string | undefined, min: number): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > 10_000) throw new Error(`--${flag} must be a whole number from ${min} to 10000, got "${text}"`);
  return n;
}

/** The tuning flags; a bad value throws naming its flag. */
export function parseWorkflowTaskTuning(values: { 'workflow-task-slots'?: string; 'workflow-task-pollers'?: string; 'non-sticky-ratio'?: string }): WorkflowTaskTuning {
  const tuning: WorkflowTaskTuning = {};
  const slots = wholeFlag('workflow-task-slots', values['workflow-task-slots'], 2);
  const pollers = wholeFlag('workflow-task-pollers', values['workflow-task-pollers'], 1);
  if (slots !== undefined) tuning.slots = slots;
  if (pollers !== undefined) tuning.pollers = pollers;
  if (values['non-sticky-ratio'] !== undefined) {
    const ratio = Number(values['non-sticky-ratio']);
    if (!(ratio > 0 && ratio <= 1)) throw new Error(`--non-sticky-ratio must be a number above 0 and at most 1, got "${values['non-sticky-ratio']}"`);
    tuning.nonStickyRatio = ratio;
  }
  return tuning;
}
