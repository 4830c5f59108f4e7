// The agent's retry schedule on a fake clock: doubling delays with a cap, a bounded total,
// a last attempt at the deadline, and no retry of errors a retry cannot fix.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RetriesExhausted, withRetries, type Clock } from '../../../src/agent/backoff';

function fakeClock(): Clock & { sleeps: number[] } {
  let now = 0;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    sleep: (ms) => {
      sleeps.push(ms);
      now += ms;
      return Promise.resolve();
    },
  };
}

class Transient extends Error {}

test('retries with doubling delays capped at the maximum until the attempt succeeds', async () => {
  const clock = fakeClock();
  let calls = 0;
  const outcome = await withRetries(() => {
    calls += 1;
    return calls < 6 ? Promise.reject(new Transient('down')) : Promise.resolve('up');
  }, (err) => err instanceof Transient, { initialDelayMs: 100, maxDelayMs: 500, totalMs: 60_000 }, { clock });
  assert.deepEqual(outcome, { value: 'up', attempts: 6 });
  assert.deepEqual(clock.sleeps, [100, 200, 400, 500, 500]);
});

test('gives up once the total is spent, with a last attempt at the deadline and the last error as cause', async () => {
  const clock = fakeClock();
  const retries: number[] = [];
  const failure = await withRetries(() => Promise.reject(new Transient('connection refused')), () => true,
    { initialDelayMs: 1_000, maxDelayMs: 4_000, totalMs: 10_000 }, { clock, onRetry: (_err, attempt) => retries.push(attempt) })
    .then(() => assert.fail('expected to give up'), (err: unknown) => err);
  assert.ok(failure instanceof RetriesExhausted);
  // 1 s, 2 s, 4 s, then 3 s (not 4) so the fifth attempt lands exactly at 10 s.
  assert.deepEqual(clock.sleeps, [1_000, 2_000, 4_000, 3_000]);
  assert.equal(failure.attempts, 5);
  assert.equal(failure.elapsedMs, 10_000);
  assert.ok(failure.cause instanceof Transient);
  assert.deepEqual(retries, [1, 2, 3, 4]);
});

test('an error a retry cannot fix is thrown at once', async () => {
  const clock = fakeClock();
  let calls = 0;
  const fatal = new Error('certificate rejected');
  await assert.rejects(withRetries(() => {
    calls += 1;
    return Promise.reject(fatal);
  }, (err) => err instanceof Transient, { initialDelayMs: 1, maxDelayMs: 1, totalMs: 1_000 }, { clock }), (err) => err === fatal);
  assert.equal(calls, 1);
  assert.deepEqual(clock.sleeps, []);
});
