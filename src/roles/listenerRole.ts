// The hello listener role (the out-of-band service point): Hellos on the listen address, the
// site store for lookups, Temporal to start or signal each device's run. Stateless: any number
// of listeners can serve one site, each device's run is keyed by its UUID.
import type { Client } from '@temporalio/client';
import type { HostPort } from '../config/environment';
import { startHelloListener, type HelloListener } from '../listener/helloListener';
import { siteHelloLookups } from '../listener/siteLookups';
import { helloToWorkflow } from '../listener/startProvisioning';
import type { Logger } from '../log';
import type { SiteStore } from '../site/store';
import { TASK_QUEUE } from '../workflows/definitions';
import { storeReady, temporalReady } from './readiness';
import { drainWithin, type RunningRole } from './runningRole';

export interface ListenerRoleOptions {
  listen: HostPort;
  store: SiteStore;
  client: Client;
  taskQueue?: string;
  /** How long a drain waits for open connections and Hellos being handed on. */
  shutdownGraceMs: number;
  log: Logger;
}

export async function startListenerRole(options: ListenerRoleOptions): Promise<RunningRole & { listener: HelloListener }> {
  const { store, client, log } = options;
  const listener = await startHelloListener({
    ...options.listen, lookups: siteHelloLookups(store), provision: helloToWorkflow(client, options.taskQueue ?? TASK_QUEUE), log,
  });
  return {
    listener,
    summary: `hello listener    ${listener.host}:${listener.port}`,
    readiness: [temporalReady(client.connection, client.options.namespace), storeReady(store)],
    drain: () => drainWithin(listener.close(), options.shutdownGraceMs, log, 'Hellos'),
  };
}
