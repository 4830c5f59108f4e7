// objectSid bytes to the S-1-... form (MS-DTYP 2.4.2.2).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sidToString } from '../../../src/directory/sid';

test('a domain account SID read from Samba', () => {
  const bytes = Buffer.from('0105000000000005150000007e63f7a147df8ec6a29932754e040000', 'hex');
  assert.equal(sidToString(bytes), 'S-1-5-21-2717344638-3331252039-1966250402-1102');
});

test('well-known SIDs: BUILTIN\\Administrators and Everyone', () => {
  assert.equal(sidToString(Buffer.from('01020000000000052000000020020000', 'hex')), 'S-1-5-32-544');
  assert.equal(sidToString(Buffer.from('010100000000000100000000', 'hex')), 'S-1-1-0');
});

test('authorities of 2^32 and above are written in hex', () => {
  assert.equal(sidToString(Buffer.from('010112345678901200000000', 'hex')), 'S-1-0x123456789012-0');
});

test('truncated or inconsistent input is refused', () => {
  assert.throws(() => sidToString(Buffer.from('0105', 'hex')), /at least 8 bytes/);
  assert.throws(() => sidToString(Buffer.from('010200000000000520000000', 'hex')), /must be 16 bytes/);
});
