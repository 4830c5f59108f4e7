// The foundation check against the real Samba AD DC: an LDAPS bind as the domain
// administrator (certificate verified against Samba's CA), and a computer object that
// exists after it is added and is gone after it is deleted.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { NoSuchObjectError } from 'ldapts';
import { DirectoryClient } from '../../../src/directory';
import { useTestDirectory, withAdminClient } from '../../support/ad';

const ad = useTestDirectory();

test('LDAPS bind as the administrator succeeds and the rootDSE names the domain', async () => {
  const facts = ad.facts();
  await new DirectoryClient(facts).verifyBind();
  const naming = await withAdminClient(facts, async (client) => {
    const { searchEntries } = await client.search('', { scope: 'base', attributes: ['defaultNamingContext'] });
    return searchEntries[0]?.defaultNamingContext;
  });
  assert.equal(String(naming).toLowerCase(), facts.baseDn.toLowerCase());
});

test('a computer object exists after add and is gone after delete', async (t) => {
  const facts = ad.facts();
  const ou = await ad.uniqueOu(t, 'ldaps');
  const name = `L${randomBytes(4).toString('hex').toUpperCase()}`;
  const dn = `CN=${name},${ou}`;
  const find = (): Promise<string[]> => withAdminClient(facts, async (client) => {
    const { searchEntries } = await client.search(facts.baseDn, { filter: `(sAMAccountName=${name}$)`, attributes: ['1.1'] });
    return searchEntries.map((e) => e.dn);
  });
  await withAdminClient(facts, (client) => client.add(dn, {
    objectClass: ['top', 'person', 'organizationalPerson', 'user', 'computer'], sAMAccountName: `${name}$`, userAccountControl: '4096',
  }));
  assert.deepEqual(await find(), [dn]);
  await withAdminClient(facts, (client) => client.del(dn));
  assert.deepEqual(await find(), []);
  await assert.rejects(withAdminClient(facts, (client) => client.search(dn, { scope: 'base' })), NoSuchObjectError);
});
