// Settings as stored: the validated document with vault references in place of secrets,
// Digest accounts in their own ordered table (each gets a stable credential id). Applying
// new settings is one transaction: secrets sealed, document replaced, accounts replaced,
// superseded secrets deleted.
import { z } from 'zod';
import type { SiteDb } from './db';
import { siteSettingsSchema, storedCertificatePem } from './settingsSchema';
import { isSecretRef, type SecretPurpose, type SecretRef, type Vault } from './vault';

const storedSecret = (_purpose: SecretPurpose) => z.string().refine(isSecretRef, 'must be a vault reference');
export const storedSettingsSchema = siteSettingsSchema(storedSecret, storedCertificatePem);

/** Settings as the store holds them: secrets are vault references. */
export type SiteSettings = z.output<typeof storedSettingsSchema>;

/** A secret loaded from its source, waiting to be sealed; prints redacted. */
export class SecretValue {
  constructor(
    readonly purpose: SecretPurpose,
    readonly value: string,
  ) {}
  toJSON(): string {
    return '(secret)';
  }
  toString(): string {
    return '(secret)';
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return 'SecretValue(redacted)';
  }
}

type Json = string | number | boolean | null | undefined | Json[] | { [key: string]: Json } | SecretValue;

function mapSecrets(value: Json, seal: (secret: SecretValue) => SecretRef): Json {
  if (value instanceof SecretValue) return seal(value);
  if (Array.isArray(value)) return value.map((v) => mapSecrets(v, seal));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapSecrets(v, seal)]));
  }
  return value;
}

function collectRefs(value: unknown, into: Set<SecretRef>): Set<SecretRef> {
  if (isSecretRef(value)) into.add(value);
  else if (Array.isArray(value)) value.forEach((v) => collectRefs(v, into));
  else if (value !== null && typeof value === 'object') Object.values(value).forEach((v) => collectRefs(v, into));
  return into;
}

/** Replaces every vault reference with a marker, for display. */
export function redactSecrets(value: unknown): unknown {
  if (isSecretRef(value)) return '(secret in vault)';
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactSecrets(v)]));
  }
  return value;
}

export class SettingsStore {
  constructor(
    private readonly db: SiteDb,
    private readonly vault: Vault,
    private readonly now: () => Date,
  ) {}

  get(): SiteSettings {
    const row = this.db.prepare('SELECT document FROM site_settings WHERE id = 1').pluck().get() as string | undefined;
    const document = row === undefined ? {} : (JSON.parse(row) as Record<string, unknown>);
    const digestAccounts = (this.db.prepare('SELECT username, password_ref AS password FROM digest_accounts ORDER BY position').all());
    return storedSettingsSchema.parse({ ...document, digestAccounts });
  }

  /**
   * Replaces the settings with `settings`, whose secrets are SecretValues (fresh from the
   * operator's sources) or existing vault references (kept as they are).
   */
  apply(settings: unknown): SiteSettings {
    return this.db.transaction(() => {
      const before = collectRefs(this.get(), new Set());
      const sealed = mapSecrets(settings as Json, (secret) => this.vault.putSecret(secret.purpose, secret.value));
      const parsed = storedSettingsSchema.parse(sealed);
      for (const ref of collectRefs(parsed, new Set())) {
        if (!this.vault.hasSecret(ref)) throw new Error(`settings refer to ${ref}, which is not in the vault`);
      }
      const { digestAccounts, ...document } = parsed;
      this.db.prepare(`INSERT INTO site_settings (id, document, updated_at) VALUES (1, ?, ?)
        ON CONFLICT (id) DO UPDATE SET document = excluded.document, updated_at = excluded.updated_at`)
        .run(JSON.stringify(document), this.now().toISOString());
      this.db.prepare('DELETE FROM digest_accounts').run();
      const insert = this.db.prepare('INSERT INTO digest_accounts (position, username, password_ref) VALUES (?, ?, ?)');
      digestAccounts.forEach((account, position) => insert.run(position, account.username, account.password));
      const after = collectRefs(parsed, new Set());
      for (const ref of before) if (!after.has(ref)) this.vault.deleteSecret(ref);
      return this.get();
    })();
  }
}
