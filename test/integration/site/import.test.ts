// `amtprov import` against a real SQLite file: all or nothing, re-import updates, conflicts
// with computers outside the file, and the audit trail.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { runImportCommand } from '../../../src/cli/import';
import { captureIo, siteFixture } from './helpers';
import { countRows } from '../../support/storeRows';

const fixture = siteFixture('import');
void after(() => fixture.cleanup());

const b64 = (text: string) => Buffer.from(text).toString('base64');
const UUID = ['aaaaaaaa-0000-4000-8000-000000000001', 'aaaaaaaa-0000-4000-8000-000000000002', 'aaaaaaaa-0000-4000-8000-000000000003'];

function csv(name: string, lines: string[]): string {
  const file = path.join(fixture.dir, name);
  writeFileSync(file, `${lines.join('\r\n')}\r\n`);
  return file;
}

async function importFile(file: string) {
  const io = captureIo();
  const code = await runImportCommand([file, '--db', fixture.db], io);
  return { code, ...io };
}

async function counts() {
  const store = await fixture.open();
  try {
    const count = (table: string) => countRows(store, table);
    return { computers: await count('computers'), secrets: await count('secrets'), audit: await count('audit_log') };
  } finally {
    await store.close();
  }
}

void describe('amtprov import', () => {
  void it('a file with one bad line imports nothing and names that line', async () => {
    const file = csv('one-bad.csv', [
      `PC1,pc1.amt.test,${UUID[0]},00:11:22:33:44:01,${b64('Mebx!Pass1')}`,
      `PC2,pc2.amt.test,${UUID[1]}`,
      `PC3,pc3.amt.test,${UUID[2]},00:11:22:33:44:03,,${b64('no-digits')}`,
    ]);
    const result = await importFile(file);
    assert.equal(result.code, 1);
    assert.match(result.stderr.join('\n'), /^line 3: admin password \(column 6\) does not meet AMT's password rule/m);
    assert.equal(result.stderr.filter((l) => l.startsWith('line ')).length, 1, 'only line 3 is reported');
    assert.deepEqual(result.stdout, []);
    assert.deepEqual(await counts(), { computers: 0, secrets: 0, audit: 0 });
  });

  void it('imports a valid file: computers, vaulted passwords, one audit record each', async () => {
    const result = await importFile(csv('good.csv', [
      'Name,FQDN,SMBIOS GUID,MAC,MEBx,Admin',
      `PC1,pc1.amt.test,{${UUID[0].toUpperCase()}},00-11-22-33-44-01,${b64('Mebx!Pass1')},${b64('Admin!Pass1')}`,
      `PC2,pc2.amt.test,${UUID[1]}`,
    ]));
    assert.equal(result.code, 0, result.stderr.join('\n'));
    assert.deepEqual(result.stdout, ['line 1: header, skipped', 'imported 2, updated 0', 'site store: 2 computers', '  AMT status  Unknown 2', '  mode        none 2']);

    const store = await fixture.open();
    try {
      const pc1 = (await store.computers.findByUuid(UUID[0]))!;
      assert.equal(pc1.netbiosName, 'PC1');
      assert.equal(pc1.fqdn, 'pc1.amt.test');
      assert.equal(pc1.mac, '00:11:22:33:44:01');
      assert.equal(pc1.amtStatus, 'Unknown');
      assert.equal(await store.vault.getSecret(pc1.secretRefs.mebxPassword!), 'Mebx!Pass1');
      assert.equal(await store.vault.getSecret(pc1.secretRefs.importedAdminPassword!), 'Admin!Pass1');
      assert.equal(pc1.secretRefs.adminPassword, null, 'imported is not current until the device confirms it');
      const candidates = await store.credentials.credentialCandidates(pc1.id);
      assert.deepEqual(candidates.map((c) => c.source), ['admin-imported', 'admin-mebx']);

      const audit = await store.audit.forComputer(UUID[0]);
      assert.equal(audit.length, 1);
      assert.equal(audit[0].actor, 'operator:test-operator');
      assert.equal(audit[0].action, 'computer.import');
      assert.deepEqual(audit[0].detail, { result: 'imported', line: 2, netbiosName: 'PC1', fqdn: 'pc1.amt.test', suppliedMebx: true, suppliedAdmin: true });
    } finally {
      await store.close();
    }
  });

  void it('re-import updates by UUID, keeps what a row omits, replaces passwords, and may swap names', async () => {
    const before = await fixture.open();
    const oldMebxRef = (await before.computers.findByUuid(UUID[0]))!.secretRefs.mebxPassword!;
    await before.close();

    const result = await importFile(csv('reimport.csv', [
      `PC2,pc2.amt.test,${UUID[0]},,${b64('Mebx!Pass2')}`,
      `PC1,pc1.amt.test,${UUID[1]},00:11:22:33:44:02`,
      `PC3,pc3.amt.test,${UUID[2]}`,
    ]));
    assert.equal(result.code, 0, result.stderr.join('\n'));
    assert.deepEqual(result.stdout.slice(0, 2), ['imported 1, updated 2', 'site store: 3 computers']);

    const store = await fixture.open();
    try {
      const first = (await store.computers.findByUuid(UUID[0]))!;
      assert.equal(first.netbiosName, 'PC2');
      assert.equal(first.mac, '00:11:22:33:44:01', 'an empty MAC column keeps the stored MAC');
      assert.equal(await store.vault.getSecret(first.secretRefs.mebxPassword!), 'Mebx!Pass2');
      assert.equal(await store.vault.hasSecret(oldMebxRef), false, 'the replaced MEBx password is gone from the vault');
      assert.equal(await store.vault.getSecret(first.secretRefs.importedAdminPassword!), 'Admin!Pass1', 'an omitted password is kept');
      assert.equal((await store.computers.findByUuid(UUID[1]))!.netbiosName, 'PC1');
      assert.equal((await store.computers.list()).length, 3);
      assert.deepEqual((await store.audit.forComputer(UUID[0])).map((a) => a.detail?.result), ['imported', 'updated']);
    } finally {
      await store.close();
    }
  });

  void it('a name or FQDN taken by a computer outside the file changes nothing and names the line', async () => {
    const before = await counts();
    const result = await importFile(csv('conflict.csv', [
      `PC9,pc9.amt.test,aaaaaaaa-0000-4000-8000-000000000009`,
      `PC3,pc3.amt.test,aaaaaaaa-0000-4000-8000-000000000010`,
    ]));
    assert.equal(result.code, 1);
    assert.match(result.stderr.join('\n'), new RegExp(`^line 2: short name PC3 already belongs to computer ${UUID[2]}`, 'm'));
    assert.match(result.stderr.join('\n'), /^line 2: FQDN pc3\.amt\.test already belongs/m);
    assert.deepEqual(await counts(), before);
  });

  void it('usage and unreadable files are errors, not imports', async () => {
    assert.equal((await importFile(path.join(fixture.dir, 'missing.csv'))).code, 1);
    const io = captureIo();
    assert.equal(await runImportCommand([], io), 2);
    assert.equal(await runImportCommand(['--bogus', 'x.csv'], io), 2);
    assert.equal((await importFile(csv('empty.csv', ['']))).code, 1);
  });
});
