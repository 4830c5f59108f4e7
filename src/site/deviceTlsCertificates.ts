// The site-issued TLS certificate each provisioned device serves, for certificate renewal
// (issue 11): its fingerprint and expiry, learned when a renewal run reads what the device
// presents, and at most one pending successor. A renewal records the new certificate as
// pending before the device gets it and promotes it once a fresh TLS connection shows the
// device serving it, so a crash between "device switched" and "store updated" is recovered:
// while a renewal is pending, either fingerprint is accepted (deviceAccess.ts deviceIdentity).
import type { SiteDb } from './db';

export interface ServedCertificate {
  fingerprintSha256: string;
  notAfter: string;
  recordedAt: string;
}

export interface DeviceTlsState {
  active?: ServedCertificate;
  pending?: ServedCertificate;
}

/** A provisioned computer whose served certificate expires before the cut-off, or is not known yet. */
export interface RenewalCandidate {
  computerId: number;
  /** null: no certificate recorded yet (provisioned before renewal existed); the run reads it from the device. */
  notAfter: string | null;
}

interface Row {
  state: 'active' | 'pending';
  fingerprint_sha256: string;
  not_after: string;
  recorded_at: string;
}

const HEX64 = /^[0-9a-f]{64}$/;

function checked(cert: { fingerprintSha256: string; notAfter: Date }): { fingerprint: string; notAfter: string } {
  const fingerprint = cert.fingerprintSha256.replace(/:/g, '').toLowerCase();
  if (!HEX64.test(fingerprint)) throw new Error('device certificate fingerprint must be a SHA-256 in hex');
  if (Number.isNaN(cert.notAfter.getTime())) throw new Error('device certificate expiry is not a date');
  return { fingerprint, notAfter: cert.notAfter.toISOString() };
}

export class DeviceTlsCertificates {
  constructor(
    private readonly db: SiteDb,
    private readonly now: () => Date,
  ) {}

  state(computerId: number): DeviceTlsState {
    const rows = this.db.prepare('SELECT state, fingerprint_sha256, not_after, recorded_at FROM device_tls_certificates WHERE computer_id = ?').all(computerId) as Row[];
    const state: DeviceTlsState = {};
    for (const row of rows) state[row.state] = { fingerprintSha256: row.fingerprint_sha256, notAfter: row.not_after, recordedAt: row.recorded_at };
    return state;
  }

  /** The certificate the device was seen serving becomes the active one (a pending one stays). */
  recordServed(computerId: number, cert: { fingerprintSha256: string; notAfter: Date }): void {
    this.upsert(computerId, 'active', cert);
  }

  /** Records the renewal's new certificate before the device receives it; replaces an earlier pending one. */
  stagePending(computerId: number, cert: { fingerprintSha256: string; notAfter: Date }): void {
    this.upsert(computerId, 'pending', cert);
  }

  /**
   * The device serves the pending certificate: it becomes active, the old record goes.
   * Idempotent: promoting what is already active changes nothing.
   */
  promotePending(computerId: number, fingerprintSha256: string): void {
    const fingerprint = fingerprintSha256.toLowerCase();
    this.db.transaction(() => {
      const { active, pending } = this.state(computerId);
      if (!pending && active?.fingerprintSha256 === fingerprint) return;
      if (pending?.fingerprintSha256 !== fingerprint) throw new Error(`computer ${computerId} has no pending device certificate ${fingerprint.slice(0, 16)}...`);
      this.db.prepare("DELETE FROM device_tls_certificates WHERE computer_id = ? AND state = 'active'").run(computerId);
      this.db.prepare("UPDATE device_tls_certificates SET state = 'active', recorded_at = ? WHERE computer_id = ? AND state = 'pending'")
        .run(this.now().toISOString(), computerId);
    })();
  }

  /** The device never got (or never switched to) the pending certificate. */
  discardPending(computerId: number): void {
    this.db.prepare("DELETE FROM device_tls_certificates WHERE computer_id = ? AND state = 'pending'").run(computerId);
  }

  /** Provisioned computers whose active certificate expires before `cutOff`, or has none recorded, soonest first. */
  renewalCandidates(cutOff: Date): RenewalCandidate[] {
    const rows = this.db.prepare(`SELECT c.id AS computer_id, d.not_after FROM computers c
      LEFT JOIN device_tls_certificates d ON d.computer_id = c.id AND d.state = 'active'
      WHERE c.amt_status = 'Provisioned' AND (d.not_after IS NULL OR d.not_after < ?)
      ORDER BY d.not_after IS NOT NULL, d.not_after, c.id`).all(cutOff.toISOString()) as { computer_id: number; not_after: string | null }[];
    return rows.map((row) => ({ computerId: row.computer_id, notAfter: row.not_after }));
  }

  private upsert(computerId: number, state: 'active' | 'pending', cert: { fingerprintSha256: string; notAfter: Date }): void {
    const { fingerprint, notAfter } = checked(cert);
    this.db.prepare(`INSERT INTO device_tls_certificates (computer_id, state, fingerprint_sha256, not_after, recorded_at) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (computer_id, state) DO UPDATE SET fingerprint_sha256 = excluded.fingerprint_sha256, not_after = excluded.not_after, recorded_at = excluded.recorded_at`)
      .run(computerId, state, fingerprint, notAfter, this.now().toISOString());
  }
}
