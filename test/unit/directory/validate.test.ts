// Input validation: every rejection names the field, and accepted values come back normalised.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DirectoryError } from '../../../src/directory/errors';
import { validateSettings } from '../../../src/directory/settings';
import {
  normalizeDn, parentDn, splitDn, validateEncryptionTypes, validateFqdn, validateNetbiosName, validateOu, validatePassword,
} from '../../../src/directory/validate';

function rejects(fn: () => unknown, field: string, pattern?: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof DirectoryError, `expected DirectoryError, got ${String(err)}`);
    assert.equal(err.type, 'DirectoryInputInvalid');
    assert.equal(err.retryable, false);
    assert.equal(err.field, field);
    assert.ok(err.message.startsWith(`${field}:`), err.message);
    if (pattern) assert.match(err.message, pattern);
    return true;
  });
}

describe('NetBIOS name', () => {
  test('accepts 1-15 letters, digits and inner hyphens, returned upper-case', () => {
    assert.equal(validateNetbiosName('pc-0001'), 'PC-0001');
    assert.equal(validateNetbiosName('A'), 'A');
    assert.equal(validateNetbiosName('ABCDEFGHIJKLMNO'), 'ABCDEFGHIJKLMNO');
  });
  test('rejects empty, too long, bad characters, edge hyphens, all digits', () => {
    rejects(() => validateNetbiosName(''), 'netbiosName', /required/);
    rejects(() => validateNetbiosName(undefined), 'netbiosName');
    rejects(() => validateNetbiosName('ABCDEFGHIJKLMNOP'), 'netbiosName', /16 characters/);
    for (const bad of ['PC 1', 'PC$', 'PC.1', 'PC_1', 'PC\\1', 'PC/1', 'PC:1', 'PC*', 'PC"1', 'pç1']) {
      rejects(() => validateNetbiosName(bad), 'netbiosName', /letters, digits and hyphens/);
    }
    rejects(() => validateNetbiosName('-PC1'), 'netbiosName', /hyphen/);
    rejects(() => validateNetbiosName('PC1-'), 'netbiosName', /hyphen/);
    rejects(() => validateNetbiosName('12345'), 'netbiosName', /all digits/);
  });
});

describe('FQDN', () => {
  test('accepts host.domain, lower-cases it and drops a trailing dot', () => {
    assert.equal(validateFqdn('PC-0001.AMT.test'), 'pc-0001.amt.test');
    assert.equal(validateFqdn('pc1.amt.test.'), 'pc1.amt.test');
  });
  test('rejects single labels, bad labels and over-long names', () => {
    rejects(() => validateFqdn('pc1'), 'fqdn', /not fully qualified/);
    rejects(() => validateFqdn('pc_1.amt.test'), 'fqdn', /invalid label "pc_1"/);
    rejects(() => validateFqdn('-pc.amt.test'), 'fqdn', /invalid label/);
    rejects(() => validateFqdn('pc..amt.test'), 'fqdn', /invalid label ""/);
    rejects(() => validateFqdn(`${'a'.repeat(64)}.amt.test`), 'fqdn', /invalid label/);
    rejects(() => validateFqdn(`${'a.'.repeat(127)}test`), 'fqdn', /253/);
    rejects(() => validateFqdn(''), 'fqdn', /required/);
  });
});

describe('password', () => {
  test('accepts 1-256 characters and never echoes a rejected one', () => {
    assert.equal(validatePassword('x'), 'x');
    assert.equal(validatePassword('p'.repeat(256)), 'p'.repeat(256));
    rejects(() => validatePassword(''), 'password', /required/);
    const long = `secret-${'q'.repeat(300)}`;
    assert.throws(() => validatePassword(long), (err: Error) => !err.message.includes('secret-'));
    rejects(() => validatePassword('a\0b'), 'password', /NUL/);
  });
});

describe('DNs and the OU', () => {
  test('splits at unescaped commas, normalises case and spacing, finds the parent', () => {
    assert.deepEqual(splitDn('CN=Smith\\, John,OU=People, DC=amt,DC=test'), ['CN=Smith\\, John', 'OU=People', 'DC=amt', 'DC=test']);
    assert.equal(normalizeDn('OU=AMT , DC=Amt,dc = TEST'), 'ou=amt,dc=amt,dc=test');
    assert.equal(parentDn('CN=PC1,OU=AMT,DC=amt,DC=test'), 'OU=AMT,DC=amt,DC=test');
  });
  test('accepts an OU or container inside the base DN', () => {
    assert.equal(validateOu('OU=AMT Devices,OU=Sites, DC=amt,DC=test', 'DC=amt,DC=test'), 'OU=AMT Devices,OU=Sites,DC=amt,DC=test');
    assert.equal(validateOu('CN=Computers,DC=AMT,DC=TEST', 'DC=amt,DC=test'), 'CN=Computers,DC=AMT,DC=TEST');
  });
  test('rejects malformed DNs, non-OU leaves and DNs outside the base', () => {
    rejects(() => validateOu('', 'DC=amt,DC=test'), 'ou', /required/);
    rejects(() => validateOu('AMT', 'DC=amt,DC=test'), 'ou', /not a valid DN/);
    rejects(() => validateOu('OU=AMT,,DC=test', 'DC=amt,DC=test'), 'ou', /not a valid DN/);
    rejects(() => validateOu('DC=amt,DC=test', 'DC=amt,DC=test'), 'ou', /must name an OU/);
    rejects(() => validateOu('OU=AMT,DC=other,DC=test', 'DC=amt,DC=test'), 'ou', /not inside the base DN/);
    rejects(() => validateOu('OU=AMT,DC=xamt,DC=test', 'DC=amt,DC=test'), 'ou', /not inside the base DN/);
  });
});

describe('encryption types', () => {
  test('allows combinations of RC4 (4), AES128 (8), AES256 (16) only', () => {
    for (const ok of [4, 8, 16, 24, 28]) assert.equal(validateEncryptionTypes(ok), ok);
    for (const bad of [0, 1, 2, 3, 32, 25, -8, 1.5]) rejects(() => validateEncryptionTypes(bad), 'supportedEncryptionTypes');
  });
});

describe('directory settings', () => {
  const good = { url: 'ldaps://dc1.amt.test:636', bindDn: 'CN=svc,DC=amt,DC=test', bindPassword: 'pw-never-shown', baseDn: 'DC=amt, DC=test' };
  test('accepts ldaps and normalises the base DN', () => {
    assert.equal(validateSettings(good).baseDn, 'DC=amt,DC=test');
  });
  test('rejects plain ldap, paths, missing credentials and bad timeouts, without echoing the password', () => {
    rejects(() => validateSettings({ ...good, url: 'ldap://dc1.amt.test' }), 'settings.url', /ldaps/);
    rejects(() => validateSettings({ ...good, url: 'dc1.amt.test' }), 'settings.url', /not a URL/);
    rejects(() => validateSettings({ ...good, url: 'ldaps://dc1/DC=amt' }), 'settings.url', /host\[:port\] only/);
    rejects(() => validateSettings({ ...good, bindDn: ' ' }), 'settings.bindDn');
    rejects(() => validateSettings({ ...good, bindPassword: '' }), 'settings.bindPassword');
    rejects(() => validateSettings({ ...good, baseDn: 'amt.test' }), 'settings.baseDn');
    rejects(() => validateSettings({ ...good, timeoutMs: 0 }), 'settings.timeoutMs');
    assert.throws(() => validateSettings({ ...good, url: 'ldap://x' }), (err: Error) => !err.message.includes('pw-never-shown'));
  });
});
