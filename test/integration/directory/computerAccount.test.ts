// ensureComputerAccount against the real Samba AD DC. Every assertion reads the directory
// back as the administrator with raw LDAP, independent of the module under test.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { Attribute, Change } from 'ldapts';
import { DirectoryClient, DirectoryError, type DirectorySettings } from '../../../src/directory';
import { freePort } from '../../../src/net/ports';
import { useTestDirectory, withAdminClient, type TestDirectoryFacts } from '../../support/ad';

const ad = useTestDirectory();

function uniqueName(): string {
  return `C${randomBytes(5).toString('hex').toUpperCase()}`;
}

function password(): string {
  return `Pw-${randomBytes(12).toString('base64url')}`;
}

interface RawAccount {
  dn: string;
  spns: string[];
  uac: string;
  encTypes: string;
  kvno: number;
  dnsHostName: string;
}

/** Every object whose sAMAccountName is NAME$, read as the administrator. */
async function rawAccounts(facts: TestDirectoryFacts, name: string): Promise<RawAccount[]> {
  return withAdminClient(facts, async (client) => {
    const { searchEntries } = await client.search(facts.baseDn, {
      filter: `(sAMAccountName=${name}$)`,
      attributes: ['servicePrincipalName', 'userAccountControl', 'msDS-SupportedEncryptionTypes', 'msDS-KeyVersionNumber', 'dNSHostName'],
    });
    return searchEntries.map((e) => ({
      dn: e.dn,
      spns: ([] as string[]).concat(e.servicePrincipalName as string[] | string ?? []),
      uac: String(e.userAccountControl),
      encTypes: String(e['msDS-SupportedEncryptionTypes']),
      kvno: Number(e['msDS-KeyVersionNumber']),
      dnsHostName: String(e.dNSHostName),
    }));
  });
}

function expectedSpns(name: string, fqdn: string): string[] {
  return [`HTTP/${fqdn}:16992`, `HTTP/${fqdn}:16993`, `HTTP/${name}:16992`, `HTTP/${name}:16993`].sort();
}

async function rejectsWith(promise: Promise<unknown>, type: string): Promise<DirectoryError> {
  let caught: unknown;
  await promise.then(() => assert.fail(`expected ${type}, but it succeeded`), (err: unknown) => { caught = err; });
  assert.ok(caught instanceof DirectoryError, `expected DirectoryError, got ${String(caught)}`);
  assert.equal(caught.type, type, caught.message);
  return caught;
}

describe('ensureComputerAccount', () => {
  test('creates the account with exactly the four SPNs, UAC 4096 and AES encryption types', async (t) => {
    const facts = ad.facts();
    const ou = await ad.uniqueOu(t, 'create');
    const name = uniqueName();
    const fqdn = `${name.toLowerCase()}.amt.test`;
    const result = await new DirectoryClient(facts).ensureComputerAccount({ ou, netbiosName: name, fqdn, password: password() });

    const [account, ...others] = await rawAccounts(facts, name);
    assert.equal(others.length, 0);
    assert.ok(account);
    assert.equal(account.dn, `CN=${name},${ou}`);
    assert.deepEqual(account.spns.sort(), expectedSpns(name, fqdn));
    assert.equal(account.uac, '4096');
    assert.equal(account.encTypes, '24');
    assert.equal(account.dnsHostName, fqdn);
    assert.equal(result.created, true);
    assert.equal(result.dn, account.dn);
    assert.equal(result.keyVersion, account.kvno);
    assert.match(result.objectSid, /^S-1-5-21-\d+-\d+-\d+-\d+$/);
    assert.deepEqual([...result.spns].sort(), expectedSpns(name, fqdn));
  });

  test('a second call updates in place: one object, new host name and SPNs, password change bumps the key version', async (t) => {
    const facts = ad.facts();
    const ou = await ad.uniqueOu(t, 'update');
    const name = uniqueName();
    const client = new DirectoryClient(facts);
    const first = await client.ensureComputerAccount({ ou, netbiosName: name, fqdn: `${name}.amt.test`, password: password() });
    const newFqdn = `${name.toLowerCase()}.site2.amt.test`;
    const second = await client.ensureComputerAccount({ ou, netbiosName: name.toLowerCase(), fqdn: newFqdn, password: password() });

    const accounts = await rawAccounts(facts, name);
    assert.equal(accounts.length, 1);
    assert.equal(accounts[0]?.dn, first.dn);
    assert.deepEqual(accounts[0]?.spns.sort(), expectedSpns(name, newFqdn));
    assert.equal(accounts[0]?.dnsHostName, newFqdn);
    assert.equal(second.created, false);
    assert.equal(second.objectSid, first.objectSid);
    assert.equal(second.keyVersion, first.keyVersion + 1);
    assert.equal(accounts[0]?.kvno, second.keyVersion);
    assert.deepEqual(second.changed.sort(), ['dNSHostName', 'servicePrincipalName', 'unicodePwd']);
  });

  test('repairs a disabled account with a stray SPN and wrong encryption types', async (t) => {
    const facts = ad.facts();
    const ou = await ad.uniqueOu(t, 'repair');
    const name = uniqueName();
    const fqdn = `${name.toLowerCase()}.amt.test`;
    const client = new DirectoryClient(facts);
    const { dn } = await client.ensureComputerAccount({ ou, netbiosName: name, fqdn, password: password() });
    await withAdminClient(facts, (admin) => admin.modify(dn, [
      new Change({ operation: 'replace', modification: new Attribute({ type: 'userAccountControl', values: ['4098'] }) }),
      new Change({ operation: 'add', modification: new Attribute({ type: 'servicePrincipalName', values: [`HOST/${fqdn}`] }) }),
      new Change({ operation: 'replace', modification: new Attribute({ type: 'msDS-SupportedEncryptionTypes', values: ['4'] }) }),
    ]));
    const repaired = await client.ensureComputerAccount({ ou, netbiosName: name, fqdn, password: password() });
    const [account] = await rawAccounts(facts, name);
    assert.equal(account?.uac, '4096');
    assert.equal(account?.encTypes, '24');
    assert.deepEqual(account?.spns.sort(), expectedSpns(name, fqdn));
    assert.deepEqual(repaired.changed.sort(), ['msDS-SupportedEncryptionTypes', 'servicePrincipalName', 'unicodePwd', 'userAccountControl']);
  });

  test('an SPN already on another object: SpnConflict naming that object, and nothing is created', async (t) => {
    const facts = ad.facts();
    const ou = await ad.uniqueOu(t, 'spn');
    const name = uniqueName();
    const fqdn = `${name.toLowerCase()}.amt.test`;
    const holderDn = `CN=H${name.slice(1)},${ou}`;
    await withAdminClient(facts, (admin) => admin.add(holderDn, {
      objectClass: ['top', 'person', 'organizationalPerson', 'user', 'computer'], sAMAccountName: `H${name.slice(1)}$`,
      userAccountControl: '4096', servicePrincipalName: `http/${fqdn.toUpperCase()}:16993`,
    }));
    const err = await rejectsWith(new DirectoryClient(facts).ensureComputerAccount({ ou, netbiosName: name, fqdn, password: password() }), 'SpnConflict');
    assert.equal(err.retryable, false);
    assert.equal(err.conflictingDn, holderDn);
    assert.match(err.message, new RegExp(`HTTP/${fqdn}:16993`));
    assert.deepEqual(await rawAccounts(facts, name), []);
  });

  test('a wrong bind password: DirectoryCredentialsRejected, not retryable, password not in the message', async () => {
    const facts = ad.facts();
    const wrong = `Wrong-${randomBytes(8).toString('hex')}`;
    const name = uniqueName();
    const err = await rejectsWith(new DirectoryClient({ ...facts, bindPassword: wrong })
      .ensureComputerAccount({ ou: `OU=whatever,${facts.baseDn}`, netbiosName: name, fqdn: `${name}.amt.test`, password: 'Account-Pw-1' }),
    'DirectoryCredentialsRejected');
    assert.equal(err.retryable, false);
    assert.ok(!err.message.includes(wrong) && !err.message.includes('Account-Pw-1'), err.message);
  });

  test('a missing OU: OuNotFound, nothing created', async () => {
    const facts = ad.facts();
    const name = uniqueName();
    const ou = `OU=missing-${randomBytes(4).toString('hex')},${facts.baseDn}`;
    const err = await rejectsWith(new DirectoryClient(facts).ensureComputerAccount({ ou, netbiosName: name, fqdn: `${name}.amt.test`, password: password() }), 'OuNotFound');
    assert.equal(err.retryable, false);
    assert.match(err.message, new RegExp(ou));
    assert.deepEqual(await rawAccounts(facts, name), []);
  });

  test('an account of the same name outside the OU: AccountOutsideOu, left untouched', async (t) => {
    const facts = ad.facts();
    const [ou, other] = [await ad.uniqueOu(t, 'mine'), await ad.uniqueOu(t, 'other')];
    const name = uniqueName();
    const fqdn = `${name.toLowerCase()}.amt.test`;
    const client = new DirectoryClient(facts);
    const elsewhere = await client.ensureComputerAccount({ ou: other, netbiosName: name, fqdn, password: password() });
    const err = await rejectsWith(client.ensureComputerAccount({ ou, netbiosName: name, fqdn, password: password() }), 'AccountOutsideOu');
    assert.equal(err.conflictingDn, elsewhere.dn);
    const accounts = await rawAccounts(facts, name);
    assert.deepEqual(accounts.map((a) => [a.dn, a.kvno]), [[elsewhere.dn, elsewhere.keyVersion]]);
  });

  test('invalid input is refused before connecting, naming the field', async () => {
    const facts = ad.facts();
    const client = new DirectoryClient(facts);
    const ou = `OU=x,${facts.baseDn}`;
    for (const [spec, field] of [
      [{ ou, netbiosName: 'TOO-LONG-NAME-123', fqdn: 'a.amt.test', password: 'p' }, 'netbiosName'],
      [{ ou, netbiosName: 'PC1', fqdn: 'pc1', password: 'p' }, 'fqdn'],
      [{ ou: 'OU=x,DC=elsewhere', netbiosName: 'PC1', fqdn: 'pc1.amt.test', password: 'p' }, 'ou'],
      [{ ou, netbiosName: 'PC1', fqdn: 'pc1.amt.test', password: '' }, 'password'],
    ] as const) {
      const err = await rejectsWith(client.ensureComputerAccount(spec), 'DirectoryInputInvalid');
      assert.equal(err.field, field);
    }
  });
});

describe('find and delete', () => {
  test('find returns the account; delete removes it; deleting again reports nothing deleted', async (t) => {
    const facts = ad.facts();
    const ou = await ad.uniqueOu(t, 'delete');
    const name = uniqueName();
    const client = new DirectoryClient(facts);
    const created = await client.ensureComputerAccount({ ou, netbiosName: name, fqdn: `${name}.amt.test`, password: password() });
    assert.equal((await client.findComputerAccount(name))?.dn, created.dn);
    assert.deepEqual(await client.deleteComputerAccount({ ou, netbiosName: name }), { deleted: true, dn: created.dn });
    assert.deepEqual(await rawAccounts(facts, name), []);
    assert.equal(await client.findComputerAccount(name), undefined);
    assert.deepEqual(await client.deleteComputerAccount({ ou, netbiosName: name }), { deleted: false });
  });
});

describe('connection failures', () => {
  test('nothing listening: DirectoryUnavailable, retryable', async () => {
    const facts = ad.facts();
    const settings: DirectorySettings = { ...facts, url: `ldaps://127.0.0.1:${await freePort('127.0.0.1')}` };
    const err = await rejectsWith(new DirectoryClient(settings).verifyBind(), 'DirectoryUnavailable');
    assert.equal(err.retryable, true);
  });

  test('server certificate not from the configured CA: DirectoryCertificateRejected', async () => {
    const facts = ad.facts();
    const { caCertPem: _ignored, ...withoutCa } = facts;
    const err = await rejectsWith(new DirectoryClient(withoutCa).verifyBind(), 'DirectoryCertificateRejected');
    assert.equal(err.retryable, false);
  });

  test('server certificate for another name: DirectoryCertificateRejected', async () => {
    const facts = ad.facts();
    await rejectsWith(new DirectoryClient({ ...facts, tlsServerName: 'not-the-dc.amt.test' }).verifyBind(), 'DirectoryCertificateRejected');
  });
});
