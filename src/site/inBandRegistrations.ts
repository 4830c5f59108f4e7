// In-band provisioning requests (docs/amt-protocol.md section 7): the hash of the one-time
// password the client agent set in the firmware, kept in the vault until the run has
// compared it with the OTP the device presents, then forgotten (an OTP is good once).
import type { SiteDb } from './db';
import type { SecretRef, Vault } from './vault';

export interface InBandRegistration {
  computerId: number;
  hostName: string;
  domain: string;
  agentAddress: string;
  registeredAt: string;
}

interface Row {
  computer_id: number;
  otp_hash_ref: string;
  host_name: string;
  domain: string;
  agent_address: string;
  registered_at: string;
}

export class InBandRegistrations {
  constructor(
    private readonly db: SiteDb,
    private readonly vault: Vault,
    private readonly now: () => Date,
  ) {}

  /** Records (or replaces) the agent's request; the previous OTP hash is discarded. */
  record(computerId: number, otpHashHex: string, facts: { hostName: string; domain: string; agentAddress: string }): InBandRegistration {
    return this.db.transaction(() => {
      const previous = this.row(computerId);
      const ref = this.vault.putSecret('otp-hash', otpHashHex.toLowerCase());
      this.db.prepare(`INSERT INTO in_band_registrations (computer_id, otp_hash_ref, host_name, domain, agent_address, registered_at)
        VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (computer_id) DO UPDATE SET otp_hash_ref = excluded.otp_hash_ref,
        host_name = excluded.host_name, domain = excluded.domain, agent_address = excluded.agent_address, registered_at = excluded.registered_at`)
        .run(computerId, ref, facts.hostName, facts.domain, facts.agentAddress, this.now().toISOString());
      if (previous) this.vault.deleteSecret(previous.otp_hash_ref);
      return this.get(computerId)!;
    })();
  }

  get(computerId: number): InBandRegistration | undefined {
    const row = this.row(computerId);
    return row && {
      computerId: row.computer_id, hostName: row.host_name, domain: row.domain,
      agentAddress: row.agent_address, registeredAt: row.registered_at,
    };
  }

  /** The registered OTP hash (lowercase hex), for the identity check only. */
  otpHashRef(computerId: number): SecretRef | undefined {
    return this.row(computerId)?.otp_hash_ref;
  }

  /** After a successful identity check: the OTP is spent. */
  forget(computerId: number): void {
    this.db.transaction(() => {
      const row = this.row(computerId);
      if (!row) return;
      this.db.prepare('DELETE FROM in_band_registrations WHERE computer_id = ?').run(computerId);
      this.vault.deleteSecret(row.otp_hash_ref);
    })();
  }

  private row(computerId: number): Row | undefined {
    return this.db.prepare('SELECT * FROM in_band_registrations WHERE computer_id = ?').get(computerId) as Row | undefined;
  }
}
