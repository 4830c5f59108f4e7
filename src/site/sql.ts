// The one seam between the site store's parts and a database: a few async statement calls and
// transactions. SQL is written once with `?` placeholders in the dialect both backends
// understand (RETURNING, ON CONFLICT, upper/lower); what differs (row locks, the migration
// text) is asked of the executor. Implementations: sqliteDb.ts (embedded), postgresDb.ts.
export type SqlValue = string | number | boolean | null | Buffer;

export type SqlDialect = 'sqlite' | 'postgres';

export interface SqlExecutor {
  readonly dialect: SqlDialect;
  all<T>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  get<T>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined>;
  /** A statement without rows; `changes` is how many rows it touched. */
  run(sql: string, params?: readonly SqlValue[]): Promise<{ changes: number }>;
  /**
   * Runs `fn` in one transaction bound to one connection (nested calls become savepoints); a
   * throw rolls it back. Statements of that transaction go through `tx` only.
   */
  transaction<T>(fn: (tx: SqlTransaction) => Promise<T>): Promise<T>;
}

/** The executor of an open transaction, which can also hold locks until it ends. */
export interface SqlTransaction extends SqlExecutor {
  /**
   * Serialises racing writers of the row `table.id` until the transaction ends. PostgreSQL
   * takes a row lock (`SELECT ... FOR UPDATE`); SQLite needs nothing, its writers already run
   * one at a time (BEGIN IMMEDIATE). Returns whether the row exists.
   */
  lockRow(table: string, id: number): Promise<boolean>;
  /**
   * Serialises writers of a whole concern (settings, certificates) that has no single row to
   * lock, until the transaction ends: a transaction-scoped advisory lock on PostgreSQL.
   */
  lockConcern(name: string): Promise<void>;
}

export interface SiteDb extends SqlExecutor {
  /** Where it is, for messages: a file path or a URL without its password. */
  readonly location: string;
  schemaVersion(): Promise<number>;
  close(): Promise<void>;
}
