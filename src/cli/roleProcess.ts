// A production role as its own process (`amtprov listener | worker | site-server`), its
// configuration checked (checkConfig) by the command: opens the site store, serves
// /metrics, /healthz and /readyz from the first moment (not ready until the role is up),
// starts the role, and on SIGTERM/SIGINT drains it: /readyz turns 503 so load balancers stop
// sending work, in-flight work finishes within the grace period, then exit 0. A second
// signal exits at once. What the role opened is closed in reverse order, whatever happens.
import type { Client } from '@temporalio/client';
import { shutdownGraceSeconds, type HostPort } from '../config/environment';
import type { Role } from '../config/variables';
import { createLogger, type Logger } from '../log';
import { installRuntimeWithMetrics, serveRoleMetrics } from '../metrics/metricsServer';
import { readinessProblems } from '../roles/readiness';
import type { RunningRole } from '../roles/runningRole';
import { openSiteStore, type SiteStore } from '../site/store';
import { connectClient } from '../temporal/connection';
import { waitForStopSignal } from './support';

export interface RoleContext {
  store: SiteStore;
  log: Logger;
  shutdownGraceMs: number;
  /** Registers a close for something the role's start opened (run newest first at exit). */
  defer: (what: string, close: () => Promise<void> | void) => void;
  /** A Temporal client from TEMPORAL_* and the codec key ring, closed at exit. */
  connectTemporal: () => Promise<Client>;
}

export interface RoleProcessOptions {
  role: Exclude<Role, 'start' | 'operator'>;
  metrics: HostPort | undefined;
  /** The role runs a Temporal worker: install the SDK runtime first (its metrics join /metrics). */
  runsWorker?: boolean;
  start(context: RoleContext): Promise<RunningRole>;
}

export async function runRoleProcess(options: RoleProcessOptions): Promise<number> {
  const log = createLogger(options.role);
  const shutdownGraceMs = shutdownGraceSeconds() * 1000;
  const closes: { what: string; close: () => Promise<void> | void }[] = [];
  const defer = (what: string, close: () => Promise<void> | void): void => {
    closes.push({ what, close });
  };
  let role: RunningRole | undefined;
  let draining = false;
  const readiness = async (): Promise<string[]> => {
    if (draining) return ['draining'];
    if (!role) return ['starting'];
    return readinessProblems(role.readiness);
  };
  try {
    if (options.runsWorker) await installRuntimeWithMetrics(log.child('temporal'), options.metrics);
    const store = await openSiteStore();
    defer('site store', () => store.close());
    const endpoint = await serveRoleMetrics(options.metrics, log.child('metrics'), readiness);
    if (endpoint) defer('metrics endpoint', () => endpoint.close());
    const signal = waitForStopSignal('exit');
    const connectTemporal = async (): Promise<Client> => {
      const client = await connectClient();
      defer('Temporal client', () => client.connection.close());
      return client;
    };
    role = await options.start({ store, log, shutdownGraceMs, defer, connectTemporal });
    process.stdout.write(`${role.summary}${endpoint ? `; metrics and health at ${endpoint.url.replace(/\/metrics$/, '')}` : ''}\n`);
    log.info('ready', { graceSeconds: shutdownGraceMs / 1000 });
    const stopped = role.stopped?.then(() => undefined) ?? new Promise<undefined>(() => undefined);
    const received = await Promise.race([signal, stopped]);
    if (!received) {
      log.error('stopped by itself');
      return 1;
    }
    draining = true;
    log.info('draining', { signal: received, graceSeconds: shutdownGraceMs / 1000 });
    await role.drain();
    log.info('stopped');
    return 0;
  } finally {
    for (const { what, close } of closes.reverse()) {
      try {
        await close();
      } catch (err) {
        log.error(`closing ${what} failed`, { error: err instanceof Error ? err.message : String(err) });
      }
    }
  }
}
