// The LDAPS connection pool against the real Samba AD DC (performance issue 13): a burst of
// 200 directory operations goes through at most `size` bound connections with no reset, a
// connection the transport loses is discarded and the next operation gets a fresh one, a
// full pool makes a waiter fail with a retryable error that names the wait, and changed
// credentials never ride on a connection bound with the old ones. Open connections are
// counted twice: by the pool, and as this process's ESTABLISHED sockets to the DC's port
// (test/support/establishedSockets.ts). No addresses bound.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { describe, test } from 'node:test';
import type { Client } from 'ldapts';
import { DirectoryClient, DirectoryConnections, DirectoryError, type DirectorySettings } from '../../../src/directory';
import { useTestDirectory } from '../../support/ad';
import { establishedTo, peakEstablishedDuring } from '../../support/establishedSockets';

const ad = useTestDirectory();
const SIZE = 8;
const BURST = 200;

function portOf(settings: DirectorySettings): number {
  return Number(new URL(settings.url).port || 636);
}

function errorText(err: unknown): string {
  return err instanceof Error ? `${err.message} ${String((err.cause as Error | undefined)?.message ?? '')}` : String(err);
}

/** The socket under a pooled ldapts client: what a server drop (or a reset) closes. */
function socketOf(client: Client): Socket {
  const socket = (client as unknown as { socket?: Socket }).socket;
  assert.ok(socket, 'the pooled client has no socket');
  return socket;
}

describe('LDAPS connection pool', () => {
  test(`${BURST} concurrent operations: all complete, no reset, never more than ${SIZE} connections`, async (t) => {
    const facts = ad.facts();
    const connections = new DirectoryConnections({ size: SIZE });
    t.after(() => connections.close());
    const client = new DirectoryClient(facts, connections);
    const ou = await ad.uniqueOu(t, 'pool');
    // A few creations among the reads, so the burst writes (and sets passwords) too.
    const created = Array.from({ length: 10 }, () => `P${randomBytes(5).toString('hex').toUpperCase()}`);
    const before = establishedTo(portOf(facts));
    const { result, peak } = await peakEstablishedDuring(portOf(facts), () => Promise.allSettled(Array.from({ length: BURST }, (_, i) => {
      const name = created[i];
      return name
        ? client.ensureComputerAccount({ ou, netbiosName: name, fqdn: `${name.toLowerCase()}.amt.test`, password: `Pw-${randomBytes(12).toString('base64url')}` })
        : client.findComputerAccount(`Q${i}`);
    })));
    const failed = result.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    assert.deepEqual(failed.map((r) => errorText(r.reason)), [], 'operations failed');
    const stats = connections.stats(facts);
    assert.ok(stats, 'nothing was pooled');
    assert.ok(stats.peakOpen <= SIZE, `the pool had ${stats.peakOpen} connections open`);
    assert.ok(stats.opened <= SIZE, `the pool opened ${stats.opened} connections for ${BURST} operations`);
    assert.equal(stats.discarded, 0);
    // uniqueOu's admin connection is closed by then; `before` counts any other of this process.
    assert.ok(peak - before <= SIZE, `${peak - before} sockets to the DC were open at once`);
    for (const name of created) assert.ok(await client.findComputerAccount(name), `${name} was not created`);
  });

  test('a connection whose socket is gone is discarded; the next operation runs on a fresh one', async (t) => {
    const facts = ad.facts();
    const connections = new DirectoryConnections({ size: 2 });
    t.after(() => connections.close());
    const client = new DirectoryClient(facts, connections);
    // Dropped while idle (as when the DC restarts): once the client has seen the close, the
    // connection is found dead when next taken and replaced before the operation runs.
    const idle = await connections.use(facts, (c) => Promise.resolve(c));
    socketOf(idle).destroy();
    while (idle.isBound) await new Promise((resolve) => setImmediate(resolve));
    assert.equal(await client.findComputerAccount('NOSUCHPC1'), undefined);
    assert.deepEqual({ opened: connections.stats(facts)?.opened, discarded: connections.stats(facts)?.discarded }, { opened: 2, discarded: 1 });
    // Dropped under an operation: that operation fails retryably, the connection is not reused.
    let broken: Client | undefined;
    const err = await connections.use(facts, async (c) => {
      broken = c;
      socketOf(c).destroy(new Error('read ECONNRESET'));
      return c.search(facts.baseDn, { filter: '(sAMAccountName=NOSUCHPC2$)' });
    }).then(() => assert.fail('the search on a destroyed socket succeeded'), (e: unknown) => e);
    assert.ok(err instanceof Error);
    const reused = await connections.use(facts, (c) => Promise.resolve(c));
    assert.notEqual(reused, broken, 'the broken connection was handed out again');
    assert.equal(await client.findComputerAccount('NOSUCHPC3'), undefined);
    assert.equal(connections.stats(facts)?.discarded, 2);
  });

  test('a full pool: the waiter gets a retryable DirectoryUnavailable naming the pool wait', async (t) => {
    const facts = ad.facts();
    const connections = new DirectoryConnections({ size: 2, waitMs: 300 });
    t.after(() => connections.close());
    let release!: () => void;
    const gate = new Promise<void>((resolve) => { release = resolve; });
    const holders = [1, 2].map(() => connections.use(facts, () => gate));
    while ((connections.stats(facts)?.open ?? 0) < 2) await new Promise((resolve) => setTimeout(resolve, 10));
    const started = Date.now();
    const err = await new DirectoryClient(facts, connections).findComputerAccount('WAITER')
      .then(() => assert.fail('found a connection in a full pool'), (e: unknown) => e);
    assert.ok(err instanceof DirectoryError, String(err));
    assert.equal(err.type, 'DirectoryUnavailable');
    assert.equal(err.retryable, true);
    assert.match(err.message, /no LDAPS connection to ldaps:\/\/\S+ came free within 300 ms \(all 2 of the pool busy\)/);
    assert.ok(Date.now() - started >= 290, 'gave up before the wait bound');
    release();
    await Promise.all(holders);
  });

  test('changed credentials never use a connection bound with the old ones', async (t) => {
    const facts = ad.facts();
    const connections = new DirectoryConnections({ size: 2 });
    t.after(() => connections.close());
    assert.equal(await new DirectoryClient(facts, connections).findComputerAccount('NOSUCHPC4'), undefined);
    const wrong = { ...facts, bindPassword: `${facts.bindPassword}-old` };
    const err = await new DirectoryClient(wrong, connections).findComputerAccount('NOSUCHPC4')
      .then(() => assert.fail('the changed password rode on the old connection'), (e: unknown) => e);
    assert.ok(err instanceof DirectoryError);
    assert.equal(err.type, 'DirectoryCredentialsRejected');
    assert.ok(!err.message.includes(wrong.bindPassword), 'the password is in the message');
  });
});
