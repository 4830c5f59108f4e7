// The bound LDAPS connections of a process, shared by all its directory operations: one
// bounded pool per distinct connection settings, so a changed URL, account, password, CA or
// server name never reaches a connection bound with the old ones. A pool is keyed by an HMAC
// of those settings under a key made at start, so no password is held as a readable (or
// guessable) key.
//
// Why 8 connections: Samba's DC serves LDAP from one process (`-M single`), so a few
// connections keep it busy while each waits on its round trip; more only add handshakes and
// binds (bench/directory-pool: 4 were as fast, 16 slower), and 200 at once made it reset or
// drop them (performance issue 13). A DC that serves in parallel has room for more:
// AMTPROV_DIRECTORY_POOL, per worker, so the DC sees workers x size.
import { createHmac, randomBytes } from 'node:crypto';
import type { Client } from 'ldapts';
import { directoryPoolSize } from '../config/environment';
import { closeConnection, DEFAULT_TIMEOUT_MS, openBoundConnection } from './boundConnection';
import { ConnectionPool, type PoolOptions, type PoolStats } from './connectionPool';
import { DirectoryError } from './errors';
import type { DirectorySettings } from './settings';

/**
 * The wait covers a worker's 200 activity slots queued behind 8 connections: 200 account
 * creations at once took 20-24 s through the pool on a loaded 2-core machine
 * (bench/directory-pool); it is short against the activities' 5 minutes. The idle close lets
 * a restarted DC or a rotated password take effect within half a minute.
 */
const WAIT_MS = 60_000;
const IDLE_MS = 30_000;

export class DirectoryConnections {
  private readonly pools = new Map<string, ConnectionPool<Client>>();
  private readonly fingerprintKey = randomBytes(32);
  private readonly options: PoolOptions;

  /** Size from AMTPROV_DIRECTORY_POOL unless given. */
  constructor(options: Partial<PoolOptions> = {}) {
    this.options = { size: options.size ?? directoryPoolSize(), waitMs: options.waitMs ?? WAIT_MS, idleMs: options.idleMs ?? IDLE_MS };
  }

  /** Runs fn on a bound connection of the pool for these settings; a failure of fn discards it. */
  use<T>(settings: DirectorySettings, fn: (client: Client) => Promise<T>): Promise<T> {
    return this.poolFor(settings).use(fn);
  }

  /** Undefined when nothing was pooled for these settings. */
  stats(settings: DirectorySettings): PoolStats | undefined {
    return this.pools.get(this.fingerprint(settings))?.stats();
  }

  async close(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((pool) => pool.close()));
  }

  private poolFor(settings: DirectorySettings): ConnectionPool<Client> {
    const key = this.fingerprint(settings);
    // A pool for settings no longer used is empty once its connections idled out: drop it,
    // and with it the password its factory holds.
    for (const [other, pool] of this.pools) if (other !== key && pool.stats().open === 0) this.pools.delete(other);
    let pool = this.pools.get(key);
    if (!pool) {
      pool = new ConnectionPool<Client>(
        { open: () => openBoundConnection(settings), usable: (client) => client.isBound, close: closeConnection },
        this.options,
        {
          waitExpired: (waitMs) => new DirectoryError('DirectoryUnavailable',
            `no LDAPS connection to ${settings.url} came free within ${waitMs} ms (all ${this.options.size} of the pool busy); retry later`, true),
          closed: () => new DirectoryError('DirectoryUnavailable', `the LDAPS connection pool to ${settings.url} is closed (the worker is stopping)`, true),
        },
      );
      this.pools.set(key, pool);
    }
    return pool;
  }

  private fingerprint(settings: DirectorySettings): string {
    const { url, bindDn, bindPassword, caCertPem, tlsServerName, timeoutMs } = settings;
    return createHmac('sha256', this.fingerprintKey)
      .update(JSON.stringify([url, bindDn, bindPassword, caCertPem ?? null, tlsServerName ?? null, timeoutMs ?? DEFAULT_TIMEOUT_MS]))
      .digest('hex');
  }
}

let shared: DirectoryConnections | undefined;

/** The process's pool set, AMTPROV_DIRECTORY_POOL connections per directory. */
export function sharedDirectoryConnections(): DirectoryConnections {
  shared ??= new DirectoryConnections();
  return shared;
}

/** At worker shutdown; a later directory operation in the same process starts a new set. */
export async function closeSharedDirectoryConnections(): Promise<void> {
  const closing = shared;
  shared = undefined;
  await closing?.close();
}
