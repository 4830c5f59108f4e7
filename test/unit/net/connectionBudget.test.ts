// The listener's connection budget: caps per address and in all, the idlest socket evicted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConnectionBudget, type TrackedConnection } from '../../../src/net/connectionBudget';

function connection(budget: ConnectionBudget, peer: string, lastActivity: number, evicted: string[]): TrackedConnection {
  const c: TrackedConnection = {
    peer, lastActivity,
    evict: (reason) => {
      evicted.push(`${peer}@${lastActivity}:${reason}`);
      budget.release(c);
    },
  };
  return c;
}

test('a full address loses its own idlest socket, not anybody else\'s', () => {
  const budget = new ConnectionBudget({ perAddress: 2, total: 10 });
  const evicted: string[] = [];
  budget.admit(connection(budget, 'b', 1, evicted));
  budget.admit(connection(budget, 'a', 5, evicted));
  budget.admit(connection(budget, 'a', 3, evicted));
  budget.admit(connection(budget, 'a', 9, evicted));
  assert.deepEqual(evicted, ['a@3:evicted:per-address']);
  assert.equal(budget.size, 3);
});

test('a full listener evicts the idlest socket of all to admit a newcomer', () => {
  const budget = new ConnectionBudget({ perAddress: 5, total: 3 });
  const evicted: string[] = [];
  for (const [peer, at] of [['x', 4], ['y', 2], ['z', 7]] as const) budget.admit(connection(budget, peer, at, evicted));
  budget.admit(connection(budget, 'new', 10, evicted));
  assert.deepEqual(evicted, ['y@2:evicted:total']);
  assert.equal(budget.size, 3);
});

test('release is idempotent and frees the address', () => {
  const budget = new ConnectionBudget({ perAddress: 1, total: 5 });
  const evicted: string[] = [];
  const c = connection(budget, 'a', 1, evicted);
  budget.admit(c);
  budget.release(c);
  budget.release(c);
  budget.admit(connection(budget, 'a', 2, evicted));
  assert.deepEqual(evicted, []);
  assert.equal(budget.size, 1);
});
