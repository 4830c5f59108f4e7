// The site's certificates: provisioning certificates (the chain the server presents to
// devices, and the root hashes that decide which device trusts which one) and the issuing
// CA that signs each device's TLS certificate in phase 1. Private keys live in the vault.
import type { SiteStoreView } from './store';
import type { SecretRef } from './vault';

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

// Concurrency: registering and replacing certificates hold a lock on the concern
// (lockConcern), so two roles registering the same leaf at once store it once (the second
// sees the first's row) and two issuing-CA replacements each delete the key they replaced.
export class ProvisioningCertificates {
  constructor(private readonly store: SiteStoreView) {}

  /** Stores the certificate (key sealed in the vault). Adding the same leaf again changes nothing. */
  add(cert: NewProvisioningCertificate): Promise<{ certificate: ProvisioningCertificate; added: boolean }> {
    const { sha1, sha256, sha384 } = cert.rootHashes;
    if (![sha1, sha256, sha384, cert.leafSha256].every((h) => HEX.test(h))) return Promise.reject(new Error('certificate hashes must be lowercase hex'));
    if (cert.chainPem.length === 0) return Promise.reject(new Error('provisioning certificate chain is empty'));
    return this.store.transaction(async (tx) => {
      await tx.db.lockConcern('provisioning-certificates');
      const existing = await tx.db.get<ProvisioningRow>('SELECT * FROM provisioning_certificates WHERE leaf_sha256 = ?', [cert.leafSha256]);
      if (existing) return { certificate: toProvisioning(existing), added: false };
      const keyRef = await tx.vault.putSecret('provisioning-certificate-key', cert.keyPem);
      const row = await tx.db.get<ProvisioningRow>(`INSERT INTO provisioning_certificates
        (leaf_sha256, subject_cn, chain_pem, key_ref, root_sha1, root_sha256, root_sha384, dns_suffix, not_after, created_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
      [cert.leafSha256, cert.subjectCn, JSON.stringify(cert.chainPem), keyRef, sha1, sha256, sha384,
        cert.dnsSuffix.toLowerCase(), cert.notAfter.toISOString(), this.store.now().toISOString()]);
      return { certificate: toProvisioning(row!), added: true };
    });
  }

  async get(id: number): Promise<ProvisioningCertificate> {
    const row = await this.store.db.get<ProvisioningRow>('SELECT * FROM provisioning_certificates WHERE id = ?', [id]);
    if (!row) throw new Error(`no provisioning certificate with id ${id}`);
    return toProvisioning(row);
  }

  async list(): Promise<ProvisioningCertificate[]> {
    return (await this.store.db.all<ProvisioningRow>('SELECT * FROM provisioning_certificates ORDER BY id')).map(toProvisioning);
  }

  remove(id: number): Promise<void> {
    return this.store.transaction(async (tx) => {
      await tx.db.lockConcern('provisioning-certificates');
      const cert = await tx.provisioningCertificates.get(id);
      await tx.db.run('DELETE FROM provisioning_certificates WHERE id = ?', [id]);
      await tx.vault.deleteSecret(cert.keyRef);
    });
  }

  /** Every configured root hash (sha1, sha256, sha384), for the hello listener's filter. */
  async trustedRootHashes(): Promise<Set<string>> {
    const rows = await this.store.db.all<{ root_sha1: string; root_sha256: string; root_sha384: string }>(
      'SELECT root_sha1, root_sha256, root_sha384 FROM provisioning_certificates');
    return new Set(rows.flatMap((r) => [r.root_sha1, r.root_sha256, r.root_sha384]));
  }

  /**
   * The provisioning certificates whose root is among the device's trusted hashes (any
   * algorithm, hex any case), the longest-valid first, optionally only those whose DNS
   * suffix fits the device's domain.
   */
  async matchingDevice(deviceRootHashes: string[], deviceDnsSuffix?: string): Promise<ProvisioningCertificate[]> {
    const trusted = new Set(deviceRootHashes.map((h) => h.toLowerCase()));
    const suffix = deviceDnsSuffix?.toLowerCase().replace(/\.$/, '');
    return (await this.list())
      .filter((c) => trusted.has(c.rootHashes.sha1) || trusted.has(c.rootHashes.sha256) || trusted.has(c.rootHashes.sha384))
      .filter((c) => suffix === undefined || suffix === c.dnsSuffix || suffix.endsWith(`.${c.dnsSuffix}`))
      .sort((a, b) => b.notAfter.localeCompare(a.notAfter));
  }
}

export class IssuingCa {
  constructor(private readonly store: SiteStoreView) {}

  /** Sets (or replaces) the site's issuing CA; the previous key is deleted from the vault. */
  set(ca: { certPem: string; chainPem: string[]; keyPem: string; subject: string; notAfter: Date }): Promise<IssuingCaRecord> {
    return this.store.transaction(async (tx) => {
      await tx.db.lockConcern('issuing-ca');
      const previous = await tx.issuingCa.get();
      const keyRef = await tx.vault.putSecret('issuing-ca-key', ca.keyPem);
      await tx.db.run(`INSERT INTO issuing_ca (id, cert_pem, chain_pem, key_ref, subject, not_after, updated_at)
        VALUES (1, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET cert_pem = excluded.cert_pem,
        chain_pem = excluded.chain_pem, key_ref = excluded.key_ref, subject = excluded.subject,
        not_after = excluded.not_after, updated_at = excluded.updated_at`,
      [ca.certPem, JSON.stringify(ca.chainPem), keyRef, ca.subject, ca.notAfter.toISOString(), this.store.now().toISOString()]);
      if (previous) await tx.vault.deleteSecret(previous.keyRef);
      return (await tx.issuingCa.get())!;
    });
  }

  async get(): Promise<IssuingCaRecord | undefined> {
    const row = await this.store.db.get<{ cert_pem: string; chain_pem: string; key_ref: string; subject: string; not_after: string; updated_at: string }>(
      'SELECT * FROM issuing_ca WHERE id = 1');
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
  async loadIssuer(): Promise<{ certPem: string; chainPem: string[]; keyPem: string }> {
    const ca = await this.get();
    if (!ca) throw new Error('no issuing CA configured (run "amtprov pki demo" or register one)');
    return { certPem: ca.certPem, chainPem: ca.chainPem, keyPem: await this.store.vault.getSecret(ca.keyRef) };
  }
}
