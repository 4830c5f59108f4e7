// The site server role: the HTTPS API for in-band agents (mutual TLS), starting each accepted
// request's run in Temporal. Stateless: several behind a TCP load balancer share one store.
import type { Client } from '@temporalio/client';
import type { HostPort } from '../config/environment';
import type { Logger } from '../log';
import { startSiteApi, type SiteApi } from '../site/api/siteApiServer';
import { inBandRunStarter } from '../site/api/startInBandRun';
import type { SiteStore } from '../site/store';
import { TASK_QUEUE } from '../workflows/definitions';
import { storeReady, temporalReady } from './readiness';
import type { RunningRole } from './runningRole';

export interface SiteServerRoleOptions {
  listen: HostPort;
  /** More DNS names or addresses agents use for this server (its certificate's names). */
  serverNames?: string[];
  store: SiteStore;
  client: Client;
  taskQueue?: string;
  /** How long a drain lets requests in progress finish. */
  shutdownGraceMs: number;
  log: Logger;
}

export async function startSiteServerRole(options: SiteServerRoleOptions): Promise<RunningRole & { api: SiteApi }> {
  const { store, client } = options;
  const api = await startSiteApi({
    ...options.listen, serverNames: options.serverNames ?? [], store, startRun: inBandRunStarter(client, options.taskQueue ?? TASK_QUEUE), log: options.log,
  });
  return {
    api,
    summary: `site API          ${api.url}  (in-band agents; enroll one with \`amtprov agent enroll <name> --computer <fqdn> --out <dir>\`)`,
    readiness: [temporalReady(client.connection, client.options.namespace), storeReady(store)],
    drain: () => api.close(options.shutdownGraceMs),
  };
}
