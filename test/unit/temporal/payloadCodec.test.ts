import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter } from '@temporalio/common';
import { parseKeyRing } from '../../../src/secrets/keyFile';
import { AesGcmPayloadCodec, codecKeyFingerprint } from '../../../src/temporal/payloadCodec';
import { isUntrustedPayload } from '../../../src/workflows/untrustedPayload';

const key = (): string => randomBytes(32).toString('base64');

test('encrypts with the active key, names it in the metadata, and decodes back', async () => {
  const ring = parseKeyRing(`k2:${key()},k1:${key()}`, 'test');
  const codec = new AesGcmPayloadCodec(ring);
  const plain = defaultPayloadConverter.toPayload({ uuid: 'x', address: '127.0.0.1' });
  const [encrypted] = await codec.encode([plain]);
  assert.equal(Buffer.from(encrypted.metadata!.encoding).toString(), 'binary/encrypted');
  assert.equal(Buffer.from(encrypted.metadata!['encryption-key-id']).toString(), 'k2');
  assert.ok(!Buffer.from(encrypted.data!).includes(Buffer.from('127.0.0.1')));
  const [decoded] = await codec.decode([encrypted]);
  assert.deepEqual(defaultPayloadConverter.fromPayload(decoded), { uuid: 'x', address: '127.0.0.1' });
});

test('after a rotation old payloads still decode; an unknown key id or a flipped bit is refused', async () => {
  const k1 = key();
  const old = await new AesGcmPayloadCodec(parseKeyRing(`k1:${k1}`, 'old')).encode([defaultPayloadConverter.toPayload('hello')]);
  const rotated = new AesGcmPayloadCodec(parseKeyRing(`k2:${key()}\nk1:${k1}`, 'rotated'));
  assert.equal(defaultPayloadConverter.fromPayload((await rotated.decode(old))[0]), 'hello');
  const fingerprint = codecKeyFingerprint(Buffer.from(k1, 'base64'));
  assert.equal(Buffer.from(old[0].metadata!['encryption-key-fingerprint']).toString(), fingerprint);
  // The error names the key id and fingerprint it needs and the ring's, never a key.
  const other = key();
  const missing = new AesGcmPayloadCodec(parseKeyRing(`k9:${other}`, 'other')).decode(old);
  await assert.rejects(missing, (err: Error) => err.message.includes(`codec key "k1" (fingerprint ${fingerprint})`) &&
    err.message.includes(`"k9" ${codecKeyFingerprint(Buffer.from(other, 'base64'))}`) && !err.message.includes(k1) && !err.message.includes(other));
  await assert.rejects(new AesGcmPayloadCodec(parseKeyRing(`k1:${other}`, 'same id')).decode(old), /does not authenticate with this ring's key "k1"/);
  const tampered = { ...old[0], data: Buffer.from(old[0].data!) };
  tampered.data[tampered.data.length - 20] ^= 1;
  await assert.rejects(rotated.decode([tampered]));
});

test('a payload that is not encrypted decodes to the untrusted marker for the worker, and as sent for the UI', async () => {
  const ring = parseKeyRing(`k1:${key()}`, 'test');
  const plain = defaultPayloadConverter.toPayload({ uuid: 'forged', address: '10.0.0.66' });
  const [marked] = await new AesGcmPayloadCodec(ring).decode([plain]);
  const value = defaultPayloadConverter.fromPayload(marked);
  assert.ok(isUntrustedPayload(value));
  assert.deepEqual(value, { $untrustedPayload: true, encoding: 'json/plain' });
  assert.deepEqual(await new AesGcmPayloadCodec(ring, 'pass').decode([plain]), [plain]);
});

test('key rings are checked: format, length, duplicates', () => {
  assert.throws(() => parseKeyRing('', 'ring'), /no key found/);
  assert.throws(() => parseKeyRing('k1 no colon', 'ring'), /entry 1 is not/);
  assert.throws(() => parseKeyRing(`k1:${randomBytes(16).toString('base64')}`, 'ring'), /16 bytes; AES-256 needs 32/);
  const k = key();
  assert.throws(() => parseKeyRing(`k1:${k},k1:${k}`, 'ring'), /appears twice/);
});
