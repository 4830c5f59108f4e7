// `amtprov worker`: one provisioning worker against TEMPORAL_ADDRESS (production runs many,
// all sharing the site store).
import { checkConfig, METRICS_PORTS, temporalConfig } from '../config/environment';
import { startWorkerRole } from '../roles/workerRole';
import { loadCodecKeyRing, temporalSettings } from '../temporal/connection';
import { connectWorkerConnection } from '../worker';
import { TASK_QUEUE } from '../workflows/definitions';
import { runRoleProcess } from './roleProcess';
import { METRICS_OPTION, metricsUsage, parseCli, processIo, resolveMetricsListen } from './support';

const USAGE = `usage: amtprov worker [--task-queue <name>] [--metrics <host:port>]

Runs a provisioning worker (the workflow and its activities) on task queue ${TASK_QUEUE}
(or --task-queue; listeners and site servers must start runs on the same queue). Stateless:
run as many as the load needs, on any hosts that reach Temporal, the site store, the
devices and the directory.

Options:
  --task-queue <name>     the queue to poll (default ${TASK_QUEUE})
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
  const parsed = parseCli(argv, { 'task-queue': { type: 'string', default: TASK_QUEUE }, ...METRICS_OPTION }, processIo, USAGE);
  if (typeof parsed === 'number') return parsed;
  const { values } = parsed;
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
        connection, namespace: temporal.namespace, codecKeys: loadCodecKeyRing(), store, taskQueue: values['task-queue'], shutdownGraceMs, log,
      });
      log.info('worker running', { address: temporal.address, namespace: temporal.namespace, taskQueue: values['task-queue'] });
      return role;
    },
  });
}
