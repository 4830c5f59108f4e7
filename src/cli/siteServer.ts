// `amtprov site-server`: the site server's HTTPS API for in-band client agents, against
// TEMPORAL_ADDRESS and the site store. `npm start` runs the same role in-process.
import { checkConfig, METRICS_PORTS, parseListen, siteApiListen } from '../config/environment';
import { startSiteServerRole } from '../roles/siteServerRole';
import { SITE_API_DEFAULT_PORT } from '../site/api/siteApiServer';
import { TASK_QUEUE } from '../workflows/definitions';
import { runRoleProcess } from './roleProcess';
import { METRICS_OPTION, metricsUsage, parseCli, processIo, resolveMetricsListen } from './support';

const USAGE = `usage: amtprov site-server [--listen <host:port>] [--server-name <name>]... [--task-queue <name>] [--metrics <host:port>]

Serves the site server API for in-band agents over HTTPS with mutual TLS: agents present
the certificate "amtprov agent enroll" gave them; the server presents a certificate issued
at start by the site's issuing CA for the --listen host and every --server-name. Accepted
in-band requests start the device's provisioning run on --task-queue. Stateless: several
can serve one site behind a TCP load balancer (TLS passed through, not terminated).

Options:
  --listen <host:port>    address (default 127.0.0.1:${SITE_API_DEFAULT_PORT}; env AMTPROV_SITE_API_LISTEN)
  --server-name <name>    repeatable; another DNS name or IP address agents use for this server
  --task-queue <name>     where runs start (default ${TASK_QUEUE}; the workers' queue)
${metricsUsage(METRICS_PORTS.siteServer, 26, 'the product\'s metrics')}
  -h, --help              this text

SIGTERM or SIGINT: /readyz answers 503, no new connections are taken, requests in progress
get AMTPROV_SHUTDOWN_GRACE seconds (default 30), exit 0; a second signal exits at once.

Environment: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_TLS_* / TEMPORAL_API_KEY,
AMTPROV_CODEC_KEY(_FILE), AMTPROV_MASTER_KEY(_FILE), AMTPROV_SITE_DB, AMTPROV_LOG_LEVEL
(every variable: amtprov config site-server).
`;

export async function runSiteServerCommand(argv: string[]): Promise<number> {
  const parsed = parseCli(argv, {
    listen: { type: 'string' },
    'server-name': { type: 'string', multiple: true, default: [] },
    'task-queue': { type: 'string', default: TASK_QUEUE },
    ...METRICS_OPTION,
  }, processIo, USAGE);
  if (typeof parsed === 'number') return parsed;
  const { values } = parsed;
  checkConfig('site-server');
  const listen = values.listen === undefined ? siteApiListen() : parseListen(values.listen, '--listen');
  return runRoleProcess({
    role: 'site-server',
    metrics: resolveMetricsListen(values.metrics, METRICS_PORTS.siteServer),
    start: async ({ store, log, shutdownGraceMs, connectTemporal }) => {
      const client = await connectTemporal();
      return startSiteServerRole({
        listen, serverNames: values['server-name'], store, client, taskQueue: values['task-queue'], shutdownGraceMs, log: log.child('api'),
      });
    },
  });
}
