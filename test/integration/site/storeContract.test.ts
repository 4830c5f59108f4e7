// One contract for the site store, run against both backends: SQLite (a temp file) and a real
// PostgreSQL started for this file (src/stack/postgres.ts, on 127.0.150.1). Every part's
// behaviour, transactions, and the races between roles: on PostgreSQL the "other role" is a
// second store with its own pool (another host, as far as the database can tell); on SQLite it
// is the same store, because the embedded backend is one connection per process by design.
// PostgreSQL-only: concurrent migration, TLS to the database (verify-full with a CA file).
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { chownSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { createDemoPki } from '../../../src/pki/demoPki';
import { registerDemoPki } from '../../../src/pki/register';
import { recordInBandRequest } from '../../../src/site/api/inBandRequests';
import { issueSiteServerCertificate } from '../../../src/site/api/apiCertificates';
import { inBandRequestSchema } from '../../../src/site/api/schemas';
import { MIGRATIONS } from '../../../src/site/schema';
import { SecretValue } from '../../../src/site/settings';
import { openSiteStore, type SiteStore } from '../../../src/site/store';
import { startPostgres, type RunningPostgres } from '../../../src/stack/postgres';
import { countRows } from '../../support/storeRows';

const PG_HOST = '127.0.150.1';
const keyRing = { activeId: 'k1', keys: new Map([['k1', randomBytes(32)]]) };
const pki = createDemoPki({ domain: 'amt.test' });

interface Backend {
  name: string;
  /** A fresh, empty store location. */
  fresh(): Promise<string>;
  /** The store another role would use: its own connections where the backend allows. */
  peer(location: string, own: SiteStore): Promise<SiteStore>;
}

const newComputer = (n: number) => ({ uuid: randomUUID(), netbiosName: `PC${n}`, fqdn: `pc${n}.amt.test` });

function storeContract(backend: () => Backend): void {
  let location: string;
  let store: SiteStore;
  let other: SiteStore;
  const open = () => openSiteStore({ location, keyRing });

  void before(async () => {
    location = await backend().fresh();
    store = await open();
    other = await backend().peer(location, store);
  });
  void after(async () => {
    if (other !== store) await other?.close();
    await store?.close();
  });

  void it('migrates to the latest schema once; reopening changes nothing', async () => {
    assert.equal(await store.db.schemaVersion(), MIGRATIONS.at(-1)!.version);
    const again = await open();
    try {
      assert.equal(await countRows(again, 'schema_migrations'), MIGRATIONS.length);
    } finally {
      await again.close();
    }
  });

  void it('vault: seals by reference, names its purpose, refuses a relabelled row, deletes', async () => {
    const ref = await store.vault.putSecret('wifi-passphrase', 'office wifi key ü');
    assert.equal(await store.vault.getSecret(ref), 'office wifi key ü');
    assert.equal(await store.vault.purposeOf(ref), 'wifi-passphrase');
    const row = await store.db.get<{ ciphertext: Buffer }>('SELECT ciphertext FROM secrets WHERE ref = ?', [ref]);
    assert.ok(Buffer.isBuffer(row!.ciphertext) && !row!.ciphertext.includes(Buffer.from('office')));
    await store.db.run("UPDATE secrets SET purpose = 'admin-password' WHERE ref = ?", [ref]);
    await assert.rejects(store.vault.getSecret(ref), /failed authentication/);
    await store.vault.deleteSecret(ref);
    assert.equal(await store.vault.hasSecret(ref), false);
    await assert.rejects(store.vault.getSecret(ref), /no secret vault:/);
  });

  void it('computers: add, find in any spelling, list by name, identity and status changes', async () => {
    const b = await store.computers.add({ ...newComputer(102), netbiosName: 'Bravo' });
    const a = await store.computers.add({ ...newComputer(101), netbiosName: 'alpha', mac: '00:11:22:33:44:55' });
    assert.equal((await store.computers.findByUuid(`{${a.uuid.toUpperCase()}}`))?.id, a.id);
    assert.equal((await store.computers.findByName('ALPHA'))?.id, a.id);
    assert.equal((await store.computers.findByFqdn('PC101.AMT.TEST'))?.id, a.id);
    const names = (await store.computers.list()).map((c) => c.netbiosName);
    assert.ok(names.indexOf('Bravo') < names.indexOf('alpha'), 'byte order, as SQLite sorts: upper case first');
    await assert.rejects(store.computers.add({ ...newComputer(103), netbiosName: 'ALPHA' }), /unique|UNIQUE/);
    const renamed = await store.computers.updateIdentity(a.id, { fqdn: 'alpha.amt.test' });
    assert.deepEqual([renamed.netbiosName, renamed.fqdn, renamed.mac], ['alpha', 'alpha.amt.test', '00:11:22:33:44:55']);
    const provisioned = await store.computers.setStatus(b.id, 'Provisioned');
    assert.ok(provisioned.provisionedAt && !Number.isNaN(Date.parse(provisioned.provisionedAt)));
    const failed = await store.computers.setStatus(b.id, 'Failed', 'DeviceUnreachable');
    assert.deepEqual([failed.amtStatus, failed.statusReason, failed.provisionedAt], ['Failed', 'DeviceUnreachable', provisioned.provisionedAt]);
    const facts = await store.computers.setDeviceFacts(b.id, { inBandManaged: true, firmwareVersion: '16.1.27', trustedRootHashes: ['ab'] });
    assert.deepEqual([facts.inBandManaged, facts.firmwareVersion, facts.trustedRootHashes, facts.provisioningMode], [true, '16.1.27', ['ab'], null]);
    await assert.rejects(store.computers.get(999_999), (err: Error) => err.name === 'ComputerNotFoundError');
    await assert.rejects(store.computers.setStatus(999_999, 'Failed'), (err: Error) => err.name === 'ComputerNotFoundError');
  });

  void it('computers: a replaced per-computer secret is deleted from the vault', async () => {
    const pc = await store.computers.add(newComputer(110));
    const secrets = await countRows(store, 'secrets');
    const first = await store.computers.setSecret(pc.id, 'mebx-password', 'Mebx!First1');
    const second = await store.computers.setSecret(pc.id, 'mebx-password', 'Mebx!Second2');
    assert.equal(await store.vault.hasSecret(first), false);
    assert.equal(await store.vault.getSecret((await store.computers.get(pc.id)).secretRefs.mebxPassword!), 'Mebx!Second2');
    assert.equal(second, (await store.computers.get(pc.id)).secretRefs.mebxPassword);
    assert.equal(await countRows(store, 'secrets'), secrets + 1);
  });

  void it('a throw inside a transaction writes nothing, savepoints included', async () => {
    const computers = await countRows(store, 'computers');
    const secrets = await countRows(store, 'secrets');
    await assert.rejects(store.transaction(async (tx) => {
      const pc = await tx.computers.add(newComputer(120));
      await tx.computers.setSecret(pc.id, 'mebx-password', 'Rolled!Back1');
      throw new Error('changed my mind');
    }), /changed my mind/);
    assert.deepEqual([await countRows(store, 'computers'), await countRows(store, 'secrets')], [computers, secrets]);
  });

  void it('credentials: pending passwords stay until promoted; candidates in their order', async () => {
    const pc = await store.computers.add(newComputer(130));
    await store.computers.setSecret(pc.id, 'mebx-password', 'Mebx!Cand1');
    await store.settings.apply({ digestAccounts: [{ username: 'acct0', password: new SecretValue('digest-account-password', 'Digest!Acct0') }] });
    const first = await store.credentials.stagePendingAdminPassword(pc.id, 'Attempt!One1');
    const second = await store.credentials.stagePendingAdminPassword(pc.id, 'Attempt!Two2');
    assert.deepEqual((await store.credentials.credentialCandidates(pc.id)).map((c) => c.source),
      ['admin-pending', 'admin-pending', 'admin-mebx', 'digest-account']);
    assert.equal(await store.credentials.promotePendingAdminPassword(pc.id, first), first);
    assert.equal(await store.vault.hasSecret(second), false, 'the other pending password is gone');
    assert.equal(await store.credentials.promotePendingAdminPassword(pc.id, first), first, 'promoting the current one again changes nothing');
    const candidates = await store.credentials.credentialCandidates(pc.id);
    assert.deepEqual(candidates.map((c) => c.source), ['admin-current', 'admin-mebx', 'digest-account']);
    assert.equal(await store.vault.getSecret(candidates[0].passwordRef), 'Attempt!One1');
    await assert.rejects(store.credentials.promotePendingAdminPassword(pc.id), /no pending admin password/);
  });

  void it('settings: apply seals secrets, replaces accounts, deletes superseded secrets', async () => {
    const secrets = await countRows(store, 'secrets');
    const applied = await store.settings.apply({
      digestAccounts: [
        { username: 'one', password: new SecretValue('digest-account-password', 'First!Digest1') },
        { username: 'two', password: new SecretValue('digest-account-password', 'Second!Digest2') },
      ],
    });
    assert.deepEqual(applied.digestAccounts.map((a) => a.username), ['one', 'two']);
    const kept = applied.digestAccounts[1];
    const again = await store.settings.apply({ ...applied, digestAccounts: [kept] });
    assert.deepEqual(again.digestAccounts, [kept]);
    assert.equal(await store.vault.getSecret(kept.password), 'Second!Digest2');
    // One account before (the credentials test's), one account now.
    assert.equal(await countRows(store, 'secrets'), secrets);
    await assert.rejects(store.settings.apply({ ...again, digestAccounts: [{ username: 'x', password: 'vault:00000000-0000-4000-8000-000000000000' }] }), /not in the vault/);
  });

  void it('certificates: registered once, matched by root hash; the issuing CA replaced with its old key deleted', async () => {
    const { provisioning, issuingCa } = await registerDemoPki(store, pki, 'contract');
    const again = await store.provisioningCertificates.add({
      chainPem: provisioning.chainPem, keyPem: pki.provisioning.keyPem, subjectCn: provisioning.subjectCn,
      leafSha256: provisioning.leafSha256, rootHashes: provisioning.rootHashes, dnsSuffix: provisioning.dnsSuffix, notAfter: new Date(provisioning.notAfter),
    });
    assert.deepEqual([again.added, again.certificate.id], [false, provisioning.id]);
    assert.ok((await store.provisioningCertificates.trustedRootHashes()).has(provisioning.rootHashes.sha256));
    assert.deepEqual((await store.provisioningCertificates.matchingDevice([provisioning.rootHashes.sha384.toUpperCase()], 'x.amt.test')).map((c) => c.id), [provisioning.id]);
    assert.deepEqual(await store.provisioningCertificates.matchingDevice([provisioning.rootHashes.sha1], 'other.test'), []);
    const replaced = await store.issuingCa.set({ ...pki.issuingCa, subject: 'again', notAfter: new Date(issuingCa.notAfter) });
    assert.equal(await store.vault.hasSecret(issuingCa.keyRef), false);
    assert.equal((await store.issuingCa.loadIssuer()).keyPem, pki.issuingCa.keyPem);
    assert.equal(replaced.subject, 'again');
  });

  void it('audit: appends in order, refuses secret-looking keys, and the table refuses UPDATE and DELETE', async () => {
    const uuid = randomUUID();
    const ids = [];
    for (const action of ['a.one', 'a.two']) ids.push(await store.audit.recordAudit({ actor: 'contract', action, computerUuid: uuid, outcome: 'info', detail: { n: 1 } }));
    assert.ok(ids[1] > ids[0] && Number.isInteger(ids[0]));
    assert.deepEqual((await store.audit.forComputer(uuid)).map((r) => [r.action, r.detail]), [['a.one', { n: 1 }], ['a.two', { n: 1 }]]);
    assert.equal((await store.audit.recent(1))[0].id, ids[1]);
    await assert.rejects(store.audit.recordAudit({ actor: 'contract', action: 'x', outcome: 'info', detail: { adminPassword: 'x' } }), /looks like a secret/);
    await assert.rejects(store.db.run("UPDATE audit_log SET outcome = 'failure' WHERE id = ?", [ids[0]]), /append-only/);
    await assert.rejects(store.db.run('DELETE FROM audit_log WHERE id = ?', [ids[0]]), /append-only/);
  });

  void it('in-band registrations: recorded, replaced (old OTP hash deleted), forgotten', async () => {
    const pc = await store.computers.add(newComputer(140));
    const facts = { hostName: 'pc140', domain: 'amt.test', agentAddress: '127.0.0.9' };
    await store.inBand.record(pc.id, 'AA'.repeat(32), facts);
    const firstRef = (await store.inBand.otpHashRef(pc.id))!;
    await store.inBand.record(pc.id, 'bb'.repeat(32), { ...facts, agentAddress: '127.0.0.10' });
    assert.equal(await store.vault.hasSecret(firstRef), false);
    assert.equal(await store.vault.getSecret((await store.inBand.otpHashRef(pc.id))!), 'bb'.repeat(32));
    assert.equal((await store.inBand.get(pc.id))?.agentAddress, '127.0.0.10');
    await store.inBand.forget(pc.id);
    assert.equal(await store.inBand.get(pc.id), undefined);
  });

  void it('agents: recorded by normalised serial, bound once, revoked', async () => {
    const record = await store.agents.record({ serialNumber: '00ABCDEF', name: 'agent-c', fqdn: 'PC150.amt.test', uuid: null, fingerprintSha256: 'ff', notAfter: new Date('2030-01-01T00:00:00Z') });
    assert.deepEqual([record.serialNumber, record.fqdn, record.notAfter], ['abcdef', 'pc150.amt.test', '2030-01-01T00:00:00.000Z']);
    const uuid = randomUUID();
    await store.agents.bindUuid('ABCDEF', uuid);
    await store.agents.bindUuid('abcdef', randomUUID());
    assert.equal((await store.agents.bySerial('0abcdef'))?.uuid, uuid, 'the first binding stays');
    assert.equal(await store.agents.revoke('agent-c', 'operator:test'), 1);
    assert.equal(await store.agents.revoke('agent-c', 'operator:test'), 0);
    assert.equal((await store.agents.byName('agent-c'))[0].revokedBy, 'operator:test');
  });

  void it('race: two roles promoting different pending passwords of one device; one wins, nothing is orphaned', async () => {
    for (let round = 0; round < 10; round++) {
      const pc = await store.computers.add(newComputer(160 + round * 100));
      const a = await store.credentials.stagePendingAdminPassword(pc.id, 'Race!PendA1');
      const b = await other.credentials.stagePendingAdminPassword(pc.id, 'Race!PendB2');
      const results = await Promise.allSettled([store.credentials.promotePendingAdminPassword(pc.id, a), other.credentials.promotePendingAdminPassword(pc.id, b)]);
      const won = results.filter((r) => r.status === 'fulfilled');
      assert.equal(won.length, 1, `round ${round}: exactly one promotion wins: ${JSON.stringify(results.map((r) => r.status))}`);
      const current = (await store.computers.get(pc.id)).secretRefs.adminPassword;
      assert.equal(current, won[0].value);
      assert.deepEqual(await store.credentials.pendingAdminPasswords(pc.id), []);
      assert.deepEqual([await store.vault.hasSecret(a), await store.vault.hasSecret(b)], [current === a, current === b], 'the losing password is deleted, the winner kept');
    }
  });

  void it('race: the same pending password promoted by two roles at once is promoted once, idempotently', async () => {
    const pc = await store.computers.add(newComputer(161));
    const ref = await store.credentials.stagePendingAdminPassword(pc.id, 'Race!Same1');
    const results = await Promise.all([store.credentials.promotePendingAdminPassword(pc.id, ref), other.credentials.promotePendingAdminPassword(pc.id, ref)]);
    assert.deepEqual(results, [ref, ref]);
    assert.equal(await store.vault.getSecret((await store.computers.get(pc.id)).secretRefs.adminPassword!), 'Race!Same1');
  });

  void it('race: staging while another role promotes never orphans the staged password', async () => {
    for (let round = 0; round < 10; round++) {
      const pc = await store.computers.add(newComputer(200 + round));
      const first = await store.credentials.stagePendingAdminPassword(pc.id, 'Race!Stage1');
      const [, staged] = await Promise.all([store.credentials.promotePendingAdminPassword(pc.id, first), other.credentials.stagePendingAdminPassword(pc.id, 'Race!Stage2')]);
      // Staged first: the promotion deletes it with its secret (the device confirmed another).
      // Promoted first: it stays pending. Never a pending row without its secret, or a secret
      // with no row (a password the device may hold, lost).
      const pending = (await store.credentials.pendingAdminPasswords(pc.id)).map((p) => p.passwordRef);
      assert.equal((await store.computers.get(pc.id)).secretRefs.adminPassword, first);
      assert.equal(await store.vault.hasSecret(staged), pending.includes(staged), `round ${round}: staged password row and secret agree`);
    }
  });

  void it('race: two pins at once; exactly one pins, the other sees a mismatch', async () => {
    const pc = await store.computers.add(newComputer(170));
    const [x, y] = ['aa'.repeat(32), 'bb'.repeat(32)];
    const outcomes = await Promise.all([store.computers.pinDeviceCertificate(pc.id, x), other.computers.pinDeviceCertificate(pc.id, y)]);
    assert.deepEqual([...outcomes].sort(), ['mismatch', 'pinned']);
    const pinned = (await store.computers.get(pc.id)).deviceCertFingerprint;
    assert.equal(pinned, outcomes[0] === 'pinned' ? x : y);
    assert.equal(await other.computers.pinDeviceCertificate(pc.id, pinned.toUpperCase()), 'matches');
  });

  void it('race: two registrations of the same client at once make one registration and leave one OTP hash', async () => {
    const pc = await store.computers.add(newComputer(180));
    const facts = { hostName: 'pc180', domain: 'amt.test', agentAddress: '127.0.0.9' };
    const secrets = await countRows(store, 'secrets');
    await Promise.all([store.inBand.record(pc.id, 'cc'.repeat(32), facts), other.inBand.record(pc.id, 'dd'.repeat(32), facts)]);
    assert.equal(await countRows(store, 'in_band_registrations'), 1);
    assert.equal(await countRows(store, 'secrets'), secrets + 1, 'the replaced OTP hash is deleted');
    assert.match(await store.vault.getSecret((await store.inBand.otpHashRef(pc.id))!), /^(cc|dd)+$/);
  });

  void it('race: one agent asking twice at once for an unknown computer discovers it once', async () => {
    const serial = randomBytes(8).toString('hex');
    const agentRecord = await store.agents.record({ serialNumber: serial, name: 'agent-race', fqdn: 'pcrace.amt.test', uuid: null, fingerprintSha256: 'ee', notAfter: new Date('2030-01-01T00:00:00Z') });
    const agent = { ...agentRecord, address: '127.0.0.9' };
    const body = inBandRequestSchema.parse({ uuid: randomUUID(), otpHash: randomBytes(32).toString('hex'), hostName: 'pcrace', domain: 'amt.test', trustedRootHashes: ['ab'.repeat(32)] });
    const results = await Promise.all([recordInBandRequest(store, body, agent), recordInBandRequest(other, body, agent)]);
    assert.deepEqual(results.map((r) => r.computer.id), [results[0].computer.id, results[0].computer.id]);
    assert.deepEqual(results.map((r) => r.discovered).sort(), [false, true]);
    assert.equal((await store.agents.bySerial(serial))?.uuid, body.uuid);
  });

  void it('race: audit appends from two roles at once keep every record', async () => {
    const uuid = randomUUID();
    const append = (s: SiteStore, role: string) => Promise.all(Array.from({ length: 40 }, (_, i) =>
      s.audit.recordAudit({ actor: role, action: 'race.append', computerUuid: uuid, outcome: 'info', detail: { i } })));
    const [a, b] = await Promise.all([append(store, 'role-a'), append(other, 'role-b')]);
    assert.equal(new Set([...a, ...b]).size, 80);
    const records = await store.audit.forComputer(uuid);
    assert.equal(records.length, 80);
    assert.deepEqual(records.map((r) => r.id), [...a, ...b].sort((x, y) => x - y));
  });
}

void describe('site store contract: SQLite', () => {
  let dir: string;
  void before(() => { dir = mkdtempSync(path.join(os.tmpdir(), 'amtprov-contract-')); });
  void after(() => rmSync(dir, { recursive: true, force: true }));
  let n = 0;
  storeContract(() => ({
    name: 'sqlite',
    fresh: () => Promise.resolve(`sqlite:${path.join(dir, `site-${++n}.sqlite`)}`),
    // One connection per process: another role in this process is this store.
    peer: (_location, own) => Promise.resolve(own),
  }));
});

void describe('site store contract: PostgreSQL', () => {
  let server: RunningPostgres;
  let dir: string;
  let n = 0;
  void before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'amtprov-contract-pg-'));
    server = await startPostgres({ dir, host: PG_HOST });
  });
  void after(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  storeContract(() => ({
    name: 'postgres',
    fresh: () => server.createDatabase(`contract_${++n}`),
    peer: (location) => openSiteStore({ location, keyRing }),
  }));

  void it('roles starting at once on an empty database migrate it once', async () => {
    const location = await server.createDatabase('contract_migrate');
    const stores = await Promise.all(Array.from({ length: 4 }, () => openSiteStore({ location, keyRing })));
    try {
      assert.equal(await countRows(stores[0], 'schema_migrations'), MIGRATIONS.length);
      for (const s of stores) assert.equal(await s.db.schemaVersion(), MIGRATIONS.at(-1)!.version);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  void it('a bad location or pool size is refused by name, without the password', async () => {
    await assert.rejects(openSiteStore({ location: 'mysql://db/site', keyRing }), /neither a postgres:\/\/ URL nor a SQLite path/);
    const wrong = new URL(server.superuserUrl());
    wrong.password = 'Wrong!Secret9';
    await assert.rejects(openSiteStore({ location: wrong.toString(), keyRing }),
      (err: Error) => /password authentication failed/.test(err.message) && !err.message.includes('Wrong!Secret9') && err.message.includes('postgres:***@'));
    process.env.AMTPROV_SITE_DB_POOL = 'lots';
    try {
      await assert.rejects(openSiteStore({ location: server.superuserUrl(), keyRing }), /AMTPROV_SITE_DB_POOL must be a whole number/);
    } finally {
      delete process.env.AMTPROV_SITE_DB_POOL;
    }
  });

  void it('TLS: verify-full against a CA file connects; another CA or another host name is refused', async () => {
    const location = await server.createDatabase('contract_tls');
    const caFile = path.join(dir, 'site-db-ca.pem');
    writeFileSync(caFile, [pki.issuingCa.certPem, ...pki.issuingCa.chainPem].join('\n'));
    const strict = `${location}?sslmode=verify-full&sslrootcert=${encodeURIComponent(caFile)}`;
    await serveCertificate(server, dir, [PG_HOST]);
    await waitForSsl(strict, undefined);
    const tlsStore = await openSiteStore({ location: strict, keyRing });
    try {
      const row = await tlsStore.db.get<{ ssl: boolean }>('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
      assert.equal(row?.ssl, true, 'the session is encrypted');
    } finally {
      await tlsStore.close();
    }
    // The same through AMTPROV_SITE_DB_CA, the URL naming no sslmode.
    process.env.AMTPROV_SITE_DB_CA = caFile;
    try {
      await (await openSiteStore({ location, keyRing })).close();
      const otherCa = path.join(dir, 'other-ca.pem');
      writeFileSync(otherCa, createDemoPki({ domain: 'other.test' }).root.certPem);
      process.env.AMTPROV_SITE_DB_CA = otherCa;
      await assert.rejects(openSiteStore({ location, keyRing }), /site store postgres:.*(self[- ]signed|unable to (get|verify))/i);
      process.env.AMTPROV_SITE_DB_CA = path.join(dir, 'missing.pem');
      await assert.rejects(openSiteStore({ location, keyRing }), /AMTPROV_SITE_DB_CA=.*missing\.pem: cannot read the database CA file \(ENOENT\)/);
      // A certificate from the right CA for another name: verify-full refuses it.
      process.env.AMTPROV_SITE_DB_CA = caFile;
      await serveCertificate(server, dir, ['db.other.test']);
      await waitForSsl(strict, /altnames/);
      await assert.rejects(openSiteStore({ location, keyRing }), /site store postgres:.*altnames/);
    } finally {
      delete process.env.AMTPROV_SITE_DB_CA;
    }
  });
});

/** Gives the server a certificate from the demo issuing CA for `names` and turns TLS on (a reload). */
async function serveCertificate(server: RunningPostgres, dir: string, names: string[]): Promise<void> {
  const credential = issueSiteServerCertificate(pki.issuingCa, names);
  const pgdata = path.join(dir, 'pgdata');
  const owner = process.getuid?.() === 0 ? postgresIds() : undefined;
  for (const [file, text] of [['server.crt', credential.certPem], ['server.key', credential.keyPem]] as const) {
    writeFileSync(path.join(pgdata, file), text, { mode: 0o600 });
    if (owner) chownSync(path.join(pgdata, file), owner.uid, owner.gid);
  }
  const admin = new pg.Client({ connectionString: server.superuserUrl() });
  await admin.connect();
  try {
    await admin.query('ALTER SYSTEM SET ssl = on');
    await admin.query('SELECT pg_reload_conf()');
  } finally {
    await admin.end();
  }
}

function postgresIds(): { uid: number; gid: number } {
  const [, , uid, gid] = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('postgres:'))!.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

/** A reload takes effect asynchronously: wait until a TLS login succeeds (or fails as `failure`). */
async function waitForSsl(url: string, failure: RegExp | undefined): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const probe = new pg.Client({ connectionString: url });
    let outcome: unknown;
    try {
      await probe.connect();
    } catch (err) {
      outcome = err;
    }
    await probe.end().catch(() => undefined);
    const done = failure ? outcome instanceof Error && failure.test(outcome.message) : outcome === undefined;
    if (done) return;
    if (Date.now() > deadline) throw new Error(`the server's TLS did not change in time: ${String(outcome)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
