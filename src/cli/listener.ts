// `amtprov listener`: the hello listener (out-of-band service point) as its own process.
import { checkConfig, helloListen, METRICS_PORTS, parseListen } from '../config/environment';
import { HELLO_PORT } from '../contract/ports';
import { startListenerRole } from '../roles/listenerRole';
import { TASK_QUEUE } from '../workflows/definitions';
import { runRoleProcess } from './roleProcess';
import { METRICS_OPTION, metricsUsage, parseCli, processIo, resolveMetricsListen } from './support';

const USAGE = `usage: amtprov listener [--listen <host:port>] [--task-queue <name>] [--metrics <host:port>]

Listens for the Hellos of bare AMT devices (TCP ${HELLO_PORT}), drops those the site does not
know or trust (counted, logged with the reason), and starts or signals each accepted
device's provisioning run in Temporal. Stateless: run one on every address devices send
Hellos to, all against the same Temporal namespace and site store.

Options:
  --listen <host:port>    address (default 127.0.0.1:${HELLO_PORT}; env AMTPROV_HELLO_LISTEN)
  --task-queue <name>     where runs start (default ${TASK_QUEUE}; the workers' queue)
${metricsUsage(METRICS_PORTS.listener, 26, 'the product\'s metrics')}
  -h, --help              this text

SIGTERM or SIGINT: /readyz answers 503, no new connections are taken, Hellos being read or
handed on finish within AMTPROV_SHUTDOWN_GRACE seconds (default 30), exit 0; a second
signal exits at once.

Environment: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_TLS_* / TEMPORAL_API_KEY,
AMTPROV_CODEC_KEY(_FILE), AMTPROV_MASTER_KEY(_FILE), AMTPROV_SITE_DB, AMTPROV_LOG_LEVEL
(every variable: amtprov config listener).
`;

export async function runListenerCommand(argv: string[]): Promise<number> {
  const parsed = parseCli(argv, { listen: { type: 'string' }, 'task-queue': { type: 'string', default: TASK_QUEUE }, ...METRICS_OPTION }, processIo, USAGE);
  if (typeof parsed === 'number') return parsed;
  const { values } = parsed;
  checkConfig('listener');
  const listen = values.listen === undefined ? helloListen() : parseListen(values.listen, '--listen');
  return runRoleProcess({
    role: 'listener',
    metrics: resolveMetricsListen(values.metrics, METRICS_PORTS.listener),
    start: async ({ store, log, shutdownGraceMs, connectTemporal }) => {
      const client = await connectTemporal();
      return startListenerRole({ listen, store, client, taskQueue: values['task-queue'], shutdownGraceMs, log });
    },
  });
}
