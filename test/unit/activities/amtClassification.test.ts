import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyAmtStatus, type DiscoveryObservation } from '../../../src/activities/amtClassification';

const address = '127.0.0.1';
const ours = { accepted: true, credential: 'admin-current' } as const;
const status = (seen: DiscoveryObservation): string => classifyAmtStatus(seen).status;

test('no address known, or no TLS answer: Unknown', () => {
  assert.equal(status({ tls: 'no-answer' }), 'Unknown');
  const dark = classifyAmtStatus({ address, tls: 'no-answer' });
  assert.deepEqual([dark.status, dark.reason], ['Unknown', 'no AMT answer at 127.0.0.1:16993']);
});

test('a certificate neither pinned nor site-issued, or no credential accepted: Externally Provisioned', () => {
  assert.equal(status({ address, tls: 'foreign' }), 'Externally Provisioned');
  assert.equal(status({ address, tls: 'site-issued', login: { accepted: false } }), 'Externally Provisioned');
  assert.equal(status({ address, tls: 'pinned', login: { accepted: false } }), 'Externally Provisioned');
});

test('no readable firmware version, or older than 3.2.1: Not Supported', () => {
  assert.equal(status({ address, tls: 'pinned', login: ours, provisioningState: 0 }), 'Not Supported');
  assert.equal(status({ address, tls: 'pinned', login: ours, firmwareVersion: 'x.1', provisioningState: 0 }), 'Not Supported');
  assert.equal(status({ address, tls: 'pinned', login: ours, firmwareVersion: '3.2.0', provisioningState: 0 }), 'Not Supported');
  assert.equal(status({ address, tls: 'pinned', login: ours, firmwareVersion: '3.2.1', provisioningState: 0 }), 'Not Provisioned');
});

test('by provisioning state: pre and in (nothing committed) Not Provisioned; none reported Detected', () => {
  const seen = { address, tls: 'first-contact', login: { accepted: true, credential: 'digest-account:1' }, firmwareVersion: '16.1.27' } as const;
  assert.equal(status({ ...seen, provisioningState: 0 }), 'Not Provisioned');
  assert.equal(status({ ...seen, provisioningState: 1 }), 'Not Provisioned');
  assert.equal(status({ ...seen }), 'Detected');
});

test('post-provisioning: Provisioned only with the site CA certificate and one of our admin passwords', () => {
  const post = { address, firmwareVersion: '5.2.70', provisioningState: 2 } as const;
  assert.equal(status({ ...post, tls: 'site-issued', login: ours }), 'Provisioned');
  assert.equal(status({ ...post, tls: 'site-issued', login: { accepted: true, credential: 'admin-pending:3' } }), 'Provisioned');
  // Someone else's TLS (the device's own certificate) or a factory Digest account: not provisioned by this site.
  assert.equal(status({ ...post, tls: 'pinned', login: ours }), 'Externally Provisioned');
  assert.equal(status({ ...post, tls: 'site-issued', login: { accepted: true, credential: 'digest-account:1' } }), 'Externally Provisioned');
});
