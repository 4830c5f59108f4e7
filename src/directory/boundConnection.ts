// One LDAPS connection bound as the settings' account: what the pool holds and what a call
// that must not share a connection opens for itself.
import { connect as tlsConnect } from 'node:tls';
import { Client } from 'ldapts';
import { toDirectoryError } from './errors';
import type { DirectorySettings } from './settings';

export const DEFAULT_TIMEOUT_MS = 15_000;

/** Throws DirectoryError (credentials, certificate, unreachable) naming the bind; never the password. */
export async function openBoundConnection(settings: DirectorySettings): Promise<Client> {
  const timeout = settings.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const tlsOptions = {
    ...(settings.caCertPem ? { ca: settings.caCertPem } : {}),
    ...(settings.tlsServerName ? { servername: settings.tlsServerName } : {}),
  };
  const client = new Client({
    url: settings.url, timeout, connectTimeout: timeout, tlsOptions,
    // An idle pooled socket must not keep a finished process (a test, a command) running; a
    // call in flight still does, through ldapts' per-operation timer.
    createSecureConnection: ((...args: Parameters<typeof tlsConnect>) => tlsConnect(...args).unref()) as typeof tlsConnect,
  });
  try {
    await client.bind(settings.bindDn, settings.bindPassword);
  } catch (err) {
    await closeConnection(client);
    throw toDirectoryError(err, `bind as ${settings.bindDn} to ${settings.url}`, [settings.bindPassword]);
  }
  return client;
}

/** Unbinds and closes the socket; a connection already broken has nothing to report. */
export function closeConnection(client: Client): Promise<void> {
  return client.unbind().catch(() => undefined);
}
