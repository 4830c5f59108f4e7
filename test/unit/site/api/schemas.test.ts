// The in-band request body as the site API validates it: canonical forms, and refusals that
// name the field and rule without echoing the value (the OTP hash is a secret).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inBandRequestSchema } from '../../../../src/site/api/schemas';

const valid = {
  uuid: '{4C4C4544-0042-3510-8051-C7C04F4B4E31}',
  otpHash: 'AB'.repeat(32),
  hostName: 'pc-0042',
  domain: 'Amt.Test.',
  trustedRootHashes: ['CD'.repeat(32), 'ef'.repeat(20)],
};

function issues(body: unknown): string[] {
  const result = inBandRequestSchema.safeParse(body);
  assert.equal(result.success, false, 'expected a refusal');
  return result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

test('a valid request comes out canonical: UUID, hashes lowercased, NetBIOS name upper, domain without the dot', () => {
  assert.deepEqual(inBandRequestSchema.parse(valid), {
    uuid: '4c4c4544-0042-3510-8051-c7c04f4b4e31',
    otpHash: 'ab'.repeat(32),
    hostName: 'PC-0042',
    domain: 'amt.test',
    trustedRootHashes: ['cd'.repeat(32), 'ef'.repeat(20)],
  });
});

test('each bad field is named with its rule', () => {
  assert.match(issues({ ...valid, uuid: '0000-1' }).join(), /^uuid: SMBIOS GUID/);
  assert.match(issues({ ...valid, uuid: '00000000-0000-0000-0000-000000000000' }).join(), /all zeros/);
  assert.match(issues({ ...valid, hostName: 'a-name-far-too-long-for-netbios' }).join(), /^hostName: .*15 characters/);
  assert.match(issues({ ...valid, domain: 'no_underscores.test' }).join(), /^domain: .*invalid label/);
  assert.match(issues({ ...valid, trustedRootHashes: [] }).join(), /^trustedRootHashes: must list at least one hash/);
  assert.match(issues({ ...valid, trustedRootHashes: ['12345'] }).join(), /^trustedRootHashes.0: must be a SHA-1, SHA-256 or SHA-384/);
  assert.match(issues({ ...valid, extra: 1 }).join(), /extra/);
  assert.match(issues({ uuid: valid.uuid }).join(), /otpHash/);
});

test('a malformed OTP hash is refused without its value in the message', () => {
  const secretish = 'Zz'.repeat(32);
  const messages = issues({ ...valid, otpHash: secretish });
  assert.match(messages.join(), /^otpHash: must be the SHA-256 of the one-time password as 64 hex digits$/);
  assert.ok(!messages.join().includes(secretish));
  // A raw OTP sent by mistake in place of its hash is refused too, and not echoed.
  const otp = 'q3V9-Xo_7bYp0sLk2MnRtUvWxYz01234';
  assert.ok(!issues({ ...valid, otpHash: otp }).join().includes(otp));
});
