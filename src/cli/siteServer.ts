// `amtprov site-server`: the site server's HTTPS API for in-band client agents, against
// TEMPORAL_ADDRESS and the site store, until SIGINT/SIGTERM. `npm start` runs the same API
// in-process; this command is for a site server of its own.
import { createLogger } from '../log';
import { METRICS_PORTS, serveRoleMetrics, type MetricsEndpoint } from '../metrics/metricsServer';
import { SITE_API_DEFAULT_PORT, startSiteApi } from '../site/api/siteApiServer';
import { inBandRunStarter } from '../site/api/startInBandRun';
import { openSiteStore } from '../site/store';
import { connectClient, loadCodecKeyRing, temporalSettingsFromEnv } from '../temporal/connection';
import { TASK_QUEUE } from '../workflows/definitions';
import { metricsOption, metricsUsage, parseCli, parseHostPort, parseMetricsListen, processIo, waitForStopSignal } from './support';

const USAGE = `usage: amtprov site-server [--listen <host:port>] [--server-name <name>]... [--task-queue <name>] [--metrics <host:port>]

Serves the site server API for in-band agents over HTTPS with mutual TLS: agents present
the certificate "amtprov agent enroll" gave them; the server presents a certificate issued
at start by the site's issuing CA for the --listen host and every --server-name. Accepted
in-band requests start the device's provisioning run on --task-queue.

Options:
  --listen <host:port>    address (default 127.0.0.1:${SITE_API_DEFAULT_PORT}; env AMTPROV_SITE_API_LISTEN)
  --server-name <name>    repeatable; another DNS name or IP address agents use for this server
  --task-queue <name>     where runs start (default ${TASK_QUEUE}; the workers' queue)
${metricsUsage(METRICS_PORTS.siteServer, 26, 'the product\'s metrics')}
  -h, --help              this text

Environment: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_TLS_* / TEMPORAL_API_KEY,
AMTPROV_CODEC_KEY(_FILE), AMTPROV_MASTER_KEY(_FILE), AMTPROV_SITE_DB, AMTPROV_LOG_LEVEL.
`;

export async function runSiteServerCommand(argv: string[]): Promise<number> {
  const parsed = parseCli(argv, {
    listen: { type: 'string', default: process.env.AMTPROV_SITE_API_LISTEN ?? `127.0.0.1:${SITE_API_DEFAULT_PORT}` },
    'server-name': { type: 'string', multiple: true, default: [] },
    'task-queue': { type: 'string', default: TASK_QUEUE },
    ...metricsOption(METRICS_PORTS.siteServer),
  }, processIo, USAGE);
  if (typeof parsed === 'number') return parsed;
  const { values } = parsed;
  const listen = parseHostPort(values.listen, '--listen');
  const metricsListen = parseMetricsListen(values.metrics);
  const log = createLogger('site-server');
  const store = await openSiteStore();
  let metrics: MetricsEndpoint | undefined;
  try {
    metrics = await serveRoleMetrics(metricsListen, log.child('metrics'));
    const client = await connectClient(temporalSettingsFromEnv(), loadCodecKeyRing());
    try {
      const api = await startSiteApi({
        ...listen, serverNames: values['server-name'], store, startRun: inBandRunStarter(client, values['task-queue']), log: log.child('api'),
      });
      process.stdout.write(`site server API at ${api.url}${metrics ? `, metrics at ${metrics.url}` : ''}\n`);
      log.info('stopping', { signal: await waitForStopSignal() });
      await api.close();
    } finally {
      await client.connection.close();
    }
    return 0;
  } finally {
    await metrics?.close();
    await store.close();
  }
}
