// The operations endpoint of a role (listener, worker, site server, `npm start`):
// GET /metrics answers the product's registry, process metrics (prom-client's defaults) and,
// when the process runs the Temporal SDK runtime, the runtime's own worker metrics, which
// its exporter serves on a private loopback port and this endpoint merges in. GET /healthz
// (alive: the process serves HTTP) and GET /readyz (the role's readiness probe: 200, or 503
// with the problems) are for orchestrators and load balancers. One target per process;
// loopback unless the operator binds it elsewhere.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { collectDefaultMetrics } from 'prom-client';
import type { Logger } from '../log';
import { freePort } from '../net/ports';
import { installRuntime, sdkMetricsUrl } from '../temporal/runtime';
import { productMetrics, productRegistry } from './productMetrics';

/** What keeps a role from being ready (empty: ready). */
export type ReadinessProbe = () => Promise<string[]>;

export interface MetricsEndpoint {
  url: string;
  close(): Promise<void>;
}

export interface MetricsServerOptions {
  host: string;
  port: number;
  log: Logger;
  /** The SDK runtime's exporter to merge in (see installRuntimeWithMetrics). */
  sdkMetricsUrl?: string;
  /** GET /readyz; without one, /readyz is 404. */
  readiness?: ReadinessProbe;
}

let defaultsCollected = false;

async function sdkMetrics(url: string, log: Logger): Promise<string> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const text = await response.text();
    productMetrics.sdkMetricsMerged(true);
    return text;
  } catch (err) {
    productMetrics.sdkMetricsMerged(false);
    log.warn('Temporal SDK metrics exporter did not answer; serving the product metrics only', { url, error: err instanceof Error ? err.message : String(err) });
    return '';
  }
}

function answerReadiness(readiness: ReadinessProbe, res: http.ServerResponse, log: Logger): void {
  readiness().then(
    (problems) => res.writeHead(problems.length === 0 ? 200 : 503, { 'Content-Type': 'application/json' })
      .end(`${JSON.stringify(problems.length === 0 ? { ready: true } : { ready: false, problems })}\n`),
    (err: unknown) => {
      const error = err instanceof Error ? err.message : String(err);
      log.error('readiness probe failed', { error });
      res.writeHead(503, { 'Content-Type': 'application/json' }).end(`${JSON.stringify({ ready: false, problems: [`probe failed: ${error}`] })}\n`);
    },
  );
}

export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsEndpoint> {
  const { log } = options;
  if (!defaultsCollected) {
    collectDefaultMetrics({ register: productRegistry });
    defaultsCollected = true;
  }
  const routes = options.readiness ? 'GET /metrics, /healthz, /readyz' : 'GET /metrics, /healthz';
  const server = http.createServer((req, res) => {
    const route = (req.url ?? '').split('?')[0];
    if (req.method === 'GET' && route === '/healthz') {
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"live":true}\n');
      return;
    }
    if (req.method === 'GET' && route === '/readyz' && options.readiness) {
      answerReadiness(options.readiness, res, log);
      return;
    }
    if (req.method !== 'GET' || route !== '/metrics') {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end(`${routes}\n`);
      return;
    }
    // SDK first, so amtprov_sdk_metrics_up in our half says how this very scrape went.
    const sdk = options.sdkMetricsUrl ? sdkMetrics(options.sdkMetricsUrl, log) : Promise.resolve('');
    sdk.then(async (sdkText) => `${await productRegistry.metrics()}\n${sdkText}`).then(
      (body) => res.writeHead(200, { 'Content-Type': productRegistry.contentType }).end(body),
      (err: unknown) => {
        log.error('metrics collection failed', { error: err instanceof Error ? err.message : String(err) });
        res.writeHead(500, { 'Content-Type': 'text/plain' }).end('metrics collection failed\n');
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(err.code === 'EADDRINUSE'
      ? new Error(`metrics endpoint: ${options.host}:${options.port} is already in use (--metrics / AMTPROV_METRICS_LISTEN; 0 turns it off)`, { cause: err })
      : err));
    server.listen({ host: options.host, port: options.port }, resolve);
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  log.info('metrics endpoint ready', { url: `http://${host}:${port}/metrics`, sdk: options.sdkMetricsUrl ?? 'none' });
  return {
    url: `http://${host}:${port}/metrics`,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

/**
 * For a role that runs a worker, before its first NativeConnection: installs the SDK runtime,
 * with the runtime's exporter on a free loopback port when the role serves metrics. The port
 * is probed, then bound by the runtime: another process could take it in between, and then
 * the install fails loudly.
 */
export async function installRuntimeWithMetrics(log: Logger, metrics: { host: string; port: number } | undefined): Promise<void> {
  installRuntime(log, metrics ? { sdkMetricsAddress: `127.0.0.1:${await freePort('127.0.0.1')}` } : {});
}

/** Serves a role's /metrics, /healthz and /readyz (undefined = off), merging the SDK runtime's metrics if it exports them. */
export async function serveRoleMetrics(metrics: { host: string; port: number } | undefined, log: Logger, readiness?: ReadinessProbe): Promise<MetricsEndpoint | undefined> {
  if (!metrics) return undefined;
  const sdk = sdkMetricsUrl();
  return startMetricsServer({ ...metrics, log, ...(sdk ? { sdkMetricsUrl: sdk } : {}), ...(readiness ? { readiness } : {}) });
}
