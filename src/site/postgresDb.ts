// The shared backend: PostgreSQL through a bounded `pg` pool, so listeners, workers and site
// servers on several hosts use one store. Races between roles are settled by the database:
// row locks (`SELECT ... FOR UPDATE`) on the computer for per-device read-modify-write work,
// transaction-scoped advisory locks for site-wide concerns without a row, and single
// conditional statements where one suffices (pins, audit appends). Row locks rather than
// SERIALIZABLE: the contended transactions are short and known, and a lock makes the loser
// wait and then see the winner's result, with no retry loop around code that seals secrets.
// Migrations run under a session advisory lock, so roles starting at once migrate once.
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { parse as parseConnectionString } from 'pg-connection-string';
import { MIGRATIONS, migrationsToApply, type Migration } from './schema';
import type { SiteDb, SqlTransaction, SqlValue } from './sql';
import { TransactionScope } from './transactionScope';

export const SITE_DB_POOL_ENV = 'AMTPROV_SITE_DB_POOL';
export const SITE_DB_CA_ENV = 'AMTPROV_SITE_DB_CA';
const DEFAULT_POOL = 10;

/** Advisory lock keys are (class, id) pairs; this class is the project's ("amtp"). */
const LOCK_CLASS = 0x616d7470;
const MIGRATION_LOCK = 0;
const INT8_OID = 20;

type Params = readonly SqlValue[];

/** `?` placeholders (the parts' SQL) to PostgreSQL's `$n`, leaving quoted text alone. */
export function numberPlaceholders(sql: string): string {
  let n = 0;
  return sql.replace(/'(?:[^']|'')*'|"(?:[^"]|"")*"|\?/g, (match) => (match === '?' ? `$${++n}` : match));
}

/** A stable 31-bit key for a concern name (FNV-1a), the second half of its advisory lock. */
function concernKey(name: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(name, 'utf8')) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  return hash & 0x7fffffff;
}

/** The URL as safe to print: no password. */
export function redactUrl(url: string): string {
  return url.replace(/^(postgres(?:ql)?:\/\/[^:@/]*):[^@/]*@/i, '$1:***@');
}

function poolSize(): number {
  const raw = process.env[SITE_DB_POOL_ENV];
  if (raw === undefined || raw === '') return DEFAULT_POOL;
  const size = Number(raw);
  if (!Number.isInteger(size) || size < 1 || size > 1000) {
    throw new Error(`${SITE_DB_POOL_ENV} must be a whole number of connections from 1 to 1000, got "${raw}"`);
  }
  return size;
}

/**
 * Pool settings from the URL (libpq's sslmode / sslrootcert / sslcert / sslkey are honoured)
 * plus AMTPROV_SITE_DB_CA: a CA file that the server's certificate must chain to, with its
 * host name checked (verify-full) unless the URL itself asks for less.
 */
export function postgresPoolConfig(url: string): pg.PoolConfig {
  const parsed = parseConnectionString(url);
  const caFile = process.env[SITE_DB_CA_ENV];
  let ssl = parsed.ssl as pg.PoolConfig['ssl'];
  if (caFile) {
    let ca: string;
    try {
      ca = readFileSync(caFile, 'utf8');
    } catch (err) {
      throw new Error(`${SITE_DB_CA_ENV}=${caFile}: cannot read the database CA file (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { cause: err });
    }
    if (ssl === false) throw new Error(`${SITE_DB_CA_ENV} is set but the site store URL says sslmode=disable`);
    ssl = { ...(typeof ssl === 'object' ? ssl : {}), ca };
  }
  return {
    host: parsed.host ?? undefined,
    port: parsed.port ? Number(parsed.port) : undefined,
    user: parsed.user,
    password: parsed.password,
    database: parsed.database ?? undefined,
    application_name: parsed.application_name ?? 'amtprov',
    ssl,
    max: poolSize(),
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
    // int8 (count(*), the audit log's BIGINT ids) as numbers: ids stay far below 2^53.
    types: { getTypeParser: ((oid: number) => (oid === INT8_OID ? Number : pg.types.getTypeParser(oid) as (value: string) => unknown)) as pg.CustomTypesConfig['getTypeParser'] },
  };
}

function isRetryable(err: unknown): boolean {
  // serialization_failure, deadlock_detected: PostgreSQL rolled the transaction back and asks
  // for it to be run again (a deadlock can only come from an unforeseen lock order).
  const code = (err as { code?: unknown }).code;
  return code === '40001' || code === '40P01';
}

class PostgresTransaction implements SqlTransaction {
  readonly dialect = 'postgres';
  readonly scope: TransactionScope;

  constructor(private readonly client: pg.PoolClient) {
    this.scope = new TransactionScope(async (sql) => { await client.query(sql); });
  }

  private async query<T>(sql: string, params: Params) {
    this.scope.check();
    return this.client.query<T & pg.QueryResultRow>(numberPlaceholders(sql), params as SqlValue[]);
  }

  async all<T>(sql: string, params: Params = []): Promise<T[]> {
    return (await this.query<T>(sql, params)).rows;
  }

  async get<T>(sql: string, params: Params = []): Promise<T | undefined> {
    return (await this.query<T>(sql, params)).rows[0];
  }

  async run(sql: string, params: Params = []): Promise<{ changes: number }> {
    return { changes: (await this.query(sql, params)).rowCount ?? 0 };
  }

  transaction<T>(fn: (tx: SqlTransaction) => Promise<T>): Promise<T> {
    return this.scope.savepoint(() => fn(this));
  }

  async lockRow(table: string, id: number): Promise<boolean> {
    return (await this.get(`SELECT 1 AS found FROM ${table} WHERE id = ? FOR UPDATE`, [id])) !== undefined;
  }

  async lockConcern(name: string): Promise<void> {
    await this.query('SELECT pg_advisory_xact_lock(?, ?)', [LOCK_CLASS, concernKey(name)]);
  }
}

export class PostgresDb implements SiteDb {
  readonly dialect = 'postgres';

  constructor(
    readonly pool: pg.Pool,
    readonly location: string,
  ) {}

  private async query<T>(sql: string, params: Params) {
    return this.pool.query<T & pg.QueryResultRow>(numberPlaceholders(sql), params as SqlValue[]);
  }

  async all<T>(sql: string, params: Params = []): Promise<T[]> {
    return (await this.query<T>(sql, params)).rows;
  }

  async get<T>(sql: string, params: Params = []): Promise<T | undefined> {
    return (await this.query<T>(sql, params)).rows[0];
  }

  async run(sql: string, params: Params = []): Promise<{ changes: number }> {
    return { changes: (await this.query(sql, params)).rowCount ?? 0 };
  }

  async transaction<T>(fn: (tx: SqlTransaction) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const client = await this.pool.connect();
      const tx = new PostgresTransaction(client);
      try {
        await client.query('BEGIN');
        const result = await fn(tx);
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        if (attempt >= 3 || !isRetryable(err)) throw err;
      } finally {
        tx.scope.end();
        client.release();
      }
    }
  }

  async schemaVersion(): Promise<number> {
    return currentVersion(this.pool);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

async function currentVersion(db: pg.Pool | pg.PoolClient): Promise<number> {
  const { rows } = await db.query<{ version: number | null }>('SELECT max(version) AS version FROM schema_migrations');
  return rows[0]?.version ?? 0;
}

async function migrate(pool: pg.Pool, migrations: readonly Migration[]): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1, $2)', [LOCK_CLASS, MIGRATION_LOCK]);
    try {
      await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TEXT NOT NULL)');
      for (const migration of migrationsToApply(await currentVersion(client), migrations)) {
        await client.query('BEGIN');
        try {
          await client.query(migration.postgres);
          await client.query('INSERT INTO schema_migrations (version, description, applied_at) VALUES ($1, $2, $3)',
            [migration.version, migration.description, new Date().toISOString()]);
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK');
          throw err;
        }
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock($1, $2)', [LOCK_CLASS, MIGRATION_LOCK]);
    }
  } finally {
    client.release();
  }
}

export async function openPostgresDb(url: string, migrations: readonly Migration[] = MIGRATIONS): Promise<PostgresDb> {
  const location = redactUrl(url);
  const pool = new pg.Pool(postgresPoolConfig(url));
  // An idle client's error (the server restarted) must not crash the process; the next
  // query gets a fresh connection.
  pool.on('error', () => undefined);
  try {
    await migrate(pool, migrations);
  } catch (err) {
    await pool.end().catch(() => undefined);
    const message = err instanceof Error ? err.message : String(err);
    throw new Error(`site store ${location}: ${message}`, { cause: err });
  }
  return new PostgresDb(pool, location);
}
