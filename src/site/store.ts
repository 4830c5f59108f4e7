// The site store: one SQLite file holding computers, settings, certificates, the secret
// vault and the audit log. Each part is a small object over the same connection; writes
// that belong together run in one transaction (`store.transaction`).
import path from 'node:path';
import { loadKeyRing, type KeyRing } from '../secrets/keyFile';
import { dataDir } from '../stack/paths';
import { AdminCredentials } from './adminCredentials';
import { Agents } from './agents';
import { InBandRegistrations } from './inBandRegistrations';
import { AuditLog } from './auditLog';
import { CertificateRevocations } from './certificateRevocations';
import { IssuingCa, ProvisioningCertificates } from './certificates';
import { Computers } from './computers';
import { openSiteDb, type SiteDb } from './db';
import { SettingsStore } from './settings';
import { Vault } from './vault';

export const MASTER_KEY_ENV = 'AMTPROV_MASTER_KEY';

export interface SiteStoreOptions {
  /** SQLite file; default `<dataDir()>/site.sqlite` (env AMTPROV_SITE_DB overrides). */
  file?: string;
  /** Master key ring; default from AMTPROV_MASTER_KEY / _FILE, else `<dataDir()>/keys/master.key`. */
  keyRing?: KeyRing;
  now?: () => Date;
}

export function defaultSiteDbFile(): string {
  return process.env.AMTPROV_SITE_DB ?? path.join(dataDir(), 'site.sqlite');
}

export function loadMasterKeyRing(): KeyRing {
  return loadKeyRing(MASTER_KEY_ENV, path.join(dataDir(), 'keys', 'master.key'));
}

export class SiteStore {
  readonly vault: Vault;
  readonly computers: Computers;
  readonly credentials: AdminCredentials;
  readonly settings: SettingsStore;
  readonly provisioningCertificates: ProvisioningCertificates;
  readonly issuingCa: IssuingCa;
  readonly revocations: CertificateRevocations;
  readonly audit: AuditLog;
  readonly inBand: InBandRegistrations;
  readonly agents: Agents;

  constructor(
    readonly db: SiteDb,
    keyRing: KeyRing,
    now: () => Date = () => new Date(),
  ) {
    this.vault = new Vault(db, keyRing, now);
    this.computers = new Computers(db, this.vault, now);
    this.credentials = new AdminCredentials(db, this.vault, this.computers, now);
    this.settings = new SettingsStore(db, this.vault, now);
    this.provisioningCertificates = new ProvisioningCertificates(db, this.vault, now);
    this.issuingCa = new IssuingCa(db, this.vault, now);
    this.revocations = new CertificateRevocations(db, now);
    this.audit = new AuditLog(db, now);
    this.inBand = new InBandRegistrations(db, this.vault, now);
    this.agents = new Agents(db, now);
  }

  /** Runs `fn` in one transaction (nested calls become savepoints); a throw rolls it all back. */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  close(): void {
    this.db.close();
  }
}

export function openSiteStore(options: SiteStoreOptions = {}): SiteStore {
  const keyRing = options.keyRing ?? loadMasterKeyRing();
  return new SiteStore(openSiteDb(options.file ?? defaultSiteDbFile()), keyRing, options.now);
}
