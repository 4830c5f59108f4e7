// What the operator commands share: the site store and a Temporal client from the
// environment, and finding a computer by UUID or NetBIOS name.
import type { Client } from '@temporalio/client';
import type { Computer } from '../site/computers';
import { openSiteStore, type SiteStore } from '../site/store';
import { connectClient } from '../temporal/connection';

export interface OperatorContext {
  store: SiteStore;
  client(): Promise<Client>;
  close(): Promise<void>;
}

export async function operatorContext(): Promise<OperatorContext> {
  const store = await openSiteStore();
  let client: Promise<Client> | undefined;
  return {
    store,
    client: () => (client ??= connectClient()),
    async close() {
      await store.close();
      if (client) await (await client).connection.close();
    },
  };
}

export async function findComputer(store: SiteStore, id: string): Promise<Computer> {
  const looksLikeUuid = /^\{?[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}\}?$/i.test(id);
  const computer = looksLikeUuid ? await store.computers.findByUuid(id) : await store.computers.findByName(id);
  if (!computer) throw new Error(`no computer with UUID or name "${id}" in the site store`);
  return computer;
}
