// Enrolled in-band agents. Each enrolment binds the agent to one computer: its FQDN always,
// its UUID when the operator named it or, else, from the agent's first accepted request.
// The site API looks an agent up by its certificate serial number on every request, so a
// revoked agent is refused at once (no CRL to distribute: the API is the only relying party).
import type { SiteDb } from './db';

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

export class Agents {
  constructor(
    private readonly db: SiteDb,
    private readonly now: () => Date,
  ) {}

  record(agent: { serialNumber: string; name: string; fqdn: string; uuid: string | null; fingerprintSha256: string; notAfter: Date }): EnrolledAgentRecord {
    this.db.prepare(`INSERT INTO agents (serial_number, name, fqdn, uuid, fingerprint_sha256, not_after, enrolled_at)
      VALUES (?, ?, ?, ?, ?, ?, ?)`).run(normalSerial(agent.serialNumber), agent.name, agent.fqdn.toLowerCase(), agent.uuid, agent.fingerprintSha256,
      agent.notAfter.toISOString(), this.now().toISOString());
    return this.bySerial(agent.serialNumber)!;
  }

  bySerial(serialNumber: string): EnrolledAgentRecord | undefined {
    const row = this.db.prepare('SELECT * FROM agents WHERE serial_number = ?').get(normalSerial(serialNumber)) as Row | undefined;
    return row && fromRow(row);
  }

  /** Every enrolment under a name (re-enrolments keep the old rows, revoked or not). */
  byName(name: string): EnrolledAgentRecord[] {
    return (this.db.prepare('SELECT * FROM agents WHERE name = ? ORDER BY enrolled_at').all(name) as Row[]).map(fromRow);
  }

  list(): EnrolledAgentRecord[] {
    return (this.db.prepare('SELECT * FROM agents ORDER BY name, enrolled_at').all() as Row[]).map(fromRow);
  }

  /** Binds an agent enrolled without a UUID to the computer of its first accepted request. */
  bindUuid(serialNumber: string, uuid: string): void {
    this.db.prepare('UPDATE agents SET uuid = ? WHERE serial_number = ? AND uuid IS NULL').run(uuid, normalSerial(serialNumber));
  }

  /** Revokes every active enrolment under `name`; returns how many. */
  revoke(name: string, actor: string): number {
    return this.db.prepare('UPDATE agents SET revoked_at = ?, revoked_by = ? WHERE name = ? AND revoked_at IS NULL')
      .run(this.now().toISOString(), actor, name).changes;
  }
}
