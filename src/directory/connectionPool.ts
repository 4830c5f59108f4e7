// A bounded pool of connections: at most `size` open, reused across calls, waiters served
// first come first served within a bounded wait, a connection that saw any failure closed
// rather than reused, idle ones closed after a while. Hand-written rather than tarn or
// generic-pool: tarn cannot close one broken connection (it must go back to the free list and
// fail validation later) and keeps a process alive with its reaper; generic-pool leaves an
// acquire waiting until its timeout when the connection cannot be made (a wrong password).
// Generic over the connection so its logic is tested without a server.

export interface ConnectionFactory<C> {
  /** Opens a connection ready for use (for LDAP: bound); its error reaches the caller that asked. */
  open(): Promise<C>;
  /** False when the connection went away on its own (the server closed it while idle). */
  usable(connection: C): boolean;
  /** Must not reject: a connection being thrown away has nothing left to report. */
  close(connection: C): Promise<void>;
}

export interface PoolOptions {
  /** Most connections open at once. */
  size: number;
  /** Longest a call waits for a connection before waitExpired() is thrown. */
  waitMs: number;
  /** An unused connection is closed after this long. */
  idleMs: number;
}

export interface PoolStats {
  /** Open or being opened. */
  open: number;
  idle: number;
  waiting: number;
  /** The most ever open at once. */
  peakOpen: number;
  opened: number;
  /** Closed after a failure or found dead; not counting idle and pool closes. */
  discarded: number;
}

interface Idle<C> {
  connection: C;
  timer: NodeJS.Timeout;
}

/** A waiter is handed either a connection or, when one was discarded, its slot to open anew. */
type Handoff<C> = { connection: C } | { slot: true };

interface Waiter<C> {
  resolve(handoff: Handoff<C>): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

export class ConnectionPool<C> {
  private readonly idle: Idle<C>[] = [];
  private readonly waiters: Waiter<C>[] = [];
  private open = 0;
  private peakOpen = 0;
  private opened = 0;
  private discarded = 0;
  private closed = false;

  constructor(
    private readonly factory: ConnectionFactory<C>,
    private readonly options: PoolOptions,
    /** The errors callers see when no connection came within waitMs, or the pool was closed. */
    private readonly errors: { waitExpired(waitMs: number): Error; closed(): Error },
  ) {
    if (!(Number.isInteger(options.size) && options.size > 0)) throw new RangeError(`pool size must be a positive integer, got ${options.size}`);
  }

  /** Runs fn on a pooled connection; the connection goes back only if fn succeeded. */
  async use<T>(fn: (connection: C) => Promise<T>): Promise<T> {
    const connection = await this.acquire();
    let result: T;
    try {
      result = await fn(connection);
    } catch (err) {
      this.discard(connection);
      throw err;
    }
    this.release(connection);
    return result;
  }

  stats(): PoolStats {
    return { open: this.open, idle: this.idle.length, waiting: this.waiters.length, peakOpen: this.peakOpen, opened: this.opened, discarded: this.discarded };
  }

  /** Closes the idle connections and refuses new calls; connections in use close when their call ends. */
  async close(): Promise<void> {
    this.closed = true;
    for (const waiter of this.waiters.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.reject(this.errors.closed());
    }
    const idle = this.idle.splice(0);
    this.open -= idle.length;
    await Promise.all(idle.map(({ connection, timer }) => {
      clearTimeout(timer);
      return this.factory.close(connection);
    }));
  }

  private async acquire(): Promise<C> {
    if (this.closed) throw this.errors.closed();
    for (let entry = this.idle.pop(); entry; entry = this.idle.pop()) {
      clearTimeout(entry.timer);
      if (this.factory.usable(entry.connection)) return entry.connection;
      this.open -= 1;
      this.discarded += 1;
      void this.factory.close(entry.connection);
    }
    if (this.open < this.options.size) {
      this.open += 1;
      this.peakOpen = Math.max(this.peakOpen, this.open);
      return this.openInSlot();
    }
    const handoff = await this.wait();
    return 'connection' in handoff ? handoff.connection : this.openInSlot();
  }

  /** Opens a connection in a slot already counted in `open`; a failure hands the slot on. */
  private async openInSlot(): Promise<C> {
    try {
      const connection = await this.factory.open();
      this.opened += 1;
      return connection;
    } catch (err) {
      this.freeSlot();
      throw err;
    }
  }

  private wait(): Promise<Handoff<C>> {
    return new Promise((resolve, reject) => {
      const waiter: Waiter<C> = {
        resolve, reject,
        timer: setTimeout(() => {
          this.waiters.splice(this.waiters.indexOf(waiter), 1);
          reject(this.errors.waitExpired(this.options.waitMs));
        }, this.options.waitMs),
      };
      this.waiters.push(waiter);
    });
  }

  private release(connection: C): void {
    if (this.closed) {
      this.open -= 1;
      void this.factory.close(connection);
      return;
    }
    if (!this.factory.usable(connection)) {
      this.discard(connection);
      return;
    }
    const waiter = this.nextWaiter();
    if (waiter) {
      waiter.resolve({ connection });
      return;
    }
    // Unreferenced: an idle connection must not keep a finished process running.
    const timer = setTimeout(() => {
      const at = this.idle.findIndex((entry) => entry.connection === connection);
      if (at < 0) return;
      this.idle.splice(at, 1);
      this.open -= 1;
      void this.factory.close(connection);
    }, this.options.idleMs).unref();
    this.idle.push({ connection, timer });
  }

  private discard(connection: C): void {
    this.discarded += 1;
    void this.factory.close(connection);
    this.freeSlot();
  }

  /** A slot came free: the first waiter opens a connection in it, else it is given up. */
  private freeSlot(): void {
    const waiter = this.closed ? undefined : this.nextWaiter();
    if (waiter) waiter.resolve({ slot: true });
    else this.open -= 1;
  }

  private nextWaiter(): Waiter<C> | undefined {
    const waiter = this.waiters.shift();
    if (waiter) clearTimeout(waiter.timer);
    return waiter;
  }
}
