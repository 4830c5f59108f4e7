// `amtprov worker`: one provisioning worker against TEMPORAL_ADDRESS (production runs many,
// all sharing the site store). Stops gracefully on SIGINT/SIGTERM: in-flight activities
// get their grace time, and anything cut off is retried by Temporal elsewhere.
import { createActivities } from '../activities';
import { createLogger } from '../log';
import { openSiteStore } from '../site/store';
import { loadCodecKeyRing, temporalSettingsFromEnv } from '../temporal/connection';
import { installRuntimeWithMetrics, METRICS_PORTS, serveRoleMetrics, type MetricsEndpoint } from '../metrics/metricsServer';
import { connectWorkerConnection, createProvisioningWorker } from '../worker';
import { TASK_QUEUE } from '../workflows/definitions';
import { metricsOption, metricsUsage, parseCli, parseMetricsListen, processIo, waitForStopSignal } from './support';

const USAGE = `usage: amtprov worker [--task-queue <name>] [--metrics <host:port>]

Runs a provisioning worker (the workflow and its activities) on task queue ${TASK_QUEUE}
(or --task-queue; listeners and site servers must start runs on the same queue).

Options:
  --task-queue <name>     the queue to poll (default ${TASK_QUEUE})
${metricsUsage(METRICS_PORTS.worker, 26, 'product and Temporal SDK worker metrics')}
  -h, --help              this text

Environment: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE (default: the dev stack in temporal-dev.yaml),
TEMPORAL_TLS_CERT + TEMPORAL_TLS_KEY [+ TEMPORAL_TLS_CA] for mTLS, or TEMPORAL_API_KEY;
AMTPROV_CODEC_KEY(_FILE) payload codec keys, AMTPROV_MASTER_KEY(_FILE) vault keys,
AMTPROV_SITE_DB the site store, AMTPROV_DATA_DIR, AMTPROV_LOG_LEVEL.
`;

export async function runWorkerCommand(argv: string[]): Promise<number> {
  const parsed = parseCli(argv, { 'task-queue': { type: 'string', default: TASK_QUEUE }, ...metricsOption(METRICS_PORTS.worker) }, processIo, USAGE);
  if (typeof parsed === 'number') return parsed;
  const { values } = parsed;
  const metricsListen = parseMetricsListen(values.metrics);
  const log = createLogger('worker');
  await installRuntimeWithMetrics(log.child('temporal'), metricsListen);
  const settings = temporalSettingsFromEnv();
  const store = openSiteStore();
  const connection = await connectWorkerConnection(settings);
  let metrics: MetricsEndpoint | undefined;
  try {
    metrics = await serveRoleMetrics(metricsListen, log.child('metrics'));
    const worker = await createProvisioningWorker({
      connection, namespace: settings.namespace, codecKeys: loadCodecKeyRing(), taskQueue: values['task-queue'],
      activities: createActivities({ store, log: log.child('activity') }), log,
    });
    const running = worker.run();
    log.info('worker running', { address: settings.address, namespace: settings.namespace, taskQueue: values['task-queue'] });
    const signal = await Promise.race([waitForStopSignal(), running.then(() => undefined)]);
    if (signal) {
      log.info('stopping', { signal });
      worker.shutdown();
    }
    await running;
    return 0;
  } finally {
    await connection.close();
    await metrics?.close();
    store.close();
  }
}
