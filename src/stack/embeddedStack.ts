// `npm start`: the whole provisioning server on one machine. Temporal dev server (Web UI,
// SQLite file) or, for `npm run cluster`, the real Temporal server (PostgreSQL, several
// history shards, Web UI); codec endpoint for the UI, Samba AD DC, site store, the three roles
// (worker, hello listener, site server API: the same role code as their own commands,
// src/roles), and optionally an emulated demo fleet. Everything started is stopped again, in reverse.
import path from 'node:path';
import type { Logger } from '../log';
import { installRuntimeWithMetrics, serveRoleMetrics } from '../metrics/metricsServer';
import { startListenerRole } from '../roles/listenerRole';
import { readinessProblems } from '../roles/readiness';
import type { RunningRole } from '../roles/runningRole';
import { startSiteServerRole } from '../roles/siteServerRole';
import { startWorkerRole } from '../roles/workerRole';
import { codecTokenVariables } from '../config/environment';
import { readTokens } from '../secrets/keyFile';
import { applyMaintenanceSchedules } from '../schedules/maintenanceSchedules';
import { openSiteStore } from '../site/store';
import { codecAuth, newCodecSecret } from '../temporal/codecAuth';
import { startCodecServer } from '../temporal/codecServer';
import { connectClient, loadCodecKeyRing, temporalSettings } from '../temporal/connection';
import { CLUSTER_WORKFLOW_TASK_TUNING, connectWorkerConnection } from '../worker';
import { startDemoFleet, startInBandDemo, DEMO_BASE_IP, IN_BAND_DEMO_IP } from './demoFleet';
import { ensureDemoSite } from './demoSite';
import { startClusterProfileTemporal } from './cluster/clusterProfile';
import { startDevServer } from './devServer';
import { loadDevStackConfig, type DevStackConfig } from '../config/temporalDev';
import { dataDir } from '../config/paths';
import { ensureSamba, defaultSambaDir, type SambaHandle } from './samba';

/** Ctrl-C should not keep a demo waiting: in-flight work gets this long (it is idempotent and resumes at the next start). */
const STACK_GRACE_MS = 10_000;

/** Which Temporal the stack runs: the CLI's dev server, or the real server with N history shards. */
export type TemporalProfile = { kind: 'dev' } | { kind: 'cluster'; historyShards?: number };

export interface EmbeddedStackOptions {
  temporal: TemporalProfile;
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
    // The dev server's UI has no sign-on (no access token to pass): browsers log in once per
    // start with this code and send the session cookie; the CLI and scripts use the token file.
    const loginCode = newCodecSecret();
    const codecTokens = codecTokenVariables();
    const auth = codecAuth({ tokens: readTokens(codecTokens), login: { code: loginCode, uiUrl: uiOrigin } });
    const codec = await startCodecServer({ host: config.server.ip, port: config.server.uiCodecPort, keys: codecKeys, allowedOrigin: uiOrigin, auth });
    stops.push({ what: 'codec server', stop: () => codec.close() });

    const temporal = await startStackTemporal(options.temporal, config, codec.url, log);
    stops.push({ what: temporal.what, stop: () => temporal.stop() });
    lines.push(`Temporal Web UI   ${temporal.uiUrl}  (namespace ${temporal.namespace}; payloads decoded by ${codec.url})`);
    // The banner goes to the operator's terminal only, never through the logger.
    lines.push(`codec login       ${codec.url}/login?code=${loginCode}  (once per start, then the UI decodes; README "How the UI authenticates to the codec")`);
    lines.push(`codec for the CLI --codec-endpoint ${codec.url} --codec-auth "Bearer ${codecTokens.inline ? '$AMTPROV_CODEC_TOKEN' : `$(cat ${codecTokens.file})`}"`);
    lines.push(...temporal.lines);

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
      // Many shards keep more workflow tasks moving than the SDK's defaults poll for.
      ...(options.temporal.kind === 'cluster' ? { workflowTasks: CLUSTER_WORKFLOW_TASK_TUNING } : {}),
    });
    stops.push({ what: 'worker', stop: () => worker.drain() });
    lines.push(worker.summary);

    const client = await connectClient(settings, codecKeys);
    stops.push({ what: 'Temporal client', stop: () => client.connection.close() });
    lines.push(...(await applyMaintenanceSchedules(client, (await store.settings.get()).maintenance)).map((s) => `schedule          ${s.scheduleId} every ${s.intervalSeconds} s${s.paused ? ' (paused: disabled in settings)' : ''}`));
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

interface StackTemporal {
  what: string;
  address: string;
  namespace: string;
  uiUrl: string;
  lines: string[];
  stop(): Promise<void>;
}

async function startStackTemporal(profile: TemporalProfile, config: DevStackConfig, codecEndpoint: string, log: Logger): Promise<StackTemporal> {
  const grpc = `${config.server.ip}:${config.server.port}`;
  if (profile.kind === 'cluster') {
    const cluster = await startClusterProfileTemporal(config, { codecEndpoint, log, ...(profile.historyShards ? { historyShards: profile.historyShards } : {}) });
    return {
      what: 'Temporal server (cluster profile)', address: cluster.address, namespace: cluster.namespace, uiUrl: cluster.uiUrl!, stop: () => cluster.stop(),
      lines: [
        `Temporal gRPC     ${cluster.address}  (Temporal server ${cluster.binaries.serverVersion}, ${cluster.historyShards} history shards, log ${cluster.logFile})`,
        `Temporal storage  PostgreSQL ${cluster.postgres.host}:${cluster.postgres.port} (databases temporal, temporal_visibility; data in ${cluster.dir})`,
        `Temporal metrics  ${cluster.metricsUrl}  (server Prometheus: persistence, shards, task queues)`,
      ],
    };
  }
  log.info('starting the Temporal dev server', { grpc, ui: `http://${config.server.ip}:${config.server.uiPort}` });
  const dev = await startDevServer(config, { logDir: path.join(dataDir(), 'logs'), codecEndpoint });
  return {
    what: 'Temporal dev server', address: dev.address, namespace: dev.namespace, uiUrl: dev.uiUrl, stop: () => dev.stop(),
    lines: [`Temporal gRPC     ${dev.address}  (SQLite ${dev.dbFile})`],
  };
}
