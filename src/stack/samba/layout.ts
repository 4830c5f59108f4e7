// Where a Samba AD DC directory keeps each file, and the fixed facts of the throwaway domain.
import path from 'node:path';
import { dataDir } from '../../config/paths';

/** The throwaway domain every embedded and test DC is provisioned with. */
export const SAMBA_DOMAIN = {
  realm: 'AMT.TEST',
  netbiosDomain: 'AMT',
  hostName: 'dc1',
  baseDn: 'DC=amt,DC=test',
  adminDn: 'CN=Administrator,CN=Users,DC=amt,DC=test',
  /** Samba's self-made LDAPS certificate names the DC only by this CN (no SAN, no IP). */
  tlsServerName: 'DC1.amt.test',
  host: '127.0.0.1',
  ldapsPort: 636,
  /** TCP ports the services we run bind; checked before start so a taken one is named. */
  ports: [
    { port: 389, what: 'LDAP' },
    { port: 636, what: 'LDAPS' },
    { port: 88, what: 'Kerberos KDC' },
  ],
} as const;

/** The embedded default's DC lives under the data dir, like the rest of the runtime state. */
export function defaultSambaDir(): string {
  return path.join(dataDir(), 'ad');
}

export interface SambaLayout {
  dir: string;
  smbConf: string;
  /** 0600, the generated Administrator password; never printed. */
  adminPasswordFile: string;
  /** Written last by provisioning: its absence means a half-made directory. */
  provisionedMarker: string;
  krb5Conf: string;
  logDir: string;
  logFile: string;
  /** stdout/stderr of the `samba -D` launcher (before it detaches). */
  launchLog: string;
  runDir: string;
  pidFile: string;
  caCert: string;
  leasesDir: string;
  lockFile: string;
}

export function sambaLayout(dir: string): SambaLayout {
  const abs = path.resolve(dir);
  return {
    dir: abs,
    smbConf: path.join(abs, 'etc', 'smb.conf'),
    adminPasswordFile: path.join(abs, 'admin-password'),
    provisionedMarker: path.join(abs, 'provisioned.json'),
    krb5Conf: path.join(abs, 'krb5.conf'),
    logDir: path.join(abs, 'log'),
    logFile: path.join(abs, 'log', 'samba.log'),
    launchLog: path.join(abs, 'log', 'launch.log'),
    runDir: path.join(abs, 'run'),
    pidFile: path.join(abs, 'run', 'samba.pid'),
    caCert: path.join(abs, 'private', 'tls', 'ca.pem'),
    leasesDir: path.join(abs, 'leases'),
    lockFile: path.join(abs, 'amtprov.lock'),
  };
}

/**
 * What provisioning (samba-tool and our own steps) creates directly inside the directory.
 * A half-made directory is cleaned by removing exactly these, never anything else a
 * caller may have put there.
 */
export const PROVISIONED_ENTRIES = [
  'etc', 'private', 'state', 'cache', 'bind-dns', 'log', 'run', 'leases',
  'admin-password', 'provisioned.json', 'krb5.conf',
] as const;
