// Bounded label values: LDAP result names from RFC 4511, and codec failures counted by kind
// where the codec raises them (a real AES-GCM codec, real key rings).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter } from '@temporalio/common';
import { ldapResultName } from '../../../src/directory/ldapResults';
import { productRegistry } from '../../../src/metrics/productMetrics';
import { parseKeyRing } from '../../../src/secrets/keyFile';
import { AesGcmPayloadCodec } from '../../../src/temporal/payloadCodec';
import { parsePrometheusText, sampleValue } from '../../support/prometheusText';

test('LDAP result codes get their RFC 4511 names; others are unlisted, non-LDAP failures none', () => {
  assert.equal(ldapResultName(49), 'invalidCredentials');
  assert.equal(ldapResultName(50), 'insufficientAccessRights');
  assert.equal(ldapResultName(68), 'entryAlreadyExists');
  assert.equal(ldapResultName(80), 'other');
  assert.equal(ldapResultName(9), 'unlisted');
  assert.equal(ldapResultName(undefined), 'none');
});

const failures = async (kind: string): Promise<number> =>
  sampleValue(parsePrometheusText(await productRegistry.metrics()), 'amtprov_codec_failures_total', { operation: 'decode', kind });

test('codec decode failures are counted by kind', async () => {
  const ring = parseKeyRing(`k1:${randomBytes(32).toString('base64')}`, 'test');
  const codec = new AesGcmPayloadCodec(ring);
  const [good] = await codec.encode([defaultPayloadConverter.toPayload({ stage: 'tls' })]);
  const before = { unknown: await failures('unknown-key'), short: await failures('too-short'), auth: await failures('authentication') };

  await assert.rejects(new AesGcmPayloadCodec(parseKeyRing(`k2:${randomBytes(32).toString('base64')}`, 'other')).decode([good]), /codec key "k1" \(fingerprint [0-9a-f]{16}\), which this process.s key ring/);
  await assert.rejects(codec.decode([{ ...good, data: Buffer.alloc(10) }]), /too short/);
  const tampered = Buffer.from(good.data!);
  tampered[tampered.length - 1] ^= 1;
  await assert.rejects(codec.decode([{ ...good, data: tampered }]), /does not authenticate with this ring.s key "k1"/);
  const [decoded] = await codec.decode([good]);
  assert.deepEqual(defaultPayloadConverter.fromPayload(decoded), { stage: 'tls' }, 'a good payload still decodes');

  assert.equal(await failures('unknown-key') - before.unknown, 1);
  assert.equal(await failures('too-short') - before.short, 1);
  assert.equal(await failures('authentication') - before.auth, 1);
});
