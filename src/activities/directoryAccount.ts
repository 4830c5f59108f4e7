// Seed step 4.4: the device's AD computer account in the configured OU, with the four AMT
// SPNs, over LDAPS. The account password is a secret like any other: stored in the vault
// before it is set in the directory, and reused on a retry so a retry converges.
import { firmwareMajor } from '../contract/firmwareFamilies';
import { DirectoryClient, directoryEncryptionTypesFor, type DirectorySettings } from '../directory';
import { generateAmtPassword } from '../site/amtPassword';
import type { SiteSettings } from '../site/settings';
import type { DirectoryAccountResult } from './types';
import { auditStep } from './audit';
import { ProvisioningRefused, type ActivityDeps } from './deps';
import { startHeartbeat } from './heartbeat';
import { remember, revealSecret } from './secretScope';

/** AMT.TEST -> DC=amt,DC=test */
function baseDnOfRealm(realm: string): string {
  return realm.toLowerCase().split('.').map((part) => `DC=${part}`).join(',');
}

export async function directorySettings(deps: ActivityDeps, directory: NonNullable<SiteSettings['directory']>): Promise<DirectorySettings> {
  return {
    url: directory.url,
    bindDn: directory.bindDn,
    bindPassword: await revealSecret(deps.store, directory.bindPassword),
    baseDn: baseDnOfRealm(directory.kerberosRealm),
    ...(directory.caCertPem ? { caCertPem: directory.caCertPem } : {}),
    ...(directory.tlsServerName ? { tlsServerName: directory.tlsServerName } : {}),
  };
}

export async function createDirectoryAccount(deps: ActivityDeps, input: { computerId: number }): Promise<DirectoryAccountResult> {
  const { store } = deps;
  const directory = (await store.settings.get()).directory;
  if (!directory) throw new ProvisioningRefused('SiteNotConfigured', 'no directory is configured (amtprov settings apply)');
  const computer = await store.computers.get(input.computerId);

  let password: string;
  if (computer.secretRefs.adAccountPassword) {
    password = await revealSecret(store, computer.secretRefs.adAccountPassword);
  } else {
    // 32 characters meet both AD complexity and AMT's Kerberos passphrase rules.
    password = generateAmtPassword(32);
    remember(password);
    await store.computers.setSecret(computer.id, 'ad-account-password', password);
  }

  const heartbeat = startHeartbeat();
  try {
    const major = computer.firmwareVersion ? firmwareMajor(computer.firmwareVersion) : undefined;
    const account = await new DirectoryClient(await directorySettings(deps, directory)).ensureComputerAccount({
      ou: directory.computerOu,
      netbiosName: computer.netbiosName,
      fqdn: computer.fqdn,
      password,
      ...(major !== undefined ? { supportedEncryptionTypes: directoryEncryptionTypesFor(major) } : {}),
    });
    await auditStep(deps, computer.uuid, 'provisioning.directory-account', 'success', {
      dn: account.dn, created: account.created, keyVersion: account.keyVersion,
    });
    return { dn: account.dn, created: account.created, keyVersion: account.keyVersion };
  } finally {
    heartbeat.stop();
  }
}
