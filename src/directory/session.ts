// One bound LDAPS connection per batch of operations: bind, run, always unbind. Every
// directory round trip passes here, so this is where failed sessions are counted.
import { Client } from 'ldapts';
import { productMetrics } from '../metrics/productMetrics';
import { DirectoryError, toDirectoryError } from './errors';
import { ldapResultName } from './ldapResults';
import type { DirectorySettings } from './settings';

export async function withDirectorySession<T>(
  settings: DirectorySettings,
  secrets: readonly string[],
  fn: (client: Client) => Promise<T>,
): Promise<T> {
  const timeout = settings.timeoutMs ?? 15_000;
  const tlsOptions = {
    ...(settings.caCertPem ? { ca: settings.caCertPem } : {}),
    ...(settings.tlsServerName ? { servername: settings.tlsServerName } : {}),
  };
  const client = new Client({ url: settings.url, timeout, connectTimeout: timeout, tlsOptions });
  const allSecrets = [settings.bindPassword, ...secrets];
  try {
    try {
      await client.bind(settings.bindDn, settings.bindPassword);
    } catch (err) {
      throw toDirectoryError(err, `bind as ${settings.bindDn} to ${settings.url}`, allSecrets);
    }
    try {
      return await fn(client);
    } catch (err) {
      throw toDirectoryError(err, `directory operation on ${settings.url}`, allSecrets);
    }
  } catch (err) {
    if (err instanceof DirectoryError) productMetrics.directoryError(err.type, ldapResultName(err.ldapCode));
    throw err;
  } finally {
    await client.unbind().catch(() => undefined);
  }
}
