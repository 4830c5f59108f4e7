// The site store on a real SQLite file: secrets never at rest in plaintext, the audit log
// is append-only even for raw SQL, a staged admin password survives a killed process, the
// master key file is created 0600, and the schema is versioned.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { runSettingsCommand } from '../../../src/cli/settings';
import { importComputers } from '../../../src/site/importComputers';
import { parseConfigMgrImport } from '../../../src/site/configMgrCsv';
import { openSqliteDb, type SqliteDb } from '../../../src/site/sqliteDb';
import { MIGRATIONS } from '../../../src/site/schema';
import { captureIo, siteFixture } from './helpers';

const fixture = siteFixture('store');
void after(() => fixture.cleanup());

const UUID = 'bbbbbbbb-0000-4000-8000-000000000001';
const SECRETS = {
  mebx: 'Mebx!AtRest1',
  imported: 'Import!AtRest2',
  pending: 'Pending!AtRest3',
  ad: 'AdAccount!AtRest4',
  digest: 'Digest!AtRest5',
  bind: 'bind-at-rest-6',
  wifi: 'wifi passphrase at rest 7',
};

/** Every byte the store left on disk: the database, its WAL and shared-memory files. */
function storeFilesBytes(): Buffer {
  return Buffer.concat(readdirSync(fixture.dir).filter((f) => f.startsWith('site.sqlite')).map((f) => readFileSync(path.join(fixture.dir, f))));
}

void describe('site store on disk', () => {
  void it('creates the master key file 0600 and records the schema version', async () => {
    const store = await fixture.open();
    try {
      assert.equal(await store.db.schemaVersion(), MIGRATIONS.at(-1)!.version);
      const raw = (store.db as SqliteDb).raw;
      assert.equal(raw.pragma('journal_mode', { simple: true }), 'wal');
      assert.equal(raw.pragma('foreign_keys', { simple: true }), 1);
    } finally {
      await store.close();
    }
    assert.equal(statSync(path.join(fixture.dir, 'keys', 'master.key')).mode & 0o777, 0o600);
  });

  void it('refuses a database from a newer version of the program', async () => {
    const file = path.join(fixture.dir, 'future.sqlite');
    await openSqliteDb(file).close();
    const raw = new Database(file);
    raw.prepare("INSERT INTO schema_migrations (version, description, applied_at) VALUES (999, 'future', 'now')").run();
    raw.close();
    assert.throws(() => openSqliteDb(file), /schema version 999 is newer than this program knows/);
  });

  void it('keeps no secret in plaintext (or base64) in the SQLite files, open or closed', async () => {
    const store = await fixture.open();
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    const parsed = parseConfigMgrImport(`PC1,pc1.amt.test,${UUID},,${b64(SECRETS.mebx)},${b64(SECRETS.imported)}\n`);
    await importComputers(store, parsed.rows, 'test');
    const pc = (await store.computers.findByUuid(UUID))!;
    await store.credentials.stagePendingAdminPassword(pc.id, SECRETS.pending);
    await store.computers.setSecret(pc.id, 'ad-account-password', SECRETS.ad);
    writeFileSync(path.join(fixture.dir, 'digest.pw'), SECRETS.digest);
    writeFileSync(path.join(fixture.dir, 'settings.yaml'), `
directory: { url: ldaps://dc1.amt.test, bindDn: CN=p, bindPassword: { passwordEnv: STORE_TEST_BIND }, computerOu: OU=AMT, kerberosRealm: AMT.TEST }
digestAccounts: [{ username: admin, password: { passwordFile: digest.pw } }]
amt:
  wireless: [{ profileName: office, ssid: Office, authentication: WPA2-PSK, passphrase: { passwordEnv: STORE_TEST_WIFI } }]
`);
    process.env.STORE_TEST_BIND = SECRETS.bind;
    process.env.STORE_TEST_WIFI = SECRETS.wifi;
    const io = captureIo();
    assert.equal(await runSettingsCommand(['apply', path.join(fixture.dir, 'settings.yaml'), '--db', fixture.db], io), 0, io.stderr.join('\n'));

    const check = (when: string) => {
      const bytes = storeFilesBytes();
      assert.ok(bytes.includes(Buffer.from('pc1.amt.test')), 'the files read are the ones the store writes');
      for (const [name, secret] of Object.entries(SECRETS)) {
        assert.ok(!bytes.includes(Buffer.from(secret)), `${name} password in plaintext on disk (${when})`);
        assert.ok(!bytes.includes(Buffer.from(b64(secret))), `${name} password in base64 on disk (${when})`);
        assert.ok(!bytes.includes(Buffer.from(secret, 'utf16le')), `${name} password in UTF-16 on disk (${when})`);
      }
    };
    // The vault does hold them: the check above is not vacuous.
    assert.equal(await store.vault.getSecret((await store.computers.get(pc.id)).secretRefs.adAccountPassword!), SECRETS.ad);
    check('store open, WAL not checkpointed');
    await store.close();
    check('store closed');
  });

  void it('refuses UPDATE and DELETE on audit rows, even through raw SQL', async () => {
    const store = await fixture.open();
    const id = await store.audit.recordAudit({ actor: 'worker', action: 'provisioning.report', computerUuid: UUID, outcome: 'success', detail: { stage: 'report' } });
    await store.close();
    const raw = new Database(fixture.db);
    try {
      assert.throws(() => raw.prepare("UPDATE audit_log SET outcome = 'failure' WHERE id = ?").run(id), /append-only/);
      assert.throws(() => raw.prepare('DELETE FROM audit_log WHERE id = ?').run(id), /append-only/);
      assert.throws(() => raw.prepare('DELETE FROM audit_log').run(), /append-only/);
      const row = raw.prepare('SELECT outcome, actor FROM audit_log WHERE id = ?').get(id);
      assert.deepEqual(row, { outcome: 'success', actor: 'worker' });
    } finally {
      raw.close();
    }
    const again = await fixture.open();
    try {
      assert.deepEqual((await again.audit.forComputer(UUID)).map((a) => a.action), ['computer.import', 'provisioning.report']);
    } finally {
      await again.close();
    }
  });

  void it('a pending admin password staged by a process killed before promote is a candidate after reopening', async () => {
    const script = path.join(fixture.dir, 'stage-and-die.ts');
    writeFileSync(script, `
import { openSiteStore } from ${JSON.stringify(path.resolve(__dirname, '../../../src/site/store'))};
void (async () => {
  const store = await openSiteStore({ location: ${JSON.stringify(fixture.db)} });
  const pc = (await store.computers.findByUuid(${JSON.stringify(UUID)}))!;
  await store.credentials.stagePendingAdminPassword(pc.id, 'Crash!Staged1');
  // "Sent to the device", then the worker dies: no promote, no close, no checkpoint.
  process.kill(process.pid, 'SIGKILL');
})();
`);
    const child = spawnSync(process.execPath, ['--import', 'tsx', script], { env: process.env, encoding: 'utf8' });
    assert.equal(child.signal, 'SIGKILL', child.stderr);

    const store = await fixture.open();
    try {
      const pc = (await store.computers.findByUuid(UUID))!;
      const candidates = await store.credentials.credentialCandidates(pc.id);
      assert.deepEqual(candidates.map((c) => c.source), ['admin-pending', 'admin-pending', 'admin-imported', 'admin-mebx', 'digest-account']);
      const values = await Promise.all(candidates.map((c) => store.vault.getSecret(c.passwordRef)));
      assert.deepEqual(values.slice(0, 2), ['Crash!Staged1', SECRETS.pending], 'newest pending first, the earlier one kept');
      // The device confirmed the crashed attempt's password: promote it.
      await store.credentials.promotePendingAdminPassword(pc.id, candidates[0].passwordRef);
      assert.equal(await store.vault.getSecret((await store.computers.get(pc.id)).secretRefs.adminPassword!), 'Crash!Staged1');
    } finally {
      await store.close();
    }
  });

  void it('pins the device certificate on first contact and reports a different one', async () => {
    const store = await fixture.open();
    try {
      const pc = (await store.computers.findByUuid(UUID))!;
      const first = 'ab'.repeat(32);
      const other = 'cd'.repeat(32);
      assert.equal(await store.computers.pinDeviceCertificate(pc.id, `${'AB:'.repeat(31)}AB`), 'pinned', 'colon/upper-case form');
      assert.equal(await store.computers.pinDeviceCertificate(pc.id, first), 'matches');
      assert.equal(await store.computers.pinDeviceCertificate(pc.id, other), 'mismatch');
      assert.equal((await store.computers.get(pc.id)).deviceCertFingerprint, first, 'a mismatch does not move the pin');
      await store.computers.resetDeviceCertificatePin(pc.id);
      assert.equal(await store.computers.pinDeviceCertificate(pc.id, other), 'pinned');
      const failed = await store.computers.setStatus(pc.id, 'Failed', 'all credentials rejected');
      assert.deepEqual([failed.amtStatus, failed.statusReason, failed.provisionedAt], ['Failed', 'all credentials rejected', null]);
      const done = await store.computers.setStatus(pc.id, 'Provisioned');
      assert.deepEqual([done.amtStatus, done.statusReason], ['Provisioned', null]);
      assert.ok(done.provisionedAt);
    } finally {
      await store.close();
    }
  });

  void it('migration 6 rebuilds the computers table in place: rows and references kept, the discovery statuses allowed', async () => {
    const file = path.join(fixture.dir, 'v4.sqlite');
    await openSqliteDb(file, MIGRATIONS.filter((m) => m.version <= 5)).close();
    const raw = new Database(file);
    raw.exec(`INSERT INTO secrets VALUES ('s1', 'admin-password', 'k', x'00', x'00', x'00', 't');
      INSERT INTO computers (uuid, netbios_name, fqdn, amt_status, created_at, updated_at, last_address) VALUES ('${UUID}', 'PC1', 'pc1.amt.test', 'Provisioned', 't', 't', '127.0.0.9');
      INSERT INTO pending_admin_passwords (computer_id, password_ref, staged_at) VALUES (1, 's1', 't');`);
    assert.throws(() => raw.prepare("UPDATE computers SET amt_status = 'Externally Provisioned'").run(), /CHECK constraint/);
    raw.close();
    const v5 = openSqliteDb(file);
    try {
      assert.equal(await v5.schemaVersion(), 6);
      assert.deepEqual(await v5.all('SELECT uuid, amt_status, last_address, provisioning_held FROM computers'),
        [{ uuid: UUID, amt_status: 'Provisioned', last_address: '127.0.0.9', provisioning_held: 0 }]);
      assert.deepEqual(await v5.all('PRAGMA foreign_key_check'), []);
      // Foreign keys are enforced again, and the pending password references the new table: deleting its computer is refused.
      await assert.rejects(v5.run('DELETE FROM computers'), /FOREIGN KEY/);
      for (const status of ['Not Supported', 'Externally Provisioned']) await v5.run('UPDATE computers SET amt_status = ?', [status]);
      await assert.rejects(v5.run("UPDATE computers SET amt_status = 'Lost'"), /CHECK constraint/);
    } finally {
      await v5.close();
    }
  });
});
