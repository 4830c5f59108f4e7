// How to reach the directory. Only LDAPS: computer passwords (unicodePwd) may only be written
// over an encrypted connection, and simple binds on AD require one.
import { invalidInput } from './errors';
import { validateDn } from './validate';

export interface DirectorySettings {
  /** ldaps://host[:port] of a domain controller. */
  url: string;
  /** DN (or UPN, user@REALM) of an account allowed to create computer objects in the OU. */
  bindDn: string;
  bindPassword: string;
  /** Naming context searched for existing accounts, e.g. DC=amt,DC=test. */
  baseDn: string;
  /** PEM of the CA that issued the DC's certificate; the system CAs when omitted. */
  caCertPem?: string;
  /** Name to verify the certificate against when the URL host is not in it (e.g. an IP URL). */
  tlsServerName?: string;
  /** Per LDAP operation (and for connecting); default 15 s. */
  timeoutMs?: number;
}

export function validateSettings(settings: DirectorySettings): DirectorySettings {
  let url: URL;
  try {
    url = new URL(settings.url);
  } catch {
    throw invalidInput('settings.url', `"${settings.url}" is not a URL (expected ldaps://host:636)`);
  }
  if (url.protocol !== 'ldaps:') throw invalidInput('settings.url', `"${settings.url}" must use ldaps:// (passwords are only written over TLS)`);
  if (url.pathname && url.pathname !== '/') throw invalidInput('settings.url', `"${settings.url}" must be ldaps://host[:port] only`);
  if (typeof settings.bindDn !== 'string' || settings.bindDn.trim() === '') throw invalidInput('settings.bindDn', 'required');
  if (typeof settings.bindPassword !== 'string' || settings.bindPassword === '') throw invalidInput('settings.bindPassword', 'required');
  const baseDn = validateDn(settings.baseDn, 'settings.baseDn');
  if (settings.timeoutMs !== undefined && !(Number.isInteger(settings.timeoutMs) && settings.timeoutMs > 0)) {
    throw invalidInput('settings.timeoutMs', `${settings.timeoutMs} is not a positive integer`);
  }
  return { ...settings, baseDn };
}
