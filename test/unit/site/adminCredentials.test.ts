import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { openSqliteDb } from '../../../src/site/sqliteDb';
import { SettingsStore, SecretValue } from '../../../src/site/settings';
import { SiteStore } from '../../../src/site/store';
import { countRows } from '../../support/storeRows';

function memoryStore(): SiteStore {
  return new SiteStore(openSqliteDb(':memory:'), { activeId: 'k1', keys: new Map([['k1', randomBytes(32)]]) });
}

async function addComputer(store: SiteStore) {
  return await store.computers.add({ uuid: '11111111-2222-3333-4444-555555555555', netbiosName: 'PC1', fqdn: 'pc1.amt.test' });
}

async function withDigestAccounts(settings: SettingsStore, passwords: string[]) {
  await settings.apply({ digestAccounts: passwords.map((p, i) => ({ username: `acct${i}`, password: new SecretValue('digest-account-password', p) })) });
}

void describe('admin password staging and credential candidates', () => {
  void it('orders candidates: current, pending (newest first), imported, MEBx, site Digest accounts in position order', async () => {
    const store = memoryStore();
    const pc = await addComputer(store);
    await withDigestAccounts(store.settings, ['First!Acct1', 'Second!Acct2']);
    await store.computers.setSecret(pc.id, 'imported-admin-password', 'Imported!Pw1');
    await store.computers.setSecret(pc.id, 'mebx-password', 'Mebx!Pass1');
    const p1 = await store.credentials.stagePendingAdminPassword(pc.id, 'Pending!One1');
    await store.credentials.promotePendingAdminPassword(pc.id, p1);
    await store.credentials.stagePendingAdminPassword(pc.id, 'Pending!Two2');
    await store.credentials.stagePendingAdminPassword(pc.id, 'Pending!Three3');

    const candidates = await store.credentials.credentialCandidates(pc.id);
    assert.deepEqual(await Promise.all(candidates.map(async (c) => [c.source, c.username, await store.vault.getSecret(c.passwordRef)])), [
      ['admin-current', 'admin', 'Pending!One1'],
      ['admin-pending', 'admin', 'Pending!Three3'],
      ['admin-pending', 'admin', 'Pending!Two2'],
      ['admin-imported', 'admin', 'Imported!Pw1'],
      ['admin-mebx', 'admin', 'Mebx!Pass1'],
      ['digest-account', 'acct0', 'First!Acct1'],
      ['digest-account', 'acct1', 'Second!Acct2'],
    ]);
    assert.equal(new Set(candidates.map((c) => c.id)).size, candidates.length, 'candidate ids are unique');
  });

  void it('staging again keeps the earlier pending password; promoting one drops the others and the old current', async () => {
    const store = memoryStore();
    const pc = await addComputer(store);
    const first = await store.credentials.stagePendingAdminPassword(pc.id, 'Attempt!One1');
    const second = await store.credentials.stagePendingAdminPassword(pc.id, 'Attempt!Two2');
    assert.deepEqual((await store.credentials.pendingAdminPasswords(pc.id)).map((p) => p.passwordRef), [second, first]);

    // The device turned out to hold the first one (the second attempt never reached it).
    assert.equal(await store.credentials.promotePendingAdminPassword(pc.id, first), first);
    assert.equal((await store.computers.get(pc.id)).secretRefs.adminPassword, first);
    assert.deepEqual(await store.credentials.pendingAdminPasswords(pc.id), []);
    assert.equal(await store.vault.hasSecret(second), false, 'the unconfirmed password is deleted');

    const third = await store.credentials.stagePendingAdminPassword(pc.id, 'Attempt!Three3');
    assert.equal(await store.credentials.promotePendingAdminPassword(pc.id), third, 'default: newest pending');
    assert.equal(await store.vault.hasSecret(first), false, 'the superseded current password is deleted');
    assert.equal(await store.vault.getSecret((await store.computers.get(pc.id)).secretRefs.adminPassword!), 'Attempt!Three3');
  });

  void it('promote is idempotent for the current password and refuses strangers', async () => {
    const store = memoryStore();
    const pc = await addComputer(store);
    await assert.rejects(async () => await store.credentials.promotePendingAdminPassword(pc.id), /no pending admin password/);
    const ref = await store.credentials.stagePendingAdminPassword(pc.id, 'Only!One1');
    await store.credentials.promotePendingAdminPassword(pc.id);
    assert.equal(await store.credentials.promotePendingAdminPassword(pc.id, ref), ref);
    await assert.rejects(async () => await store.credentials.promotePendingAdminPassword(pc.id, 'vault:00000000-0000-4000-8000-000000000000'), /neither a pending nor the current/);
    assert.equal((await store.computers.get(pc.id)).secretRefs.adminPassword, ref);
  });

  void it('staging for an unknown computer writes nothing', async () => {
    const store = memoryStore();
    await assert.rejects(async () => await store.credentials.stagePendingAdminPassword(42, 'Nobody!Home1'), /no computer with id 42/);
    assert.equal(await countRows(store, 'secrets'), 0);
  });
});

void describe('audit detail guard', () => {
  void it('refuses detail keys that name a secret, accepts others', async () => {
    const store = memoryStore();
    for (const key of ['password', 'adminPassword', 'mebx_password', 'wifiPassphrase', 'deviceOtp', 'privateKey', 'clientSecret']) {
      await assert.rejects(async () => await store.audit.recordAudit({ actor: 'test', action: 'x', outcome: 'info', detail: { [key]: 'v' } }), /looks like a secret/, key);
    }
    await store.audit.recordAudit({ actor: 'test', action: 'x', outcome: 'info', detail: { keyVersion: 2, footprint: 'a', passed: true } });
    assert.equal((await store.audit.recent()).length, 1);
  });
});
