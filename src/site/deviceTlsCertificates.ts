// The site-issued TLS certificate each provisioned device serves, for certificate renewal
// (issue 11): its fingerprint and expiry, learned when a renewal run reads what the device
// presents, and at most one pending successor. A renewal records the new certificate as
// pending before the device gets it and promotes it once a fresh TLS connection shows the
// device serving it, so a crash between "device switched" and "store updated" is recovered:
// while a renewal is pending, either fingerprint is accepted (deviceAccess.ts deviceIdentity).
//
// Concurrency: one row per (computer, state) under its primary key, written by upserts; the
// promotion runs in a transaction holding the computer's row lock (lockComputer), so two
// roles promoting at once see one result. Renewals of one device never overlap anyway (one
// child workflow id per device and task).
import { lockComputer } from './computers';
import type { SiteStoreView } from './store';

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
  constructor(private readonly store: SiteStoreView) {}

  async state(computerId: number): Promise<DeviceTlsState> {
    const rows = await this.store.db.all<Row>('SELECT state, fingerprint_sha256, not_after, recorded_at FROM device_tls_certificates WHERE computer_id = ?', [computerId]);
    const state: DeviceTlsState = {};
    for (const row of rows) state[row.state] = { fingerprintSha256: row.fingerprint_sha256, notAfter: row.not_after, recordedAt: row.recorded_at };
    return state;
  }

  /** The certificate the device was seen serving becomes the active one (a pending one stays). */
  recordServed(computerId: number, cert: { fingerprintSha256: string; notAfter: Date }): Promise<void> {
    return this.upsert(computerId, 'active', cert);
  }

  /** Records the renewal's new certificate before the device receives it; replaces an earlier pending one. */
  stagePending(computerId: number, cert: { fingerprintSha256: string; notAfter: Date }): Promise<void> {
    return this.upsert(computerId, 'pending', cert);
  }

  /**
   * The device serves the pending certificate: it becomes active, the old record goes.
   * Idempotent: promoting what is already active changes nothing.
   */
  promotePending(computerId: number, fingerprintSha256: string): Promise<void> {
    const fingerprint = fingerprintSha256.toLowerCase();
    return this.store.transaction(async (tx) => {
      await lockComputer(tx, computerId);
      const { active, pending } = await tx.deviceTls.state(computerId);
      if (!pending && active?.fingerprintSha256 === fingerprint) return;
      if (pending?.fingerprintSha256 !== fingerprint) throw new Error(`computer ${computerId} has no pending device certificate ${fingerprint.slice(0, 16)}...`);
      await tx.db.run("DELETE FROM device_tls_certificates WHERE computer_id = ? AND state = 'active'", [computerId]);
      await tx.db.run("UPDATE device_tls_certificates SET state = 'active', recorded_at = ? WHERE computer_id = ? AND state = 'pending'",
        [this.store.now().toISOString(), computerId]);
    });
  }

  /** The device never got (or never switched to) the pending certificate. */
  async discardPending(computerId: number): Promise<void> {
    await this.store.db.run("DELETE FROM device_tls_certificates WHERE computer_id = ? AND state = 'pending'", [computerId]);
  }

  /** Provisioned computers whose active certificate expires before `cutOff`, or has none recorded, soonest first. */
  async renewalCandidates(cutOff: Date): Promise<RenewalCandidate[]> {
    const rows = await this.store.db.all<{ computer_id: number; not_after: string | null }>(`SELECT c.id AS computer_id, d.not_after FROM computers c
      LEFT JOIN device_tls_certificates d ON d.computer_id = c.id AND d.state = 'active'
      WHERE c.amt_status = 'Provisioned' AND (d.not_after IS NULL OR d.not_after < ?)
      ORDER BY d.not_after IS NOT NULL, d.not_after, c.id`, [cutOff.toISOString()]);
    return rows.map((row) => ({ computerId: Number(row.computer_id), notAfter: row.not_after }));
  }

  private async upsert(computerId: number, state: 'active' | 'pending', cert: { fingerprintSha256: string; notAfter: Date }): Promise<void> {
    const { fingerprint, notAfter } = checked(cert);
    await this.store.db.run(`INSERT INTO device_tls_certificates (computer_id, state, fingerprint_sha256, not_after, recorded_at) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (computer_id, state) DO UPDATE SET fingerprint_sha256 = excluded.fingerprint_sha256, not_after = excluded.not_after, recorded_at = excluded.recorded_at`,
      [computerId, state, fingerprint, notAfter, this.store.now().toISOString()]);
  }
}
