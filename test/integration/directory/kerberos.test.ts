// The account works for Kerberos as AMT will use it: the KDC issues a TGT for NAME$ with
// the password ensureComputerAccount set (password on stdin, never on a command line), a
// keytab holding only keys we derived (salt + RFC 3962 string-to-key, and the NT hash)
// gets a TGT too, and service tickets for the AMT SPNs come out AES256.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test, type TestContext } from 'node:test';
import { aesStringToKey, computerAccountSalt, DirectoryClient, rc4HmacKey } from '../../../src/directory';
import { useTestDirectory } from '../../support/ad';
import { ETYPE, kerberosScratch, keytab, kinitPath, kinitWithKeytab, kinitWithPassword, serviceTicket } from './kerberosTools';

const ad = useTestDirectory();
const skip = kinitPath ? false : 'kinit (krb5-user) is not installed';

async function newAccount(t: TestContext) {
  const facts = ad.facts();
  const ou = await ad.uniqueOu(t, 'krb');
  const name = `K${randomBytes(5).toString('hex').toUpperCase()}`;
  const fqdn = `${name.toLowerCase()}.amt.test`;
  const password = `Pw-${randomBytes(12).toString('base64url')}`;
  const account = await new DirectoryClient(facts).ensureComputerAccount({ ou, netbiosName: name, fqdn, password });
  const scratch = kerberosScratch(facts.krb5ConfigPath);
  t.after(() => scratch.cleanup());
  return { facts, name, fqdn, password, account, scratch, principal: `${name}$@${facts.realm}` };
}

describe('Kerberos with the generated krb5.conf', { skip }, () => {
  test('the password set by ensureComputerAccount gets a TGT; a wrong one does not', async (t) => {
    const { scratch, principal, password } = await newAccount(t);
    const good = await kinitWithPassword(scratch.env, principal, password);
    assert.equal(good.code, 0, good.output);
    const bad = await kinitWithPassword(scratch.env, principal, `${password}x`);
    assert.notEqual(bad.code, 0);
    assert.match(bad.output, /Password incorrect|Preauthentication failed/);
  });

  test('after a password change only the new password works', async (t) => {
    const { facts, scratch, principal, password, name, fqdn, account } = await newAccount(t);
    const ou = account.dn.slice(account.dn.indexOf(',') + 1);
    const changed = `Pw2-${randomBytes(12).toString('base64url')}`;
    await new DirectoryClient(facts).ensureComputerAccount({ ou, netbiosName: name, fqdn, password: changed });
    assert.notEqual((await kinitWithPassword(scratch.env, principal, password)).code, 0);
    const result = await kinitWithPassword(scratch.env, principal, changed);
    assert.equal(result.code, 0, result.output);
  });

  test('keys derived here (AD salt + RFC 3962, and RC4-HMAC) are the ones the KDC holds', async (t) => {
    const { facts, scratch, principal, password, name, account } = await newAccount(t);
    const salt = computerAccountSalt(facts.realm, name);
    for (const [etype, key] of [
      [ETYPE.aes256, aesStringToKey(password, salt, 32)],
      [ETYPE.aes128, aesStringToKey(password, salt, 16)],
      [ETYPE.rc4Hmac, rc4HmacKey(password)],
    ] as const) {
      const tab = keytab(`${name}$`, facts.realm, account.keyVersion, [{ etype: etype.number, key }]);
      const result = await kinitWithKeytab(scratch.env, scratch.dir, principal, tab, etype.name);
      assert.equal(result.code, 0, `${etype.name}: ${result.output}`);
    }
    // The same derivation with a user-style salt (no "host", no domain) must not match.
    const wrongSalt = keytab(`${name}$`, facts.realm, account.keyVersion,
      [{ etype: ETYPE.aes256.number, key: aesStringToKey(password, `${facts.realm}${name}$`, 32) }]);
    assert.notEqual((await kinitWithKeytab(scratch.env, scratch.dir, principal, wrongSalt, ETYPE.aes256.name)).code, 0);
  });

  test('service tickets for the AMT SPNs are AES256 (msDS-SupportedEncryptionTypes 24)', async (t) => {
    const { scratch, principal, password, fqdn, facts } = await newAccount(t);
    assert.equal((await kinitWithPassword(scratch.env, principal, password)).code, 0);
    const listing = await serviceTicket(scratch.env, `HTTP/${fqdn}:16993@${facts.realm}`);
    assert.equal(listing.code, 0, listing.output);
    const line = listing.output.split('\n').findIndex((l) => l.includes(`HTTP/${fqdn}:16993@`));
    assert.ok(line >= 0, listing.output);
    assert.match(listing.output.split('\n').slice(line, line + 3).join('\n'), /tkt\): aes256-cts-hmac-sha1-96/);
  });
});
