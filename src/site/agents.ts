// Enrolled in-band agents. Each enrolment binds the agent to one computer: its FQDN always,
// its UUID when the operator named it or, else, from the agent's first accepted request.
// The site API looks an agent up by its certificate serial number on every request, so a
// revoked agent is refused at once (no CRL to distribute: the API is the only relying party).
import type { SiteStoreView } from './store';

export interface EnrolledAgentRecord {
  serialNumber: string;
  name: string;
  /** The computer this agent may speak for (lower case). */
  fqdn: string;
  /** Its SMBIOS UUID, once bound. */
  uuid: string | null;
  fingerprintSha256: string;
  notAfter: string;
  enrolledAt: string;
  revokedAt: string | null;
  revokedBy: string | null;
}

interface Row {
  serial_number: string;
  name: string;
  fqdn: string;
  uuid: string | null;
  fingerprint_sha256: string;
  not_after: string;
  enrolled_at: string;
  revoked_at: string | null;
  revoked_by: string | null;
}

const fromRow = (r: Row): EnrolledAgentRecord => ({
  serialNumber: r.serial_number, name: r.name, fqdn: r.fqdn, uuid: r.uuid, fingerprintSha256: r.fingerprint_sha256,
  notAfter: r.not_after, enrolledAt: r.enrolled_at, revokedAt: r.revoked_at, revokedBy: r.revoked_by,
});

/** Serial numbers as hex without leading zeros, lower case: forge and OpenSSL write them differently. */
export function normalSerial(serial: string): string {
  return serial.toLowerCase().replace(/^0+(?=.)/, '');
}

// Concurrency: the serial number is the primary key (an enrolment is recorded once), and
// binding and revoking are single conditional UPDATEs, so racing roles need no lock.
export class Agents {
  constructor(private readonly store: SiteStoreView) {}

  async record(agent: { serialNumber: string; name: string; fqdn: string; uuid: string | null; fingerprintSha256: string; notAfter: Date }): Promise<EnrolledAgentRecord> {
    const row = await this.store.db.get<Row>(`INSERT INTO agents (serial_number, name, fqdn, uuid, fingerprint_sha256, not_after, enrolled_at)
      VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *`, [normalSerial(agent.serialNumber), agent.name, agent.fqdn.toLowerCase(), agent.uuid,
      agent.fingerprintSha256, agent.notAfter.toISOString(), this.store.now().toISOString()]);
    return fromRow(row!);
  }

  async bySerial(serialNumber: string): Promise<EnrolledAgentRecord | undefined> {
    const row = await this.store.db.get<Row>('SELECT * FROM agents WHERE serial_number = ?', [normalSerial(serialNumber)]);
    return row && fromRow(row);
  }

  /** Every enrolment under a name (re-enrolments keep the old rows, revoked or not). */
  async byName(name: string): Promise<EnrolledAgentRecord[]> {
    return (await this.store.db.all<Row>('SELECT * FROM agents WHERE name = ? ORDER BY enrolled_at', [name])).map(fromRow);
  }

  async list(): Promise<EnrolledAgentRecord[]> {
    return (await this.store.db.all<Row>('SELECT * FROM agents ORDER BY name, enrolled_at')).map(fromRow);
  }

  /** Binds an agent enrolled without a UUID to the computer of its first accepted request. */
  async bindUuid(serialNumber: string, uuid: string): Promise<void> {
    await this.store.db.run('UPDATE agents SET uuid = ? WHERE serial_number = ? AND uuid IS NULL', [uuid, normalSerial(serialNumber)]);
  }

  /** Revokes every active enrolment under `name`; returns how many. */
  async revoke(name: string, actor: string): Promise<number> {
    return (await this.store.db.run('UPDATE agents SET revoked_at = ?, revoked_by = ? WHERE name = ? AND revoked_at IS NULL',
      [this.store.now().toISOString(), actor, name])).changes;
  }
}
