// The site's certificates: provisioning certificates (the chain the server presents to
// devices, and the root hashes that decide which device trusts which one) and the issuing
// CA that signs each device's TLS certificate in phase 1. Private keys live in the vault.
import { ProvisioningRefused } from '../errors';
import type { SiteDb } from './db';
import type { SecretRef, Vault } from './vault';

export interface ProvisioningRootHashes {
  sha1: string;
  sha256: string;
  sha384: string;
}

export interface NewProvisioningCertificate {
  /** Leaf first, root last. */
  chainPem: string[];
  keyPem: string;
  subjectCn: string;
  leafSha256: string;
  rootHashes: ProvisioningRootHashes;
  dnsSuffix: string;
  notAfter: Date;
}

export interface ProvisioningCertificate extends Omit<NewProvisioningCertificate, 'keyPem' | 'notAfter'> {
  id: number;
  keyRef: SecretRef;
  notAfter: string;
  createdAt: string;
}

export interface IssuingCaRecord {
  certPem: string;
  /** Parents of the issuing CA up to the root (may be empty when the CA is the root). */
  chainPem: string[];
  keyRef: SecretRef;
  subject: string;
  notAfter: string;
  updatedAt: string;
}

interface ProvisioningRow {
  id: number;
  leaf_sha256: string;
  subject_cn: string;
  chain_pem: string;
  key_ref: string;
  root_sha1: string;
  root_sha256: string;
  root_sha384: string;
  dns_suffix: string;
  not_after: string;
  created_at: string;
}

const toProvisioning = (row: ProvisioningRow): ProvisioningCertificate => ({
  id: row.id,
  chainPem: JSON.parse(row.chain_pem) as string[],
  keyRef: row.key_ref,
  subjectCn: row.subject_cn,
  leafSha256: row.leaf_sha256,
  rootHashes: { sha1: row.root_sha1, sha256: row.root_sha256, sha384: row.root_sha384 },
  dnsSuffix: row.dns_suffix,
  notAfter: row.not_after,
  createdAt: row.created_at,
});

const HEX = /^[0-9a-f]+$/;

export class ProvisioningCertificates {
  constructor(
    private readonly db: SiteDb,
    private readonly vault: Vault,
    private readonly now: () => Date,
  ) {}

  /** Stores the certificate (key sealed in the vault). Adding the same leaf again changes nothing. */
  add(cert: NewProvisioningCertificate): { certificate: ProvisioningCertificate; added: boolean } {
    const { sha1, sha256, sha384 } = cert.rootHashes;
    if (![sha1, sha256, sha384, cert.leafSha256].every((h) => HEX.test(h))) throw new Error('certificate hashes must be lowercase hex');
    if (cert.chainPem.length === 0) throw new Error('provisioning certificate chain is empty');
    return this.db.transaction(() => {
      const existing = this.db.prepare('SELECT * FROM provisioning_certificates WHERE leaf_sha256 = ?').get(cert.leafSha256) as ProvisioningRow | undefined;
      if (existing) return { certificate: toProvisioning(existing), added: false };
      const keyRef = this.vault.putSecret('provisioning-certificate-key', cert.keyPem);
      const result = this.db.prepare(`INSERT INTO provisioning_certificates
        (leaf_sha256, subject_cn, chain_pem, key_ref, root_sha1, root_sha256, root_sha384, dns_suffix, not_after, created_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
        .run(cert.leafSha256, cert.subjectCn, JSON.stringify(cert.chainPem), keyRef, sha1, sha256, sha384,
          cert.dnsSuffix.toLowerCase(), cert.notAfter.toISOString(), this.now().toISOString());
      return { certificate: this.get(Number(result.lastInsertRowid)), added: true };
    })();
  }

  get(id: number): ProvisioningCertificate {
    const row = this.db.prepare('SELECT * FROM provisioning_certificates WHERE id = ?').get(id) as ProvisioningRow | undefined;
    if (!row) throw new Error(`no provisioning certificate with id ${id}`);
    return toProvisioning(row);
  }

  list(): ProvisioningCertificate[] {
    return (this.db.prepare('SELECT * FROM provisioning_certificates ORDER BY id').all() as ProvisioningRow[]).map(toProvisioning);
  }

  remove(id: number): void {
    this.db.transaction(() => {
      const cert = this.get(id);
      this.db.prepare('DELETE FROM provisioning_certificates WHERE id = ?').run(id);
      this.vault.deleteSecret(cert.keyRef);
    })();
  }

  /** Every configured root hash (sha1, sha256, sha384), for the hello listener's filter. */
  trustedRootHashes(): Set<string> {
    const rows = this.db.prepare('SELECT root_sha1, root_sha256, root_sha384 FROM provisioning_certificates').all() as
      { root_sha1: string; root_sha256: string; root_sha384: string }[];
    return new Set(rows.flatMap((r) => [r.root_sha1, r.root_sha256, r.root_sha384]));
  }

  /**
   * The provisioning certificates whose root is among the device's trusted hashes (any
   * algorithm, hex any case), the longest-valid first, optionally only those whose DNS
   * suffix fits the device's domain.
   */
  matchingDevice(deviceRootHashes: string[], deviceDnsSuffix?: string): ProvisioningCertificate[] {
    const trusted = new Set(deviceRootHashes.map((h) => h.toLowerCase()));
    const suffix = deviceDnsSuffix?.toLowerCase().replace(/\.$/, '');
    return this.list()
      .filter((c) => trusted.has(c.rootHashes.sha1) || trusted.has(c.rootHashes.sha256) || trusted.has(c.rootHashes.sha384))
      .filter((c) => suffix === undefined || suffix === c.dnsSuffix || suffix.endsWith(`.${c.dnsSuffix}`))
      .sort((a, b) => b.notAfter.localeCompare(a.notAfter));
  }
}

export class IssuingCa {
  constructor(
    private readonly db: SiteDb,
    private readonly vault: Vault,
    private readonly now: () => Date,
  ) {}

  /** Sets (or replaces) the site's issuing CA; the previous key is deleted from the vault. */
  set(ca: { certPem: string; chainPem: string[]; keyPem: string; subject: string; notAfter: Date }): IssuingCaRecord {
    return this.db.transaction(() => {
      const previous = this.get();
      const keyRef = this.vault.putSecret('issuing-ca-key', ca.keyPem);
      this.db.prepare(`INSERT INTO issuing_ca (id, cert_pem, chain_pem, key_ref, subject, not_after, updated_at)
        VALUES (1, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET cert_pem = excluded.cert_pem,
        chain_pem = excluded.chain_pem, key_ref = excluded.key_ref, subject = excluded.subject,
        not_after = excluded.not_after, updated_at = excluded.updated_at`)
        .run(ca.certPem, JSON.stringify(ca.chainPem), keyRef, ca.subject, ca.notAfter.toISOString(), this.now().toISOString());
      if (previous) this.vault.deleteSecret(previous.keyRef);
      return this.get()!;
    })();
  }

  get(): IssuingCaRecord | undefined {
    const row = this.db.prepare('SELECT * FROM issuing_ca WHERE id = 1').get() as
      | { cert_pem: string; chain_pem: string; key_ref: string; subject: string; not_after: string; updated_at: string }
      | undefined;
    return row && {
      certPem: row.cert_pem,
      chainPem: JSON.parse(row.chain_pem) as string[],
      keyRef: row.key_ref,
      subject: row.subject,
      notAfter: row.not_after,
      updatedAt: row.updated_at,
    };
  }

  /** The CA with its private key resolved, for `issueDeviceCertificate` (activity code only). */
  loadIssuer(): { certPem: string; chainPem: string[]; keyPem: string } {
    const ca = this.get();
    if (!ca) throw new ProvisioningRefused('SiteNotConfigured', 'no issuing CA configured (run "amtprov pki demo" or register one)');
    return { certPem: ca.certPem, chainPem: ca.chainPem, keyPem: this.vault.getSecret(ca.keyRef) };
  }
}
