// In-band provisioning requests (docs/amt-protocol.md section 7): the hash of the one-time
// password the client agent set in the firmware, kept in the vault until the run has
// compared it with the OTP the device presents, then forgotten (an OTP is good once).
import { lockComputer } from './computers';
import type { SiteStoreView } from './store';
import type { SecretRef } from './vault';

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

// Concurrency: recording and forgetting hold the computer's row lock, so of two agents'
// registrations for one computer (any hosts) the later replaces the earlier and deletes its
// OTP hash, instead of both reading "no previous" and orphaning one hash in the vault.
export class InBandRegistrations {
  constructor(private readonly store: SiteStoreView) {}

  /** Records (or replaces) the agent's request; the previous OTP hash is discarded. */
  record(computerId: number, otpHashHex: string, facts: { hostName: string; domain: string; agentAddress: string }): Promise<InBandRegistration> {
    return this.store.transaction(async (tx) => {
      await lockComputer(tx, computerId);
      const previous = await tx.inBand.row(computerId);
      const ref = await tx.vault.putSecret('otp-hash', otpHashHex.toLowerCase());
      await tx.db.run(`INSERT INTO in_band_registrations (computer_id, otp_hash_ref, host_name, domain, agent_address, registered_at)
        VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (computer_id) DO UPDATE SET otp_hash_ref = excluded.otp_hash_ref,
        host_name = excluded.host_name, domain = excluded.domain, agent_address = excluded.agent_address, registered_at = excluded.registered_at`,
      [computerId, ref, facts.hostName, facts.domain, facts.agentAddress, this.store.now().toISOString()]);
      if (previous) await tx.vault.deleteSecret(previous.otp_hash_ref);
      return (await tx.inBand.get(computerId))!;
    });
  }

  async get(computerId: number): Promise<InBandRegistration | undefined> {
    const row = await this.row(computerId);
    return row && {
      computerId: row.computer_id, hostName: row.host_name, domain: row.domain,
      agentAddress: row.agent_address, registeredAt: row.registered_at,
    };
  }

  /** The registered OTP hash (lowercase hex), for the identity check only. */
  async otpHashRef(computerId: number): Promise<SecretRef | undefined> {
    return (await this.row(computerId))?.otp_hash_ref;
  }

  /** After a successful identity check: the OTP is spent. */
  forget(computerId: number): Promise<void> {
    return this.store.transaction(async (tx) => {
      if (!(await tx.db.lockRow('computers', computerId))) return;
      const row = await tx.inBand.row(computerId);
      if (!row) return;
      await tx.db.run('DELETE FROM in_band_registrations WHERE computer_id = ?', [computerId]);
      await tx.vault.deleteSecret(row.otp_hash_ref);
    });
  }

  private row(computerId: number): Promise<Row | undefined> {
    return this.store.db.get<Row>('SELECT * FROM in_band_registrations WHERE computer_id = ?', [computerId]);
  }
}
