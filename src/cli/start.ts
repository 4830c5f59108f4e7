// `amtprov start` (`npm start`): the embedded default stack, until Ctrl-C or SIGTERM.
import { checkConfig, helloListen, METRICS_PORTS, parseListen, siteApiListen } from '../config/environment';
import { HELLO_PORT } from '../contract/ports';
import { SITE_API_DEFAULT_PORT } from '../site/api/siteApiServer';
import { createLogger } from '../log';
import { ensureClusterBinaries } from '../stack/cluster/binaries';
import { startEmbeddedStack, type TemporalProfile } from '../stack/embeddedStack';
import { METRICS_OPTION, metricsUsage, parseCli, processIo, resolveMetricsListen, waitForStopSignal } from './support';

const USAGE = `usage: amtprov start [options]      (npm start -- [options]; npm run cluster -- [options])

Runs the whole provisioning server on this machine: the Temporal dev server with its Web UI
(temporal-dev.yaml), a codec endpoint so the UI shows decrypted payloads, the Samba AD DC
(installed and provisioned under data/ad on first start), the site store (data/site.sqlite),
a worker, the hello listener, the site server API for in-band agents, and an emulated demo
fleet that is imported and provisioned, plus one in-band device whose agent registers it.
Ctrl-C or SIGTERM stops everything it started; starting again keeps earlier runs.

With --cluster ("the production shape on one machine"): instead of the dev server, the real
Temporal server (built once from its Go module into .tools/), on its own PostgreSQL, with
several history shards and the Web UI, on the same ports; its data in data/cluster/.

Options:
  --demo <n>            emulated demo devices on 127.0.100.x (default 3; 0 = none, also no
                        in-band demo device on 127.0.101.1)
  --time-scale <x>      demo Hello schedule speed-up (default 60: a device minute per second)
  --listen <host:port>  hello listener address (default 127.0.0.1:${HELLO_PORT}; env AMTPROV_HELLO_LISTEN)
  --site-api <h:p>      site server API for in-band agents (default 127.0.0.1:${SITE_API_DEFAULT_PORT};
                        env AMTPROV_SITE_API_LISTEN)
${metricsUsage(METRICS_PORTS.worker, 24, 'one endpoint for the whole stack')}
  --no-samba            do not run the embedded AD DC (use the directory in the site settings)
  --cluster             the real Temporal server instead of the dev server (see above)
  --shards <n>          with --cluster: history shards (default cluster.historyShards in
                        temporal-dev.yaml, 16); fixed once data/cluster exists
  --build-only          with --cluster: build the Temporal server, sql tool and UI server
                        into .tools/ (3-5 minutes the first time) and exit
  -h, --help            this text
`;

export async function runStartCommand(argv: string[]): Promise<number> {
  const parsed = parseCli(argv, {
    demo: { type: 'string', default: '3' },
    'time-scale': { type: 'string', default: '60' },
    listen: { type: 'string' },
    'site-api': { type: 'string' },
    'no-samba': { type: 'boolean', default: false },
    cluster: { type: 'boolean', default: false },
    shards: { type: 'string' },
    'build-only': { type: 'boolean', default: false },
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
  const shards = values.shards === undefined ? undefined : Number(values.shards);
  if ((shards !== undefined || values['build-only']) && !values.cluster) {
    process.stderr.write('--shards and --build-only go with --cluster\n');
    return 2;
  }
  if (shards !== undefined && (!Number.isInteger(shards) || shards < 1 || shards > 16384)) {
    process.stderr.write(`--shards must be a whole number from 1 to 16384, got "${values.shards}"\n`);
    return 2;
  }
  if (values['build-only']) {
    const binaries = await ensureClusterBinaries(createLogger('amtprov'));
    process.stdout.write(`Temporal server ${binaries.serverVersion}: ${binaries.server}\nsql tool: ${binaries.sqlTool}\nUI server ${binaries.uiVersion}: ${binaries.uiServer}\n`);
    return 0;
  }
  const listen = values.listen === undefined ? helloListen() : parseListen(values.listen, '--listen');
  const siteApi = values['site-api'] === undefined ? siteApiListen() : parseListen(values['site-api'], '--site-api');
  const metrics = resolveMetricsListen(values.metrics, METRICS_PORTS.worker);
  const log = createLogger('amtprov');
  const temporal: TemporalProfile = values.cluster ? { kind: 'cluster', ...(shards ? { historyShards: shards } : {}) } : { kind: 'dev' };
  const stack = await startEmbeddedStack({ temporal, demo, samba: !values['no-samba'], listen, siteApi, timeScale, metrics, log });
  process.stdout.write(`\namt-provisioner is running\n${stack.lines.map((l) => `  ${l}`).join('\n')}\nPress Ctrl-C to stop.\n\n`);
  const signal = await waitForStopSignal();
  log.info('stopping', { signal });
  await stack.stop();
  process.stdout.write('amt-provisioner stopped\n');
  return 0;
}
