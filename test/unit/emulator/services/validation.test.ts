// The firmware-side rules of the services: DNS names, AMT user names and passwords, digest
// hashes, Kerberos SIDs, the MEBx policy, PKCS#10 subject names and the time sync arithmetic.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PT_STATUS } from '../../../../src/contract/ptStatus';
import { FirmwareError } from '../../../../src/emulator/firmware/errors';
import { parseSubjectDn } from '../../../../src/emulator/services/soap/certStore';
import { synchronizedTime } from '../../../../src/emulator/services/setupOperations';
import { decodeBase64, digestPasswordToHa1, kerberosSidProblem, passwordProblems, usernameProblem } from '../../../../src/emulator/services/validation/credentials';
import { domainNameProblem, fqdnProblem, hostNameProblem } from '../../../../src/emulator/services/validation/dnsNames';
import { versionAtLeast } from '../../../../src/contract/firmwareFamilies';
import { mebxChangeRefusal } from '../../../../src/emulator/services/validation/mebxPolicy';

void describe('DNS names', () => {
  void it('accepts LDH labels of 1-63 characters as host names', () => {
    for (const ok of ['a', 'pc-0042', 'PC1', '0day', 'a'.repeat(63)]) assert.equal(hostNameProblem(ok), null, ok);
  });

  void it('refuses empty, long, dotted, hyphen-edged and non-LDH host names', () => {
    for (const bad of ['', 'a'.repeat(64), 'pc.example', '-pc', 'pc-', 'pc_1', 'pc 1', 'pç']) assert.notEqual(hostNameProblem(bad), null, bad);
  });

  void it('accepts domains of LDH labels up to 253 characters', () => {
    const long = Array.from({ length: 4 }, () => 'a'.repeat(62)).join('.'); // 251 characters
    for (const ok of ['example.com', 'corp', 'a-b.c-d.example', long]) assert.equal(domainNameProblem(ok), null, ok);
  });

  void it('refuses empty labels, trailing dots, long labels, numeric TLDs and names over 253 characters', () => {
    const tooLong = Array.from({ length: 4 }, () => 'a'.repeat(63)).join('.') + '.com';
    for (const bad of ['', 'example..com', '.example.com', 'example.com.', `${'a'.repeat(64)}.com`, 'ex_ample.com', 'example.123', tooLong]) {
      assert.notEqual(domainNameProblem(bad), null, bad);
    }
  });

  void it('refuses an FQDN over 253 characters and ignores unset parts', () => {
    const domain = Array.from({ length: 3 }, () => 'a'.repeat(63)).join('.'); // 191 characters
    assert.equal(fqdnProblem('h'.repeat(61), domain), null);
    assert.notEqual(fqdnProblem('h'.repeat(62), domain), null);
    assert.equal(fqdnProblem('', domain), null);
  });
});

void describe('AMT user names and passwords', () => {
  void it('accepts 1-16 printable ASCII user names without : , < > & "', () => {
    for (const ok of ['operator', 'u', 'user.name-01_x', '!#$%()*+-./;=?@', 'u'.repeat(16)]) assert.equal(usernameProblem(ok, true), null, ok);
  });

  void it('refuses empty, long, spaced, non-ASCII and forbidden-character user names', () => {
    for (const bad of ['', 'u'.repeat(17), 'a b', 'añb', 'a:b', 'a,b', 'a<b', 'a>b', 'a&b', 'a"b']) assert.notEqual(usernameProblem(bad, false), null, bad);
  });

  void it('reserves "admin" (any case) and "$$" names for user ACL entries only', () => {
    assert.equal(usernameProblem('admin', false), null);
    assert.notEqual(usernameProblem('Admin', true), null);
    assert.notEqual(usernameProblem('$$system', true), null);
  });

  void it('accepts strong passwords of 8-32 characters', () => {
    for (const ok of ['Passw0rd!', 'Aa1!aaaa', `Aa1!${'x'.repeat(28)}`, 'Sp ace1!A']) assert.deepEqual(passwordProblems(ok), [], ok);
  });

  void it('names every broken part of a weak password without quoting it', () => {
    assert.deepEqual(passwordProblems('short'), ['must be 8 to 32 characters (has 5)', 'needs a digit', 'needs an upper-case letter', 'needs a symbol (not _ or space)']);
    assert.ok(passwordProblems(`Aa1!${'x'.repeat(29)}`).some((p) => p.startsWith('must be 8 to 32')));
    assert.deepEqual(passwordProblems('Under_sc0re'), ['needs a symbol (not _ or space)']);
    assert.deepEqual(passwordProblems('Spa ce12Ab'), ['needs a symbol (not _ or space)']);
    for (const excluded of [':', ',', '"']) assert.deepEqual(passwordProblems(`Passw0rd!${excluded}`), ['must not contain : , or "'], excluded);
    assert.deepEqual(passwordProblems('Pässw0rd!'), ['must be 7-bit printable ASCII']);
    assert.ok(passwordProblems('Secret!Value9x').every((p) => !p.includes('Secret')));
  });
});

void describe('digest hashes, base64 and SIDs', () => {
  void it('takes base64 of exactly 16 bytes as HA1 hex', () => {
    assert.equal(digestPasswordToHa1(Buffer.alloc(16, 0xab).toString('base64')), 'ab'.repeat(16));
    assert.equal(digestPasswordToHa1(Buffer.alloc(15).toString('base64')), null);
    assert.equal(digestPasswordToHa1('not base64!'), null);
  });

  void it('decodes strict padded base64 only', () => {
    assert.deepEqual(decodeBase64('AAEC'), Buffer.from([0, 1, 2]));
    assert.equal(decodeBase64('AAE'), null);
    assert.equal(decodeBase64('AA=C'), null);
  });

  void it('accepts revision 1 SIDs of 8 + 4n bytes up to 28 and refuses the rest', () => {
    const sid = (subAuthorities: number) => Buffer.concat([Buffer.from([1, subAuthorities, 0, 0, 0, 0, 0, 5]), Buffer.alloc(4 * subAuthorities, 7)]).toString('base64');
    assert.equal(kerberosSidProblem(sid(5)), null);
    assert.equal(kerberosSidProblem(sid(1)), null);
    assert.notEqual(kerberosSidProblem(sid(6)), null, '32 bytes is over 28');
    assert.notEqual(kerberosSidProblem(Buffer.from([2, 0, 0, 0, 0, 0, 0, 5]).toString('base64')), null, 'revision 2');
    assert.notEqual(kerberosSidProblem(Buffer.from([1, 2, 0, 0, 0, 0, 0, 5, 1, 2, 3, 4]).toString('base64')), null, 'count does not match length');
  });
});

void describe('MEBx password policy', () => {
  void it('compares dotted firmware versions numerically', () => {
    assert.equal(versionAtLeast('3.2.1', [3, 2, 1]), true);
    assert.equal(versionAtLeast('3.2.0', [3, 2, 1]), false);
    assert.equal(versionAtLeast('11.8.50', [3, 2, 1]), true);
    assert.equal(versionAtLeast('3.10', [3, 2, 1]), true);
  });

  void it('answers UNSUPPORTED before 3.2.1, NOT_PERMITTED once changed or staged, nothing otherwise', () => {
    assert.equal(mebxChangeRefusal({ firmwareVersion: '3.0.2', changed: false, staged: false })?.status, PT_STATUS.UNSUPPORTED);
    assert.equal(mebxChangeRefusal({ firmwareVersion: '6.2.10', changed: true, staged: false })?.status, PT_STATUS.NOT_PERMITTED);
    assert.equal(mebxChangeRefusal({ firmwareVersion: '6.2.10', changed: false, staged: true })?.status, PT_STATUS.NOT_PERMITTED);
    assert.equal(mebxChangeRefusal({ firmwareVersion: '6.2.10', changed: false, staged: false }), null);
  });
});

void describe('PKCS#10 subject names and time sync', () => {
  void it('parses simple DNs with a CN', () => {
    assert.deepEqual(parseSubjectDn('CN=pc1.example.com, o=Example'), [
      { shortName: 'CN', value: 'pc1.example.com' },
      { shortName: 'O', value: 'Example' },
    ]);
  });

  void it('refuses DNs without CN, unknown attributes, empty or escaped values with INVALID_PARAMETER', () => {
    for (const dn of ['O=Example', 'CN=', 'XX=1,CN=a', 'pc1', 'CN=a\\,b', `CN=${'x'.repeat(65)}`]) {
      assert.throws(() => parseSubjectDn(dn), (err: unknown) => err instanceof FirmwareError && err.status === PT_STATUS.INVALID_PARAMETER, dn);
    }
  });

  void it('sets the clock to Tm2 plus half the network round trip', () => {
    // Device waited 10 s between answering and receiving; the server spent 4 s: 6 s of transit, 3 s one way.
    assert.equal(synchronizedTime(1000, 5000, 5004, 1010), 5007);
    assert.equal(synchronizedTime(1000, 5000, 5004, 1002), 5004, 'never goes back for a negative estimate');
  });
});
