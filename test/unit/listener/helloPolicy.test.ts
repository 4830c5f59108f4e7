import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Hello } from '../../../src/amt/helloCodec';
import { decideHello, type HelloLookups } from '../../../src/listener/helloPolicy';
import { AddressRateLimiter } from '../../../src/listener/rateLimiter';

const TRUSTED = 'ab'.repeat(32);
const hello = (uuid: string, hexes: string[]): Hello => ({
  adminCredentialsSet: false, interfaceVersion: 3, retryCount: 0, uuid, rootHashes: hexes.map((hex) => ({ algorithm: 'sha256', hex })),
});
const lookups = (computers: Record<string, { inBandManaged: boolean; provisioningHeld?: boolean }>): HelloLookups => ({
  computer: (uuid) => Promise.resolve(computers[uuid] && { provisioningHeld: false, ...computers[uuid], fqdn: `${uuid}.amt.test` }),
  provisioningRootHashes: () => Promise.resolve(new Set([TRUSTED])),
});

test('a Hello from an imported device offering a site root is provisioned with all its hashes', async () => {
  assert.deepEqual(await decideHello(hello('u1', ['00'.repeat(32), TRUSTED]), lookups({ u1: { inBandManaged: false } })),
    { action: 'provision', uuid: 'u1', hostname: 'u1.amt.test', trustedRootHashes: ['00'.repeat(32), TRUSTED] });
});

test('a Hello whose only match is the SHA-384 hash of a site root is provisioned', async () => {
  const sha384 = 'cd'.repeat(48);
  const sha384Hello: Hello = { ...hello('u6', []), rootHashes: [{ algorithm: 'sha1', hex: '11'.repeat(20) }, { algorithm: 'sha384', hex: sha384 }] };
  const siteRoots: HelloLookups = { computer: () => Promise.resolve({ inBandManaged: false, provisioningHeld: false, fqdn: 'u6.amt.test' }), provisioningRootHashes: () => Promise.resolve(new Set(['ab'.repeat(20), 'ab'.repeat(32), sha384])) };
  assert.deepEqual(await decideHello(sha384Hello, siteRoots), { action: 'provision', uuid: 'u6', hostname: 'u6.amt.test', trustedRootHashes: ['11'.repeat(20), sha384] });
});

test('drop reasons, checked in the order unknown, in-band, held, root', async () => {
  assert.deepEqual(await decideHello(hello('u2', [TRUSTED]), lookups({})), { action: 'drop', reason: 'unknown-uuid' });
  assert.deepEqual(await decideHello(hello('u3', ['11'.repeat(32)]), lookups({ u3: { inBandManaged: true, provisioningHeld: true } })), { action: 'drop', reason: 'in-band-managed' });
  assert.deepEqual(await decideHello(hello('u7', ['11'.repeat(32)]), lookups({ u7: { inBandManaged: false, provisioningHeld: true } })), { action: 'drop', reason: 'provisioning-held' });
  assert.deepEqual(await decideHello(hello('u8', [TRUSTED]), lookups({ u8: { inBandManaged: false, provisioningHeld: true } })), { action: 'drop', reason: 'provisioning-held' });
  assert.deepEqual(await decideHello(hello('u4', ['11'.repeat(32)]), lookups({ u4: { inBandManaged: false } })), { action: 'drop', reason: 'root-not-trusted' });
  assert.deepEqual(await decideHello(hello('u5', []), lookups({ u5: { inBandManaged: false } })), { action: 'drop', reason: 'root-not-trusted' });
});

test('the rate limiter allows a burst, then refills at the sustained rate, per address', () => {
  let now = 0;
  const limiter = new AddressRateLimiter({ perSecond: 2, burst: 3 }, () => now);
  assert.deepEqual([1, 2, 3, 4].map(() => limiter.allow('a')), [true, true, true, false]);
  assert.equal(limiter.allow('b'), true, 'another address has its own bucket');
  now = 500;
  assert.equal(limiter.allow('a'), true, 'one token after half a second at 2/s');
  assert.equal(limiter.allow('a'), false);
});
