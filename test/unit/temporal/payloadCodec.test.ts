import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter } from '@temporalio/common';
import { parseKeyRing } from '../../../src/secrets/keyFile';
import { AesGcmPayloadCodec } from '../../../src/temporal/payloadCodec';

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
  await assert.rejects(new AesGcmPayloadCodec(parseKeyRing(`k9:${key()}`, 'other')).decode(old), /unknown key id "k1"/);
  const tampered = { ...old[0], data: Buffer.from(old[0].data!) };
  tampered.data[tampered.data.length - 20] ^= 1;
  await assert.rejects(rotated.decode([tampered]));
});

test('payloads that are not encrypted pass through decode untouched', async () => {
  const codec = new AesGcmPayloadCodec(parseKeyRing(`k1:${key()}`, 'test'));
  const plain = defaultPayloadConverter.toPayload(42);
  assert.deepEqual(await codec.decode([plain]), [plain]);
});

test('key rings are checked: format, length, duplicates', () => {
  assert.throws(() => parseKeyRing('', 'ring'), /no key found/);
  assert.throws(() => parseKeyRing('k1 no colon', 'ring'), /entry 1 is not/);
  assert.throws(() => parseKeyRing(`k1:${randomBytes(16).toString('base64')}`, 'ring'), /16 bytes; AES-256 needs 32/);
  const k = key();
  assert.throws(() => parseKeyRing(`k1:${k},k1:${k}`, 'ring'), /appears twice/);
});
