// The listener's intake queue as pure logic: sends are promises the test settles by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StartQueue } from '../../../src/listener/startQueue';

interface Req {
  uuid: string;
  retryCount: number;
}

/** A queue whose sends wait until the test resolves or rejects them, in any order. */
function harness(concurrency: number, capacity: number) {
  const calls: { request: Req; resolve: () => void; reject: (err: Error) => void }[] = [];
  const settled: { uuid: string; retryCount: number; error?: string }[] = [];
  const queue = new StartQueue<Req>({
    concurrency, capacity,
    send: (request) => new Promise<void>((resolve, reject) => calls.push({ request, resolve, reject })),
    settled: (request, error) => settled.push({ ...request, ...(error === undefined ? {} : { error: (error as Error).message }) }),
  });
  const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
  return { queue, calls, settled, flush };
}

test('no more than `concurrency` sends at once; the rest wait in arrival order and start as slots free', async () => {
  const { queue, calls, flush } = harness(2, 10);
  for (const uuid of ['a', 'b', 'c', 'd']) assert.equal(queue.offer({ uuid, retryCount: 0 }), 'queued');
  assert.deepEqual(calls.map((c) => c.request.uuid), ['a', 'b']);
  assert.deepEqual(queue.stats(), { waiting: 2, sending: 2, peakWaiting: 2, peakSending: 2 });
  calls[1].resolve();
  await flush();
  assert.deepEqual(calls.map((c) => c.request.uuid), ['a', 'b', 'c']);
  calls[0].reject(new Error('refused'));
  await flush();
  assert.deepEqual(calls.map((c) => c.request.uuid), ['a', 'b', 'c', 'd'], 'a failed send frees its slot too');
});

test('a Hello for a waiting device replaces the waiting one in its place: the newest retry count is sent, once', async () => {
  const { queue, calls, flush } = harness(1, 10);
  queue.offer({ uuid: 'busy', retryCount: 0 });
  queue.offer({ uuid: 'x', retryCount: 0 });
  queue.offer({ uuid: 'y', retryCount: 0 });
  assert.equal(queue.offer({ uuid: 'x', retryCount: 1 }), 'coalesced');
  assert.equal(queue.offer({ uuid: 'x', retryCount: 2 }), 'coalesced');
  assert.equal(queue.stats().waiting, 2);
  calls[0].resolve();
  await flush();
  calls[1].resolve();
  await flush();
  assert.deepEqual(calls.map((c) => c.request), [{ uuid: 'busy', retryCount: 0 }, { uuid: 'x', retryCount: 2 }, { uuid: 'y', retryCount: 0 }]);
});

test('a Hello for a device whose call is under way makes no second call', async () => {
  const { queue, calls, flush } = harness(4, 10);
  queue.offer({ uuid: 'a', retryCount: 0 });
  assert.equal(queue.offer({ uuid: 'a', retryCount: 1 }), 'coalesced');
  calls[0].resolve();
  await flush();
  assert.equal(calls.length, 1);
  assert.equal(queue.offer({ uuid: 'a', retryCount: 2 }), 'queued', 'once the call has settled, the next Hello makes a new one');
  assert.equal(calls.length, 2);
});

test('when `capacity` devices wait, a Hello for another device is shed; the waiting ones still coalesce, and a freed place takes a newcomer', async () => {
  const { queue, calls, flush } = harness(1, 2);
  queue.offer({ uuid: 'sending', retryCount: 0 });
  queue.offer({ uuid: 'w1', retryCount: 0 });
  queue.offer({ uuid: 'w2', retryCount: 0 });
  assert.equal(queue.offer({ uuid: 'late', retryCount: 0 }), 'queue-full');
  assert.equal(queue.offer({ uuid: 'w2', retryCount: 5 }), 'coalesced');
  assert.equal(queue.offer({ uuid: 'sending', retryCount: 5 }), 'coalesced');
  calls[0].resolve();
  await flush();
  assert.equal(queue.offer({ uuid: 'late', retryCount: 1 }), 'queued', 'the shed device\'s next Hello gets in');
  assert.deepEqual(queue.stats(), { waiting: 2, sending: 1, peakWaiting: 2, peakSending: 1 });
});

test('every send is settled once with its outcome, and drained() waits for the last', async () => {
  const { queue, calls, settled, flush } = harness(2, 10);
  for (const uuid of ['a', 'b', 'c']) queue.offer({ uuid, retryCount: 0 });
  let drained = false;
  const done = queue.drained().then(() => { drained = true; });
  calls[0].resolve();
  calls[1].reject(new Error('ResourceExhausted'));
  await flush();
  assert.equal(drained, false, 'c is still to be sent');
  calls[2].resolve();
  await done;
  assert.deepEqual(settled, [{ uuid: 'a', retryCount: 0 }, { uuid: 'b', retryCount: 0, error: 'ResourceExhausted' }, { uuid: 'c', retryCount: 0 }]);
  await queue.drained();
});

test('a send that throws synchronously is settled as failed and frees its slot', async () => {
  const settled: unknown[] = [];
  const sent: string[] = [];
  const queue = new StartQueue<Req>({
    concurrency: 1, capacity: 5,
    send: (request) => { sent.push(request.uuid); if (request.uuid === 'bad') throw new Error('boom'); return Promise.resolve(); },
    settled: (_request, error) => settled.push(error),
  });
  queue.offer({ uuid: 'bad', retryCount: 0 });
  queue.offer({ uuid: 'good', retryCount: 0 });
  await queue.drained();
  assert.deepEqual(sent, ['bad', 'good']);
  assert.equal((settled[0] as Error).message, 'boom');
  assert.equal(settled[1], undefined);
});

test('bounds must be positive integers', () => {
  const send = (): Promise<void> => Promise.resolve();
  assert.throws(() => new StartQueue({ concurrency: 0, capacity: 1, send, settled: () => undefined }), /concurrency must be a positive integer, got 0/);
  assert.throws(() => new StartQueue({ concurrency: 1, capacity: 1.5, send, settled: () => undefined }), /capacity must be a positive integer, got 1.5/);
});
