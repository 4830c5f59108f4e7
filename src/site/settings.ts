// Settings as stored: the validated document with vault references in place of secrets,
// Digest accounts in their own ordered table (each gets a stable credential id). Applying
// new settings is one transaction: secrets sealed, document replaced, accounts replaced,
// superseded secrets deleted.
import { z } from 'zod';
import type { SiteStoreView } from './store';
import { siteSettingsSchema, storedCertificatePem } from './settingsSchema';
import { isSecretRef, type SecretPurpose, type SecretRef } from './vault';

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

/** Seals one secret at a time, in document order. */
async function mapSecrets(value: Json, seal: (secret: SecretValue) => Promise<SecretRef>): Promise<Json> {
  if (value instanceof SecretValue) return seal(value);
  const each = async (values: Json[]) => {
    const mapped: Json[] = [];
    for (const v of values) mapped.push(await mapSecrets(v, seal));
    return mapped;
  };
  if (Array.isArray(value)) return each(value);
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value);
    const mapped = await each(entries.map(([, v]) => v));
    return Object.fromEntries(entries.map(([k], i) => [k, mapped[i]]));
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

// Concurrency: apply holds the settings lock (lockConcern) from reading the old references
// to deleting them, so two roles applying at once run one after the other and neither
// deletes a secret the other's document still names.
export class SettingsStore {
  constructor(private readonly store: SiteStoreView) {}

  async get(): Promise<SiteSettings> {
    const row = await this.store.db.get<{ document: string }>('SELECT document FROM site_settings WHERE id = 1');
    const document = row === undefined ? {} : (JSON.parse(row.document) as Record<string, unknown>);
    const digestAccounts = await this.store.db.all('SELECT username, password_ref AS password FROM digest_accounts ORDER BY position');
    return storedSettingsSchema.parse({ ...document, digestAccounts });
  }

  /**
   * Replaces the settings with `settings`, whose secrets are SecretValues (fresh from the
   * operator's sources) or existing vault references (kept as they are).
   */
  apply(settings: unknown): Promise<SiteSettings> {
    return this.store.transaction(async (tx) => {
      await tx.db.lockConcern('settings');
      const before = collectRefs(await tx.settings.get(), new Set());
      const sealed = await mapSecrets(settings as Json, (secret) => tx.vault.putSecret(secret.purpose, secret.value));
      const parsed = storedSettingsSchema.parse(sealed);
      for (const ref of collectRefs(parsed, new Set())) {
        if (!(await tx.vault.hasSecret(ref))) throw new Error(`settings refer to ${ref}, which is not in the vault`);
      }
      const { digestAccounts, ...document } = parsed;
      await tx.db.run(`INSERT INTO site_settings (id, document, updated_at) VALUES (1, ?, ?)
        ON CONFLICT (id) DO UPDATE SET document = excluded.document, updated_at = excluded.updated_at`,
      [JSON.stringify(document), this.store.now().toISOString()]);
      await tx.db.run('DELETE FROM digest_accounts');
      for (const [position, account] of digestAccounts.entries()) {
        await tx.db.run('INSERT INTO digest_accounts (position, username, password_ref) VALUES (?, ?, ?)', [position, account.username, account.password]);
      }
      const after = collectRefs(parsed, new Set());
      for (const ref of before) if (!after.has(ref)) await tx.vault.deleteSecret(ref);
      return tx.settings.get();
    });
  }
}
