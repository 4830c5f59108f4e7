// Append-only audit log: who did what to which computer, when, and how it ended. Database
// triggers refuse UPDATE and DELETE on the table. Details are flat key/value pairs; keys
// that name a secret are refused outright, so a careless caller fails loudly in tests
// instead of writing a password into the one table that can never be cleaned.
import type { SiteStoreView } from './store';

export type AuditOutcome = 'success' | 'failure' | 'info';
export type AuditDetail = Record<string, string | number | boolean | null>;

export interface AuditEntry {
  /** Operator ("operator:alice") or process ("worker", "listener", "import"). */
  actor: string;
  /** Dotted verb, e.g. "computer.import", "provisioning.phase1", "settings.apply". */
  action: string;
  computerUuid?: string;
  outcome: AuditOutcome;
  detail?: AuditDetail;
}

export interface AuditRecord extends Required<Omit<AuditEntry, 'computerUuid' | 'detail'>> {
  id: number;
  at: string;
  computerUuid: string | null;
  detail: AuditDetail | null;
}

const SECRET_WORDS = new Set(['password', 'passwd', 'pwd', 'passphrase', 'secret', 'private', 'otp']);

/** "adminPassword", "mebx_password", "device-otp" -> true; "keyVersion", "footprint" -> false. */
function namesASecret(key: string): boolean {
  const words = key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase().split(/[^a-z0-9]+/);
  return words.some((word) => SECRET_WORDS.has(word));
}

interface AuditRow {
  id: number;
  at: string;
  actor: string;
  action: string;
  computer_uuid: string | null;
  outcome: AuditOutcome;
  detail: string | null;
}

const toRecord = (row: AuditRow): AuditRecord => ({
  id: row.id,
  at: row.at,
  actor: row.actor,
  action: row.action,
  computerUuid: row.computer_uuid,
  outcome: row.outcome,
  detail: row.detail === null ? null : (JSON.parse(row.detail) as AuditDetail),
});

export class AuditLog {
  constructor(private readonly store: SiteStoreView) {}

  /** One INSERT with a generated id: appends from any number of roles at once never collide. */
  async recordAudit(entry: AuditEntry): Promise<number> {
    if (!entry.actor.trim()) throw new Error('audit entry needs an actor');
    if (!entry.action.trim()) throw new Error('audit entry needs an action');
    for (const key of Object.keys(entry.detail ?? {})) {
      if (namesASecret(key)) throw new Error(`audit detail key "${key}" looks like a secret; audit records never hold secrets`);
    }
    const row = await this.store.db.get<{ id: number }>(
      'INSERT INTO audit_log (at, actor, action, computer_uuid, outcome, detail) VALUES (?, ?, ?, ?, ?, ?) RETURNING id',
      [this.store.now().toISOString(), entry.actor, entry.action, entry.computerUuid ?? null, entry.outcome,
        entry.detail ? JSON.stringify(entry.detail) : null]);
    return row!.id;
  }

  /** Oldest first: the history of one computer as it happened. */
  async forComputer(computerUuid: string, limit = 1000): Promise<AuditRecord[]> {
    return (await this.store.db.all<AuditRow>('SELECT * FROM audit_log WHERE computer_uuid = ? ORDER BY id LIMIT ?', [computerUuid, limit]))
      .map(toRecord);
  }

  /** Newest first. */
  async recent(limit = 100): Promise<AuditRecord[]> {
    return (await this.store.db.all<AuditRow>('SELECT * FROM audit_log ORDER BY id DESC LIMIT ?', [limit])).map(toRecord);
  }
}
