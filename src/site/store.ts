// The site store: computers, settings, certificates, the secret vault and the audit log, in
// SQLite (embedded default) or PostgreSQL (several hosts sharing one store), chosen by
// AMTPROV_SITE_DB. Each part is a small object over the same database; writes that belong
// together run in one transaction (`store.transaction(async (tx) => ...)`, where `tx` is the
// same parts bound to that transaction's connection).
import path from 'node:path';
import { loadKeyRing, type KeyRing } from '../secrets/keyFile';
import { dataDir } from '../config/paths';
import { AdminCredentials } from './adminCredentials';
import { Agents } from './agents';
import { InBandRegistrations } from './inBandRegistrations';
import { AuditLog } from './auditLog';
import { CertificateRevocations } from './certificateRevocations';
import { IssuingCa, ProvisioningCertificates } from './certificates';
import { Computers } from './computers';
import { openSiteDb } from './siteDb';
import { DeviceTlsCertificates } from './deviceTlsCertificates';
import { SettingsStore } from './settings';
import type { SiteDb, SqlExecutor, SqlTransaction } from './sql';
import { Vault } from './vault';

export const MASTER_KEY_ENV = 'AMTPROV_MASTER_KEY';
export const SITE_DB_ENV = 'AMTPROV_SITE_DB';

export interface SiteStoreOptions {
  /**
   * `sqlite:<path>`, a bare SQLite path, or a `postgres://` / `postgresql://` URL; default
   * AMTPROV_SITE_DB, else `<dataDir()>/site.sqlite`.
   */
  location?: string;
  /** Master key ring; default from AMTPROV_MASTER_KEY / _FILE, else `<dataDir()>/keys/master.key`. */
  keyRing?: KeyRing;
  now?: () => Date;
}

export function defaultSiteDbLocation(): string {
  return process.env[SITE_DB_ENV] || path.join(dataDir(), 'site.sqlite');
}

export function loadMasterKeyRing(): KeyRing {
  return loadKeyRing(MASTER_KEY_ENV, path.join(dataDir(), 'keys', 'master.key'));
}

/** The store's parts over one executor: the database itself, or one open transaction. */
export class SiteStoreView<D extends SqlExecutor = SqlExecutor> {
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
  readonly deviceTls: DeviceTlsCertificates;

  constructor(
    readonly db: D,
    readonly keyRing: KeyRing,
    readonly now: () => Date = () => new Date(),
  ) {
    this.vault = new Vault(this);
    this.computers = new Computers(this);
    this.credentials = new AdminCredentials(this);
    this.settings = new SettingsStore(this);
    this.provisioningCertificates = new ProvisioningCertificates(this);
    this.issuingCa = new IssuingCa(this);
    this.revocations = new CertificateRevocations(this);
    this.audit = new AuditLog(this);
    this.inBand = new InBandRegistrations(this);
    this.agents = new Agents(this);
    this.deviceTls = new DeviceTlsCertificates(this);
  }

  /**
   * Runs `fn` in one transaction (nested calls become savepoints); a throw rolls it all back.
   * Inside, use only `tx`: on SQLite a statement through the outer store would wait for the
   * transaction that waits for it, so it is refused.
   */
  transaction<T>(fn: (tx: SiteStoreTransaction) => Promise<T>): Promise<T> {
    return this.db.transaction((sql) => fn(new SiteStoreView(sql, this.keyRing, this.now)));
  }
}

export type SiteStoreTransaction = SiteStoreView<SqlTransaction>;

export class SiteStore extends SiteStoreView<SiteDb> {
  close(): Promise<void> {
    return this.db.close();
  }
}

export async function openSiteStore(options: SiteStoreOptions = {}): Promise<SiteStore> {
  const keyRing = options.keyRing ?? loadMasterKeyRing();
  return new SiteStore(await openSiteDb(options.location ?? defaultSiteDbLocation()), keyRing, options.now);
}
