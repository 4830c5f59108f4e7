// What both backends' transactions share: savepoints for nested transactions, and refusing
// statements once the transaction ended (a `tx` kept past its callback would otherwise write
// outside any transaction, or into someone else's). Savepoints nest like calls: a transaction's
// callback runs its steps one after another (no Promise.all of nested transactions).
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  /** Runs jobs one after another in the order they were queued. */
  run<T>(job: () => Promise<T> | T): Promise<T> {
    const result = this.tail.then(job);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

export class TransactionScope {
  private savepoints = 0;
  private ended = false;

  /** `exec` runs one statement without parameters on the transaction's connection. */
  constructor(private readonly exec: (sql: string) => Promise<void> | void) {}

  /** Throws once the transaction ended. */
  check(): void {
    if (this.ended) throw new Error('site store transaction already ended: statements after it must use the store, not the transaction');
  }

  end(): void {
    this.ended = true;
  }

  /** A nested transaction: a savepoint, released on success and rolled back to on a throw. */
  async savepoint<T>(fn: () => Promise<T>): Promise<T> {
    this.check();
    const name = `sp${++this.savepoints}`;
    await this.exec(`SAVEPOINT ${name}`);
    try {
      const result = await fn();
      await this.exec(`RELEASE SAVEPOINT ${name}`);
      return result;
    } catch (err) {
      await this.exec(`ROLLBACK TO SAVEPOINT ${name}`);
      await this.exec(`RELEASE SAVEPOINT ${name}`);
      throw err;
    }
  }
}
