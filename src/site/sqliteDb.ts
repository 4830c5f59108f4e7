// The embedded backend: one better-sqlite3 connection per process (WAL, foreign keys on), the
// schema brought up to date one transaction per migration. better-sqlite3 is synchronous, so
// an open transaction would interleave with any other statement the process issues while the
// transaction's callback awaits; a per-connection queue therefore runs one transaction (or one
// lone statement) at a time, and BEGIN IMMEDIATE takes the write lock up front so a second
// process (a CLI next to the worker) waits on busy_timeout instead of failing mid-transaction.
import { AsyncLocalStorage } from 'node:async_hooks';
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { MIGRATIONS, migrationsToApply, type Migration } from './schema';
import type { SiteDb, SqlTransaction, SqlValue } from './sql';
import { SerialQueue, TransactionScope } from './transactionScope';

type Params = readonly SqlValue[];

/** better-sqlite3 takes no booleans. */
const bind = (params: Params) => params.map((p) => (typeof p === 'boolean' ? (p ? 1 : 0) : p));

function statements(db: Database.Database) {
  return {
    all: <T>(sql: string, params: Params) => db.prepare(sql).all(...bind(params)) as T[],
    get: <T>(sql: string, params: Params) => db.prepare(sql).get(...bind(params)) as T | undefined,
    run: (sql: string, params: Params) => ({ changes: db.prepare(sql).run(...bind(params)).changes }),
  };
}

/** The statements of one open transaction; unusable once it ended. */
class SqliteTransaction implements SqlTransaction {
  readonly dialect = 'sqlite';
  readonly scope: TransactionScope;

  constructor(private readonly db: Database.Database) {
    this.scope = new TransactionScope((sql) => { db.exec(sql); });
  }

  private live() {
    this.scope.check();
    return statements(this.db);
  }

  all<T>(sql: string, params: Params = []): Promise<T[]> {
    return Promise.resolve().then(() => this.live().all<T>(sql, params));
  }

  get<T>(sql: string, params: Params = []): Promise<T | undefined> {
    return Promise.resolve().then(() => this.live().get<T>(sql, params));
  }

  run(sql: string, params: Params = []): Promise<{ changes: number }> {
    return Promise.resolve().then(() => this.live().run(sql, params));
  }

  transaction<T>(fn: (tx: SqlTransaction) => Promise<T>): Promise<T> {
    return this.scope.savepoint(() => fn(this));
  }

  async lockRow(table: string, id: number): Promise<boolean> {
    return (await this.get(`SELECT 1 AS found FROM ${table} WHERE id = ?`, [id])) !== undefined;
  }

  async lockConcern(): Promise<void> {
    // BEGIN IMMEDIATE already holds the database's only write lock.
  }
}

export class SqliteDb implements SiteDb {
  readonly dialect = 'sqlite';
  private readonly queue = new SerialQueue();
  /** Set while a transaction's callback runs, to catch statements that bypass `tx`. */
  private readonly inTransaction = new AsyncLocalStorage<true>();

  constructor(
    readonly raw: Database.Database,
    readonly location: string,
  ) {}

  private lone<T>(statement: () => T): Promise<T> {
    if (this.inTransaction.getStore()) {
      // It would wait behind the very transaction that awaits it.
      return Promise.reject(new Error('site store statement outside its transaction: inside store.transaction use the tx argument'));
    }
    return this.queue.run(statement);
  }

  all<T>(sql: string, params: Params = []): Promise<T[]> {
    return this.lone(() => statements(this.raw).all<T>(sql, params));
  }

  get<T>(sql: string, params: Params = []): Promise<T | undefined> {
    return this.lone(() => statements(this.raw).get<T>(sql, params));
  }

  run(sql: string, params: Params = []): Promise<{ changes: number }> {
    return this.lone(() => statements(this.raw).run(sql, params));
  }

  transaction<T>(fn: (tx: SqlTransaction) => Promise<T>): Promise<T> {
    if (this.inTransaction.getStore()) {
      return Promise.reject(new Error('site store transaction opened inside another one: use the outer tx argument'));
    }
    return this.queue.run(async () => {
      const tx = new SqliteTransaction(this.raw);
      this.raw.exec('BEGIN IMMEDIATE');
      try {
        const result = await this.inTransaction.run(true, () => fn(tx));
        this.raw.exec('COMMIT');
        return result;
      } catch (err) {
        if (this.raw.inTransaction) this.raw.exec('ROLLBACK');
        throw err;
      } finally {
        tx.scope.end();
      }
    });
  }

  async schemaVersion(): Promise<number> {
    return this.lone(() => currentVersion(this.raw));
  }

  async close(): Promise<void> {
    await this.queue.run(() => this.raw.close());
  }
}

function currentVersion(db: Database.Database): number {
  const row = db.prepare('SELECT max(version) AS version FROM schema_migrations').get() as { version: number | null };
  return row.version ?? 0;
}

export function openSqliteDb(file: string, migrations: readonly Migration[] = MIGRATIONS): SqliteDb {
  if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    // Another process (CLI next to a running worker) may hold the write lock briefly.
    db.pragma('busy_timeout = 5000');
    migrate(db, migrations);
    return new SqliteDb(db, file);
  } catch (err) {
    db.close();
    throw err;
  }
}

function migrate(db: Database.Database, migrations: readonly Migration[]): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TEXT NOT NULL)');
  const record = db.prepare('INSERT INTO schema_migrations (version, description, applied_at) VALUES (?, ?, ?)');
  for (const migration of migrationsToApply(currentVersion(db), migrations)) {
    // The pragma is a no-op inside a transaction, so it is switched around it.
    if (migration.rebuildsTables) db.pragma('foreign_keys = OFF');
    try {
      db.transaction(() => {
        db.exec(migration.sql);
        if (migration.rebuildsTables) {
          const broken = db.pragma('foreign_key_check') as unknown[];
          if (broken.length > 0) throw new Error(`site store migration ${migration.version} would break ${broken.length} foreign key reference(s)`);
        }
        record.run(migration.version, migration.description, new Date().toISOString());
      })();
    } finally {
      if (migration.rebuildsTables) db.pragma('foreign_keys = ON');
    }
  }
}
