// The pool's rules on fake connections: the bound, reuse, first-come order, the wait limit,
// discarding after a failure or a dead connection, the idle close and the pool close.
// (The same pool against the real Samba DC: test/integration/directory/connectionPool.test.ts.)
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';
import { ConnectionPool, type PoolOptions } from '../../../src/directory/connectionPool';

interface Fake {
  id: number;
  alive: boolean;
  closed: boolean;
}

function fakePool(options: Partial<PoolOptions> = {}, open?: (id: number) => Promise<Fake>) {
  let next = 0;
  const made: Fake[] = [];
  const pool = new ConnectionPool<Fake>(
    {
      open: () => {
        const id = ++next;
        if (open) return open(id);
        const fake = { id, alive: true, closed: false };
        made.push(fake);
        return Promise.resolve(fake);
      },
      usable: (c) => c.alive && !c.closed,
      close: (c) => {
        c.closed = true;
        return Promise.resolve();
      },
    },
    { size: 2, waitMs: 1_000, idleMs: 60_000, ...options },
    { waitExpired: (ms) => new Error(`waited ${ms} ms`), closed: () => new Error('pool closed') },
  );
  return { pool, made };
}

/** A call that holds its connection until released. */
function hold(pool: ConnectionPool<Fake>): { connection: Promise<Fake>; done: Promise<void>; release(): void } {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => { release = resolve; });
  let got!: (c: Fake) => void;
  const connection = new Promise<Fake>((resolve) => { got = resolve; });
  const done = pool.use(async (c) => { got(c); await gate; });
  return { connection, done, release };
}

describe('ConnectionPool', () => {
  test('sequential calls reuse one connection', async () => {
    const { pool, made } = fakePool();
    const ids: number[] = [];
    for (let i = 0; i < 5; i++) ids.push(await pool.use((c) => Promise.resolve(c.id)));
    assert.deepEqual(ids, [1, 1, 1, 1, 1]);
    assert.equal(made.length, 1);
    assert.deepEqual(pool.stats(), { open: 1, idle: 1, waiting: 0, peakOpen: 1, opened: 1, discarded: 0 });
  });

  test('a burst never opens more than size connections, and all of it completes', async () => {
    const { pool, made } = fakePool({ size: 3 });
    let inFlight = 0;
    let most = 0;
    await Promise.all(Array.from({ length: 50 }, () => pool.use(async () => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await sleep(1);
      inFlight -= 1;
    })));
    assert.equal(made.length, 3);
    assert.equal(most, 3);
    assert.equal(pool.stats().peakOpen, 3);
  });

  test('waiters are served first come, first served', async () => {
    const { pool } = fakePool({ size: 1 });
    const first = hold(pool);
    await first.connection;
    const order: number[] = [];
    const waiting = [1, 2, 3].map((n) => pool.use(() => { order.push(n); return Promise.resolve(); }));
    assert.equal(pool.stats().waiting, 3);
    first.release();
    await Promise.all([first.done, ...waiting]);
    assert.deepEqual(order, [1, 2, 3]);
  });

  test('the wait is bounded: the waiter gets the pool\'s wait error, the others carry on', async () => {
    const { pool } = fakePool({ size: 1, waitMs: 50 });
    const busy = hold(pool);
    await busy.connection;
    const started = Date.now();
    await assert.rejects(pool.use(() => Promise.resolve()), { message: 'waited 50 ms' });
    assert.ok(Date.now() - started >= 45, 'rejected before the wait was up');
    assert.equal(pool.stats().waiting, 0);
    busy.release();
    await busy.done;
    assert.equal(await pool.use((c) => Promise.resolve(c.id)), 1);
  });

  test('a connection whose call failed is closed, never handed out again', async () => {
    const { pool, made } = fakePool();
    await assert.rejects(pool.use(() => Promise.reject(new Error('reset'))), /reset/);
    assert.equal(made[0]?.closed, true);
    assert.equal(await pool.use((c) => Promise.resolve(c.id)), 2);
    assert.deepEqual(pool.stats(), { open: 1, idle: 1, waiting: 0, peakOpen: 1, opened: 2, discarded: 1 });
  });

  test('a discarded connection\'s slot goes to the first waiter, which opens a fresh one', async () => {
    const { pool } = fakePool({ size: 1 });
    let fail!: (err: Error) => void;
    const failing = pool.use(() => new Promise((_resolve, reject) => { fail = reject; }));
    await sleep(0);
    const waiter = pool.use((c) => Promise.resolve(c.id));
    fail(new Error('reset'));
    await assert.rejects(failing, /reset/);
    assert.equal(await waiter, 2);
    assert.equal(pool.stats().open, 1);
  });

  test('an idle connection that died on its own is dropped at the next call', async () => {
    const { pool, made } = fakePool();
    await pool.use(() => Promise.resolve());
    made[0].alive = false;
    assert.equal(await pool.use((c) => Promise.resolve(c.id)), 2);
    assert.equal(made[0]?.closed, true);
    assert.equal(pool.stats().open, 1);
  });

  test('a failed open reaches its caller and frees its slot', async () => {
    let attempts = 0;
    const { pool } = fakePool({ size: 1 }, (id) => {
      attempts += 1;
      return attempts === 1 ? Promise.reject(new Error('bind refused')) : Promise.resolve({ id, alive: true, closed: false });
    });
    await assert.rejects(pool.use(() => Promise.resolve()), /bind refused/);
    assert.equal(pool.stats().open, 0);
    assert.equal(await pool.use((c) => Promise.resolve(c.id)), 2);
  });

  test('idle connections close after idleMs', async () => {
    const { pool, made } = fakePool({ idleMs: 30 });
    await pool.use(() => Promise.resolve());
    await sleep(80);
    assert.equal(made[0]?.closed, true);
    assert.equal(pool.stats().open, 0);
  });

  test('close closes the idle connections and refuses later calls', async () => {
    const { pool, made } = fakePool();
    await pool.use(() => Promise.resolve());
    await pool.close();
    assert.equal(made[0]?.closed, true);
    await assert.rejects(pool.use(() => Promise.resolve()), /pool closed/);
  });

  test('close refuses the waiters and closes busy connections when their calls end', async () => {
    const { pool, made } = fakePool({ size: 2 });
    const a = hold(pool);
    const b = hold(pool);
    await Promise.all([a.connection, b.connection]);
    const waiter = pool.use(() => Promise.resolve());
    await pool.close();
    await assert.rejects(waiter, /pool closed/);
    a.release();
    b.release();
    await Promise.all([a.done, b.done]);
    assert.deepEqual(made.map((c) => c.closed), [true, true]);
    assert.deepEqual({ open: pool.stats().open, discarded: pool.stats().discarded }, { open: 0, discarded: 0 });
  });
});
