// A batch of operations on one bound LDAPS connection: from the process's pool (the default),
// or a connection of its own for a call that must not share one (verifyBind proves a fresh
// connect, certificate check and bind). Every directory round trip passes here, so this is
// where failed sessions are counted.
import type { Client } from 'ldapts';
import { productMetrics } from '../metrics/productMetrics';
import { closeConnection, openBoundConnection } from './boundConnection';
import type { DirectoryConnections } from './directoryConnections';
import { DirectoryError, toDirectoryError } from './errors';
import { ldapResultName } from './ldapResults';
import type { DirectorySettings } from './settings';

/** `connections` null: open, bind and close a connection for this batch alone. */
export async function withDirectorySession<T>(
  settings: DirectorySettings,
  secrets: readonly string[],
  connections: DirectoryConnections | null,
  fn: (client: Client) => Promise<T>,
): Promise<T> {
  const run = (client: Client): Promise<T> => fn(client).catch((err: unknown) => {
    throw toDirectoryError(err, `directory operation on ${settings.url}`, [settings.bindPassword, ...secrets]);
  });
  try {
    return await (connections ? connections.use(settings, run) : withOwnConnection(settings, run));
  } catch (err) {
    if (err instanceof DirectoryError) productMetrics.directoryError(err.type, ldapResultName(err.ldapCode));
    throw err;
  }
}

async function withOwnConnection<T>(settings: DirectorySettings, fn: (client: Client) => Promise<T>): Promise<T> {
  const client = await openBoundConnection(settings);
  try {
    return await fn(client);
  } finally {
    await closeConnection(client);
  }
}
