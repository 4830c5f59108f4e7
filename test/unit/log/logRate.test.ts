// Rate-bounded logging: the first lines of a window in full, the rest counted in one line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '../../../src/log';
import { RateBoundedLog } from '../../../src/logRate';

test('per key, lines past the burst are suppressed and reported once per window', () => {
  const lines: string[] = [];
  let now = 0;
  const log = new RateBoundedLog(createLogger('t', { level: 'debug', sink: (l) => lines.push(l) }), { burst: 2, windowMs: 1000 }, () => now);
  for (let i = 0; i < 5; i++) log.info('a', 'dropped', { i });
  log.info('b', 'dropped', { i: 99 });
  assert.equal(lines.filter((l) => l.includes(' dropped ')).length, 3);
  now = 1500;
  log.info('a', 'dropped', { i: 5 });
  assert.ok(lines.some((l) => l.includes('log lines suppressed') && l.includes('key=a') && l.includes('suppressed=3')));
  log.close();
  assert.equal(lines.filter((l) => l.includes('log lines suppressed')).length, 1, 'b never exceeded its burst');
});
