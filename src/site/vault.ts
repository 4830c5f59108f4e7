// The site's secret vault: every secret AES-256-GCM encrypted under the master key ring,
// addressed by an opaque reference. The additional authenticated data binds each ciphertext
// to its reference and purpose, so a ciphertext copied to another row (or relabelled) fails
// to decrypt. Nothing here lists plaintexts, and no message carries one.
import { createCipheriv, createDecipheriv, randomBytes, randomUUID } from 'node:crypto';
import type { SiteStoreView } from './store';

export const SECRET_PURPOSES = [
  'admin-password',
  'mebx-password',
  'ad-account-password',
  'digest-account-password',
  'directory-bind-password',
  'acl-user-password',
  'wifi-passphrase',
  'ieee8021x-password',
  'provisioning-certificate-key',
  'issuing-ca-key',
  'otp-hash',
] as const;
export type SecretPurpose = (typeof SECRET_PURPOSES)[number];

/** Opaque handle of a vault entry; safe to log and to carry in workflow history. */
export type SecretRef = string;

const REF_PATTERN = /^vault:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function isSecretRef(value: unknown): value is SecretRef {
  return typeof value === 'string' && REF_PATTERN.test(value);
}

/**
 * A secret that cannot be read or sealed: a master key missing from the ring, a tampered or
 * foreign secret, a dangling reference. Misconfiguration or damage, not a passing fault, so
 * activities fail at once under this type instead of retrying until the deadline.
 */
export class VaultError extends Error {
  override name = 'VaultError';
  readonly type = 'VaultUnreadable';
  readonly retryable = false;
}

interface SecretRow {
  ref: string;
  purpose: string;
  key_id: string;
  iv: Buffer;
  ciphertext: Buffer;
  tag: Buffer;
}

function aad(ref: string, purpose: string): Buffer {
  return Buffer.from(`amtprov-vault/v1\n${ref}\n${purpose}`, 'utf8');
}

export class Vault {
  constructor(private readonly store: SiteStoreView) {}

  async putSecret(purpose: SecretPurpose, value: string): Promise<SecretRef> {
    if (!SECRET_PURPOSES.includes(purpose)) throw new VaultError(`unknown secret purpose "${String(purpose)}"`);
    const ref = `vault:${randomUUID()}`;
    const sealed = this.seal(ref, purpose, value);
    await this.store.db.run('INSERT INTO secrets (ref, purpose, key_id, iv, ciphertext, tag, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      [ref, purpose, sealed.keyId, sealed.iv, sealed.ciphertext, sealed.tag, this.store.now().toISOString()]);
    return ref;
  }

  async getSecret(ref: SecretRef): Promise<string> {
    return this.open(await this.row(ref));
  }

  async purposeOf(ref: SecretRef): Promise<SecretPurpose> {
    return (await this.row(ref)).purpose as SecretPurpose;
  }

  async hasSecret(ref: SecretRef): Promise<boolean> {
    return (await this.store.db.get('SELECT 1 AS found FROM secrets WHERE ref = ?', [ref])) !== undefined;
  }

  /** Removes a secret nobody refers to any more; the schema's foreign keys refuse otherwise. */
  async deleteSecret(ref: SecretRef): Promise<void> {
    await this.store.db.run('DELETE FROM secrets WHERE ref = ?', [ref]);
  }

  /**
   * Re-seals every secret not under the ring's active key (after the operator put a new key
   * first in the ring), in one transaction. Returns how many were re-sealed.
   */
  rotateToActiveKey(): Promise<number> {
    return this.store.transaction(async (tx) => {
      const stale = await tx.db.all<SecretRow>('SELECT ref, purpose, key_id, iv, ciphertext, tag FROM secrets WHERE key_id <> ?',
        [this.store.keyRing.activeId]);
      for (const row of stale) {
        const sealed = this.seal(row.ref, row.purpose, this.open(row));
        await tx.db.run('UPDATE secrets SET key_id = ?, iv = ?, ciphertext = ?, tag = ? WHERE ref = ?',
          [sealed.keyId, sealed.iv, sealed.ciphertext, sealed.tag, row.ref]);
      }
      return stale.length;
    });
  }

  private async row(ref: SecretRef): Promise<SecretRow> {
    const row = await this.store.db.get<SecretRow>('SELECT ref, purpose, key_id, iv, ciphertext, tag FROM secrets WHERE ref = ?', [ref]);
    if (!row) throw new VaultError(`no secret ${isSecretRef(ref) ? ref : '(malformed reference)'} in the vault`);
    return row;
  }

  private open(row: SecretRow): string {
    const key = this.store.keyRing.keys.get(row.key_id);
    if (!key) throw new VaultError(`secret ${row.ref} is sealed with master key "${row.key_id}", which is not in the key ring`);
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, row.iv);
      decipher.setAAD(aad(row.ref, row.purpose));
      decipher.setAuthTag(row.tag);
      return Buffer.concat([decipher.update(row.ciphertext), decipher.final()]).toString('utf8');
    } catch {
      // The cause (an OpenSSL auth failure) adds nothing and is kept out on principle.
      throw new VaultError(`secret ${row.ref} failed authentication: tampered, moved, or sealed with a different key`);
    }
  }

  private seal(ref: string, purpose: string, value: string) {
    const keyId = this.store.keyRing.activeId;
    const key = this.store.keyRing.keys.get(keyId);
    if (!key) throw new VaultError(`active master key "${keyId}" is missing from the key ring`);
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(aad(ref, purpose));
    const ciphertext = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]);
    return { keyId, iv, ciphertext, tag: cipher.getAuthTag() };
  }
}
