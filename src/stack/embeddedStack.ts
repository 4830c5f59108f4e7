// `npm start`: the whole provisioning server on one machine. Temporal dev server (Web UI,
// SQLite file), codec endpoint for the UI, Samba AD DC, site store, the three roles (worker,
// hello listener, site server API: the same role code as their own commands, src/roles), and
// optionally an emulated demo fleet. Everything started is stopped again, in reverse.
import path from 'node:path';
import type { Logger } from '../log';
import { installRuntimeWithMetrics, serveRoleMetrics } from '../metrics/metricsServer';
import { startListenerRole } from '../roles/listenerRole';
import { readinessProblems } from '../roles/readiness';
import type { RunningRole } from '../roles/runningRole';
import { startSiteServerRole } from '../roles/siteServerRole';
import { startWorkerRole } from '../roles/workerRole';
import { openSiteStore } from '../site/store';
import { startCodecServer } from '../temporal/codecServer';
import { connectClient, loadCodecKeyRing, temporalSettings } from '../temporal/connection';
import { connectWorkerConnection } from '../worker';
import { startDemoFleet, startInBandDemo, DEMO_BASE_IP, IN_BAND_DEMO_IP } from './demoFleet';
import { ensureDemoSite } from './demoSite';
import { startDevServer } from './devServer';
import { loadDevStackConfig } from '../config/temporalDev';
import { dataDir } from '../config/paths';
import { ensureSamba, defaultSambaDir, type SambaHandle } from './samba';

/** Ctrl-C should not keep a demo waiting: in-flight work gets this long (it is idempotent and resumes at the next start). */
const STACK_GRACE_MS = 10_000;

export interface EmbeddedStackOptions {
  /** Emulated demo devices to run (0 = none). */
  demo: number;
  /** Run the embedded Samba AD DC (otherwise the site's configured directory is used). */
  samba: boolean;
  listen: { host: string; port: number };
  /** Site server API for in-band agents. */
  siteApi: { host: string; port: number };
  /** Hello schedule speed-up of the demo fleet. */
  timeScale: number;
  /** The one /metrics endpoint of the whole stack (undefined = off). */
  metrics: { host: string; port: number } | undefined;
  log: Logger;
}

export interface RunningStack {
  lines: string[];
  stop(): Promise<void>;
}

export async function startEmbeddedStack(options: EmbeddedStackOptions): Promise<RunningStack> {
  const { log } = options;
  const stops: { what: string; stop: () => Promise<void> | void }[] = [];
  const stopAll = async (): Promise<void> => {
    for (const { what, stop } of stops.reverse()) {
      try {
        await stop();
      } catch (err) {
        log.error(`stopping ${what} failed`, { error: err instanceof Error ? err.message : String(err) });
      }
    }
    stops.length = 0;
  };
  const lines: string[] = [];
  /** The roles once all are up: /readyz is theirs together. */
  const roles: RunningRole[] = [];
  await installRuntimeWithMetrics(log.child('temporal'), options.metrics);
  try {
    const metrics = await serveRoleMetrics(options.metrics, log.child('metrics'), async () =>
      (roles.length === 0 ? ['starting'] : readinessProblems(roles.flatMap((role) => role.readiness))));
    if (metrics) {
      stops.push({ what: 'metrics endpoint', stop: () => metrics.close() });
      lines.push(`metrics           ${metrics.url}  (product and Temporal SDK metrics, docs/metrics.md)`);
    }
    const config = loadDevStackConfig();
    const codecKeys = loadCodecKeyRing();
    const uiOrigin = `http://${config.server.ip}:${config.server.uiPort}`;
    const codec = await startCodecServer({ host: config.server.ip, port: config.server.uiCodecPort, keys: codecKeys, allowedOrigin: uiOrigin });
    stops.push({ what: 'codec server', stop: () => codec.close() });

    log.info('starting the Temporal dev server', { grpc: `${config.server.ip}:${config.server.port}`, ui: uiOrigin });
    const temporal = await startDevServer(config, { logDir: path.join(dataDir(), 'logs'), codecEndpoint: codec.url });
    stops.push({ what: 'Temporal dev server', stop: () => temporal.stop() });
    lines.push(`Temporal Web UI   ${temporal.uiUrl}  (namespace ${temporal.namespace}; payloads decoded by ${codec.url})`);
    lines.push(`Temporal gRPC     ${temporal.address}  (SQLite ${temporal.dbFile})`);

    let samba: SambaHandle | undefined;
    if (options.samba) {
      log.info('starting the Samba AD DC (first start installs and provisions it)', { dir: defaultSambaDir() });
      samba = await ensureSamba(defaultSambaDir());
      stops.push({ what: 'Samba AD DC', stop: () => samba!.stop() });
      lines.push(`directory         Samba AD DC ${samba.realm} at ${samba.url}`);
    }

    const store = await openSiteStore();
    stops.push({ what: 'site store', stop: () => store.close() });
    const site = await ensureDemoSite(store, { pkiDir: path.join(dataDir(), 'pki'), log, ...(samba ? { samba } : {}) });
    if (!(await store.settings.get()).directory) {
      lines.push('directory         none configured: runs will stop at validation. Point the site at an AD with `amtprov settings apply <file.yaml>`');
    }

    // The dev server takes no credentials: the stack's own address, not TEMPORAL_* of the environment.
    const settings = temporalSettings({ address: temporal.address, namespace: temporal.namespace });
    const connection = await connectWorkerConnection(settings);
    stops.push({ what: 'worker connection', stop: () => connection.close() });
    const worker = await startWorkerRole({
      connection, namespace: temporal.namespace, codecKeys, store, shutdownGraceMs: STACK_GRACE_MS, log,
    });
    stops.push({ what: 'worker', stop: () => worker.drain() });
    lines.push(worker.summary);

    const client = await connectClient(settings, codecKeys);
    stops.push({ what: 'Temporal client', stop: () => client.connection.close() });
    const listenerRole = await startListenerRole({ listen: options.listen, store, client, shutdownGraceMs: STACK_GRACE_MS, log: log.child('listener') });
    const { listener } = listenerRole;
    stops.push({ what: 'hello listener', stop: () => listenerRole.drain() });
    lines.push(listenerRole.summary);

    const siteServer = await startSiteServerRole({ listen: options.siteApi, store, client, shutdownGraceMs: STACK_GRACE_MS, log: log.child('site-api') });
    const siteApi = siteServer.api;
    stops.push({ what: 'site API', stop: () => siteServer.drain() });
    lines.push(siteServer.summary);
    roles.push(worker, listenerRole, siteServer);

    if (options.demo > 0) {
      const fleet = await startDemoFleet({
        count: options.demo, store, site, stateDir: path.join(dataDir(), 'emulator'),
        listener: { host: listener.host, port: listener.port }, timeScale: options.timeScale,
      });
      stops.push({ what: 'demo fleet', stop: () => fleet.stop() });
      const last = fleet.devices.at(-1)!.config.ip;
      lines.push(`demo fleet        ${fleet.devices.length} emulated device(s) ${DEMO_BASE_IP}${last === DEMO_BASE_IP ? '' : ` - ${last}`}, control API ${fleet.controlUrl ?? 'off'}`);
      const inBand = await startInBandDemo({
        store, site, stateDir: path.join(dataDir(), 'emulator'), agentDir: path.join(dataDir(), 'agents', 'demo'),
        listener: { host: listener.host, port: listener.port }, siteApiUrl: siteApi.url, timeScale: options.timeScale, log: log.child('demo-agent'),
      });
      stops.push({ what: 'in-band demo device', stop: () => inBand.fleet.stop() });
      lines.push(`in-band demo      1 emulated device ${IN_BAND_DEMO_IP} (not imported) ${inBand.outcome}`);
    }
  } catch (err) {
    await stopAll();
    throw err;
  }
  return { lines, stop: stopAll };
}
