// amtprov unprovision / discover refuse bad arguments with a usage error (exit 2) naming the
// problem, before any store or Temporal connection is opened.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runDiscoverCommand } from '../../../src/cli/discover';
import { runUnprovisionCommand } from '../../../src/cli/unprovision';

async function withStderr(fn: () => Promise<number>): Promise<{ code: number; err: string }> {
  const original = process.stderr.write.bind(process.stderr);
  let err = '';
  process.stderr.write = ((chunk: string | Uint8Array) => { err += String(chunk); return true; });
  try {
    return { code: await fn(), err };
  } finally {
    process.stderr.write = original;
  }
}

test('unprovision: one computer, a valid deadline', async () => {
  assert.deepEqual((await withStderr(() => runUnprovisionCommand([]))).code, 2);
  assert.equal((await withStderr(() => runUnprovisionCommand(['pc1', 'pc2']))).code, 2);
  const short = await withStderr(() => runUnprovisionCommand(['pc1', '--deadline', '30s']));
  assert.deepEqual([short.code, /--deadline must be a duration from 1m to 30d, like 90m, 24h or 2d \(got "30s"\)/.test(short.err)], [2, true]);
  const word = await withStderr(() => runUnprovisionCommand(['pc1', '--deadline', 'soon']));
  assert.deepEqual([word.code, /--deadline must be a duration from 1m to 30d.*"soon"/.test(word.err)], [2, true]);
  assert.equal((await withStderr(() => runUnprovisionCommand(['pc1', '--partially']))).code, 2);
});

test('discover: a computer or --all, never both; concurrency 1-100', async () => {
  assert.equal((await withStderr(() => runDiscoverCommand([]))).code, 2);
  assert.equal((await withStderr(() => runDiscoverCommand(['pc1', '--all']))).code, 2);
  const zero = await withStderr(() => runDiscoverCommand(['--all', '--concurrency', '0']));
  assert.deepEqual([zero.code, /--concurrency must be a whole number from 1 to 100 \(got "0"\)/.test(zero.err)], [2, true]);
});
