// Device certificates the site's issuing CA no longer stands behind: what an unprovision
// revokes (reason superseded, as ConfigMgr's "Remove Provisioning Information" does) and
// what the CRL lists (src/pki/crl.ts). Keyed by serial number, so revoking twice is once.
import type { SiteDb } from './db';

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
  constructor(private readonly db: SiteDb, private readonly now: () => Date) {}

  /** Revokes the certificate; one already revoked keeps its first record. Returns the record and whether it is new. */
  revoke(cert: Omit<RevokedDeviceCertificate, 'revokedAt'>): { revocation: RevokedDeviceCertificate; added: boolean } {
    const serial = cert.serialNumber.toLowerCase();
    if (!/^[0-9a-f]{1,64}$/.test(serial)) throw new Error(`certificate serial number must be hex, got "${cert.serialNumber.slice(0, 70)}"`);
    const result = this.db.prepare(`INSERT INTO revoked_device_certificates
      (serial_number, computer_uuid, fingerprint_sha256, subject, not_after, reason, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (serial_number) DO NOTHING`)
      .run(serial, cert.computerUuid, cert.fingerprintSha256.toLowerCase(), cert.subject, cert.notAfter, cert.reason, this.now().toISOString());
    return { revocation: this.get(serial)!, added: result.changes === 1 };
  }

  get(serialNumber: string): RevokedDeviceCertificate | undefined {
    const row = this.db.prepare('SELECT * FROM revoked_device_certificates WHERE serial_number = ?').get(serialNumber.toLowerCase()) as RevocationRow | undefined;
    return row && toRevocation(row);
  }

  /** Every revocation, oldest first (the CRL's order). */
  list(): RevokedDeviceCertificate[] {
    return (this.db.prepare('SELECT * FROM revoked_device_certificates ORDER BY revoked_at, serial_number').all() as RevocationRow[]).map(toRevocation);
  }
}
