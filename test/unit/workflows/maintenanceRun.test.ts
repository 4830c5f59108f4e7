// The maintenance parent's fan-out (issue 11): never more children at once than the setting
// allows, every item run once, results in the items' order whatever order they finish in.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { forEachBounded } from '../../../src/workflows/maintenanceRun';

void describe('forEachBounded', () => {
  void it('runs each item once, at most `limit` at a time, results in order', async () => {
    let running = 0;
    let peak = 0;
    const seen: number[] = [];
    const results = await forEachBounded([5, 1, 4, 2, 3, 0, 6], 3, async (n) => {
      running += 1;
      peak = Math.max(peak, running);
      seen.push(n);
      await new Promise((r) => setTimeout(r, n * 3));
      running -= 1;
      return n * 10;
    });
    assert.deepEqual(results, [50, 10, 40, 20, 30, 0, 60]);
    assert.equal(peak, 3);
    assert.deepEqual([...seen].sort(), [0, 1, 2, 3, 4, 5, 6]);
  });

  void it('no items: nothing runs; a limit above the count runs all at once', async () => {
    assert.deepEqual(await forEachBounded([], 4, () => Promise.reject(new Error('never'))), []);
    let running = 0;
    let peak = 0;
    await forEachBounded([1, 2], 10, async () => {
      peak = Math.max(peak, ++running);
      await new Promise((r) => setTimeout(r, 5));
      running -= 1;
    });
    assert.equal(peak, 2);
  });
});
