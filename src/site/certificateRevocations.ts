// Device certificates the site's issuing CA no longer stands behind: what an unprovision
// revokes (reason superseded, as ConfigMgr's "Remove Provisioning Information" does) and
// what the CRL lists (src/pki/crl.ts). Keyed by serial number, so revoking twice is once.
import type { SiteStoreView } from './store';

export type RevocationReason = 'superseded' | 'keyCompromise' | 'cessationOfOperation';

export interface RevokedDeviceCertificate {
  /** Lowercase hex, as X509Certificate.serialNumber gives it (lowercased). */
  serialNumber: string;
  computerUuid: string;
  fingerprintSha256: string;
  subject: string;
  notAfter: string;
  reason: RevocationReason;
  revokedAt: string;
}

interface RevocationRow {
  serial_number: string;
  computer_uuid: string;
  fingerprint_sha256: string;
  subject: string;
  not_after: string;
  reason: RevocationReason;
  revoked_at: string;
}

const toRevocation = (row: RevocationRow): RevokedDeviceCertificate => ({
  serialNumber: row.serial_number, computerUuid: row.computer_uuid, fingerprintSha256: row.fingerprint_sha256,
  subject: row.subject, notAfter: row.not_after, reason: row.reason, revokedAt: row.revoked_at,
});

export class CertificateRevocations {
  constructor(private readonly store: SiteStoreView) {}

  /** Revokes the certificate; one already revoked keeps its first record. Returns the record and whether it is new. */
  async revoke(cert: Omit<RevokedDeviceCertificate, 'revokedAt'>): Promise<{ revocation: RevokedDeviceCertificate; added: boolean }> {
    const serial = cert.serialNumber.toLowerCase();
    if (!/^[0-9a-f]{1,64}$/.test(serial)) throw new Error(`certificate serial number must be hex, got "${cert.serialNumber.slice(0, 70)}"`);
    const { changes } = await this.store.db.run(`INSERT INTO revoked_device_certificates
      (serial_number, computer_uuid, fingerprint_sha256, subject, not_after, reason, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (serial_number) DO NOTHING`,
    [serial, cert.computerUuid, cert.fingerprintSha256.toLowerCase(), cert.subject, cert.notAfter, cert.reason, this.store.now().toISOString()]);
    return { revocation: (await this.get(serial))!, added: changes === 1 };
  }

  async get(serialNumber: string): Promise<RevokedDeviceCertificate | undefined> {
    const row = await this.store.db.get<RevocationRow>('SELECT * FROM revoked_device_certificates WHERE serial_number = ?', [serialNumber.toLowerCase()]);
    return row && toRevocation(row);
  }

  /** Every revocation, oldest first (the CRL's order). */
  async list(): Promise<RevokedDeviceCertificate[]> {
    return (await this.store.db.all<RevocationRow>('SELECT * FROM revoked_device_certificates ORDER BY revoked_at, serial_number')).map(toRevocation);
  }
}
