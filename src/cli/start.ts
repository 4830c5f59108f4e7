// `amtprov start` (`npm start`): the embedded default stack, until Ctrl-C or SIGTERM.
import { checkConfig, helloListen, METRICS_PORTS, parseListen, siteApiListen } from '../config/environment';
import { HELLO_PORT } from '../contract/ports';
import { SITE_API_DEFAULT_PORT } from '../site/api/siteApiServer';
import { createLogger } from '../log';
import { startEmbeddedStack } from '../stack/embeddedStack';
import { METRICS_OPTION, metricsUsage, parseCli, processIo, resolveMetricsListen, waitForStopSignal } from './support';

const USAGE = `usage: amtprov start [options]      (npm start -- [options])

Runs the whole provisioning server on this machine: the Temporal dev server with its Web UI
(temporal-dev.yaml), a codec endpoint so the UI shows decrypted payloads, the Samba AD DC
(installed and provisioned under data/ad on first start), the site store (data/site.sqlite),
a worker, the hello listener, the site server API for in-band agents, and an emulated demo
fleet that is imported and provisioned, plus one in-band device whose agent registers it.
Ctrl-C or SIGTERM stops everything it started; starting again keeps earlier runs.

Options:
  --demo <n>            emulated demo devices on 127.0.100.x (default 3; 0 = none, also no
                        in-band demo device on 127.0.101.1)
  --time-scale <x>      demo Hello schedule speed-up (default 60: a device minute per second)
  --listen <host:port>  hello listener address (default 127.0.0.1:${HELLO_PORT}; env AMTPROV_HELLO_LISTEN)
  --site-api <h:p>      site server API for in-band agents (default 127.0.0.1:${SITE_API_DEFAULT_PORT};
                        env AMTPROV_SITE_API_LISTEN)
${metricsUsage(METRICS_PORTS.worker, 24, 'one endpoint for the whole stack')}
  --no-samba            do not run the embedded AD DC (use the directory in the site settings)
  -h, --help            this text
`;

export async function runStartCommand(argv: string[]): Promise<number> {
  const parsed = parseCli(argv, {
    demo: { type: 'string', default: '3' },
    'time-scale': { type: 'string', default: '60' },
    listen: { type: 'string' },
    'site-api': { type: 'string' },
    'no-samba': { type: 'boolean', default: false },
    ...METRICS_OPTION,
  }, processIo, USAGE);
  if (typeof parsed === 'number') return parsed;
  const { values } = parsed;
  checkConfig('start');
  const demo = Number(values.demo);
  const timeScale = Number(values['time-scale']);
  if (!Number.isInteger(demo) || demo < 0 || demo > 1000) {
    process.stderr.write(`--demo must be a whole number from 0 to 1000, got "${values.demo}"\n`);
    return 2;
  }
  if (!(timeScale > 0)) {
    process.stderr.write(`--time-scale must be a positive number, got "${values['time-scale']}"\n`);
    return 2;
  }
  const listen = values.listen === undefined ? helloListen() : parseListen(values.listen, '--listen');
  const siteApi = values['site-api'] === undefined ? siteApiListen() : parseListen(values['site-api'], '--site-api');
  const metrics = resolveMetricsListen(values.metrics, METRICS_PORTS.worker);
  const log = createLogger('amtprov');
  const stack = await startEmbeddedStack({ demo, samba: !values['no-samba'], listen, siteApi, timeScale, metrics, log });
  process.stdout.write(`\namt-provisioner is running\n${stack.lines.map((l) => `  ${l}`).join('\n')}\nPress Ctrl-C to stop.\n\n`);
  const signal = await waitForStopSignal();
  log.info('stopping', { signal });
  await stack.stop();
  process.stdout.write('amt-provisioner stopped\n');
  return 0;
}
