// The OTP the agent makes and the hash it registers: the firmware's rule, randomness, and
// agreement with the run's identity check, which hashes the bytes the device presents
// (base64 in WS-Man) rather than their text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { hashOneTimePassword, makeOneTimePassword, OTP_RULE } from '../../../src/agent/oneTimePassword';
import { otpHash } from '../../../src/activities/verifyIdentity';

test('every OTP meets the firmware rule (8-32 printable ASCII) at the longest length', () => {
  for (let i = 0; i < 1000; i++) {
    const otp = makeOneTimePassword();
    assert.equal(otp.length, 32);
    assert.match(otp, OTP_RULE);
  }
});

test('OTPs do not repeat and use the whole alphabet (crypto-strong source, not a counter)', () => {
  const seen = new Set<string>();
  const characters = new Set<string>();
  for (let i = 0; i < 2000; i++) {
    const otp = makeOneTimePassword();
    seen.add(otp);
    for (const c of otp) characters.add(c);
  }
  assert.equal(seen.size, 2000);
  assert.equal(characters.size, 64, 'base64url has 64 symbols; 64,000 draws show them all');
});

test('the registered hash is SHA-256 hex of the OTP bytes', () => {
  assert.equal(hashOneTimePassword('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  assert.match(hashOneTimePassword(makeOneTimePassword()), /^[0-9a-f]{64}$/);
});

test('the identity check hashes the presented OTP (base64 octets) to the agent\'s hash', () => {
  const otp = makeOneTimePassword();
  const presented = Buffer.from(Buffer.from(otp, 'utf8').toString('base64'), 'base64');
  assert.equal(otpHash(presented), hashOneTimePassword(otp));
  // Hashing the base64 text instead would never match.
  assert.notEqual(createHash('sha256').update(Buffer.from(otp).toString('base64')).digest('hex'), hashOneTimePassword(otp));
});
