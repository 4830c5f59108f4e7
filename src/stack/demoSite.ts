// The embedded default's site: on first start, a demo PKI (root, provisioning certificate,
// issuing CA) and settings that point at the embedded Samba DC with one Digest account.
// Operators replace any of it with `amtprov certs add` / `amtprov settings apply`.
import path from 'node:path';
import { createDemoPki, writeDemoPki } from '../pki/demoPki';
import { registerDemoPki } from '../pki/register';
import { generateAmtPassword } from '../site/amtPassword';
import { SecretValue } from '../site/settings';
import type { SiteStore } from '../site/store';
import type { Logger } from '../log';
import type { SambaHandle } from './samba';

export const DEMO_DOMAIN = 'amt.test';

export interface DemoSite {
  /** The root the demo fleet trusts (the provisioning certificate's root). */
  rootPem: string;
  /** The password the demo fleet's devices were "set up in MEBx" with: the site's first Digest account. */
  deviceAdminPassword: string;
}

export async function ensureDemoSite(store: SiteStore, options: { pkiDir: string; samba?: SambaHandle; log: Logger }): Promise<DemoSite> {
  const { log } = options;
  if ((await store.provisioningCertificates.list()).length === 0) {
    const pki = createDemoPki({ domain: DEMO_DOMAIN });
    await registerDemoPki(store, pki, 'stack');
    const files = writeDemoPki(pki, options.pkiDir, { force: true });
    log.info('made the demo PKI (root, provisioning certificate, issuing CA)', { dir: path.dirname(files.rootCert) });
  }
  const settings = await store.settings.get();
  if (!settings.directory && options.samba) {
    const samba = options.samba;
    await store.settings.apply({
      ...settings,
      directory: {
        url: samba.url,
        bindDn: samba.bindDn,
        bindPassword: new SecretValue('directory-bind-password', samba.bindPassword),
        caCertPem: samba.caCertPem,
        tlsServerName: samba.tlsServerName,
        computerOu: `CN=Computers,${samba.baseDn}`,
        kerberosRealm: samba.realm,
      },
      digestAccounts: settings.digestAccounts.length > 0
        ? settings.digestAccounts
        : [{ username: 'admin', password: new SecretValue('digest-account-password', generateAmtPassword(16)) }],
      provisioningDeadline: '15m',
    });
    log.info('configured the site for the embedded directory', { realm: samba.realm, url: samba.url });
  }
  const account = (await store.settings.get()).digestAccounts[0];
  if (!account) throw new Error('the site has no Digest account; add one with `amtprov settings apply`');
  const root = (await store.provisioningCertificates.list())[0].chainPem.at(-1)!;
  return { rootPem: root, deviceAdminPassword: await store.vault.getSecret(account.password) };
}
