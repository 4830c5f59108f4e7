// A fresh site for one benchmark phase: its own site store (SQLite file in the run's temp
// dir), the demo PKI, default AMT settings, the phase's devices imported, and a fresh OU in
// the Samba DC for their computer accounts (deleted with its contents afterwards).
import { randomBytes } from 'node:crypto';
import { createDemoPki, type DemoPki } from '../../src/pki/demoPki';
import { registerDemoPki } from '../../src/pki/register';
import { generateRsaKeyPair } from '../../src/pki/x509';
import type { KeyRing } from '../../src/secrets/keyFile';
import type { SambaHandle } from '../../src/stack/samba';
import { importComputers } from '../../src/site/importComputers';
import { SecretValue } from '../../src/site/settings';
import { openSiteStore, type SiteStore } from '../../src/site/store';
import { deleteTree, withAdminClient } from '../../test/support/ad';

export const BENCH_DOMAIN = 'amt.test';

export function benchPki(): DemoPki {
  // Node's native RSA keygen: node-forge's pure-JS keygen takes seconds per key.
  return createDemoPki({ domain: BENCH_DOMAIN, keys: { root: generateRsaKeyPair(), provisioning: generateRsaKeyPair(), issuingCa: generateRsaKeyPair() } });
}

export interface BenchOu {
  dn: string;
  remove(): Promise<void>;
}

export async function createOu(samba: SambaHandle, label: string): Promise<BenchOu> {
  const name = `bench-pf-${label}-${randomBytes(4).toString('hex')}`;
  const dn = `OU=${name},${samba.baseDn}`;
  await withAdminClient(samba, (client) => client.add(dn, { objectClass: ['top', 'organizationalUnit'], ou: name }));
  return { dn, remove: () => deleteTree(samba, dn) };
}

export interface SiteDevice {
  uuid: string;
}

export interface ListenerSiteOptions {
  file: string;
  keyRing: KeyRing;
  pki: DemoPki;
  devices: SiteDevice[];
  /** Two letters that keep the phases' NetBIOS names apart (sAMAccountName is domain-wide). */
  namePrefix: string;
}

export interface BenchSiteOptions extends ListenerSiteOptions {
  samba: SambaHandle;
  ou: string;
  /** The factory admin (MEBx) password the devices were set up with. */
  devicePassword: string;
}

/** What the hello listener reads of a site: the demo PKI's provisioning roots and the imported devices (the storm needs no more). */
export async function createListenerSite(options: ListenerSiteOptions): Promise<SiteStore> {
  const store = await openSiteStore({ location: options.file, keyRing: options.keyRing });
  await registerDemoPki(store, options.pki, 'bench');
  // A per-run tag in every name: a run that died before deleting its OU leaves accounts
  // whose sAMAccountNames must not collide with the next run's.
  const tag = randomBytes(2).toString('hex').toUpperCase();
  await importComputers(store, options.devices.map((device, i) => {
    const name = `${options.namePrefix}${tag}${i}`;
    return { line: i + 1, netbiosName: name, fqdn: `${name.toLowerCase()}.${BENCH_DOMAIN}`, uuid: device.uuid, mac: null, mebxPassword: null, adminPassword: null };
  }), 'bench');
  return store;
}

export async function createBenchSite(options: BenchSiteOptions): Promise<SiteStore> {
  const { samba } = options;
  const store = await createListenerSite(options);
  await store.settings.apply({
    directory: {
      url: samba.url, bindDn: samba.bindDn, bindPassword: new SecretValue('directory-bind-password', samba.bindPassword),
      caCertPem: samba.caCertPem, tlsServerName: samba.tlsServerName, computerOu: options.ou, kerberosRealm: samba.realm,
    },
    digestAccounts: [{ username: 'admin', password: new SecretValue('digest-account-password', options.devicePassword) }],
    // Default AMT settings (SP2, every feature on, no wireless): what a site gets out of the box.
    amt: {},
    provisioningDeadline: '10m',
  });
  return store;
}
