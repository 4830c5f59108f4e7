import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import type { KeyRing } from '../../../src/secrets/keyFile';
import { openSqliteDb, type SqliteDb } from '../../../src/site/sqliteDb';
import { SiteStore } from '../../../src/site/store';
import { isSecretRef, Vault, VaultError } from '../../../src/site/vault';

function ring(...ids: string[]): KeyRing {
  return { activeId: ids[0], keys: new Map(ids.map((id) => [id, randomBytes(32)])) };
}

/** The same keys, with `activeId` first: what an operator's rotated key file gives. */
function withActive(keyRing: KeyRing, activeId: string): KeyRing {
  return { activeId, keys: keyRing.keys };
}

function freshDb(): SqliteDb {
  return openSqliteDb(':memory:');
}

/** The vault of a store over `db` with `keyRing`: several rings may share one database. */
function vaultOn(db: SqliteDb, keyRing: KeyRing): Vault {
  return new SiteStore(db, keyRing).vault;
}

void describe('vault', () => {
  void it('seals and opens a secret by reference, and stores no plaintext', async () => {
    const db = freshDb();
    const vault = vaultOn(db, ring('k1'));
    const ref = await vault.putSecret('admin-password', 'Adm1n#Pass-ünïcode');
    assert.ok(isSecretRef(ref), ref);
    assert.equal(await vault.getSecret(ref), 'Adm1n#Pass-ünïcode');
    assert.equal(await vault.purposeOf(ref), 'admin-password');
    const row = db.raw.prepare('SELECT key_id, iv, ciphertext, tag FROM secrets WHERE ref = ?').get(ref) as
      { key_id: string; iv: Buffer; ciphertext: Buffer; tag: Buffer };
    assert.equal(row.key_id, 'k1');
    assert.equal(row.iv.length, 12);
    assert.equal(row.tag.length, 16);
    assert.ok(!row.ciphertext.includes(Buffer.from('Adm1n#Pass')));
  });

  void it('gives every secret its own reference and IV, even for equal values', async () => {
    const db = freshDb();
    const vault = vaultOn(db, ring('k1'));
    const a = await vault.putSecret('mebx-password', 'Same!Value1');
    const b = await vault.putSecret('mebx-password', 'Same!Value1');
    assert.notEqual(a, b);
    const ivs = db.raw.prepare('SELECT iv FROM secrets').pluck().all() as Buffer[];
    assert.ok(!ivs[0].equals(ivs[1]));
  });

  void it('refuses a ciphertext moved to another row (AAD binds the reference)', async () => {
    const db = freshDb();
    const vault = vaultOn(db, ring('k1'));
    const a = await vault.putSecret('admin-password', 'Secret!One1');
    const b = await vault.putSecret('admin-password', 'Secret!Two2');
    db.raw.prepare(`UPDATE secrets SET iv = (SELECT iv FROM secrets WHERE ref = @a), ciphertext = (SELECT ciphertext FROM secrets WHERE ref = @a),
      tag = (SELECT tag FROM secrets WHERE ref = @a) WHERE ref = @b`).run({ a, b });
    await assert.rejects(() => vault.getSecret(b), VaultError);
    assert.equal(await vault.getSecret(a), 'Secret!One1');
  });

  void it('refuses a relabelled purpose (AAD binds the purpose)', async () => {
    const db = freshDb();
    const vault = vaultOn(db, ring('k1'));
    const ref = await vault.putSecret('wifi-passphrase', 'office wifi key');
    db.raw.prepare("UPDATE secrets SET purpose = 'admin-password' WHERE ref = ?").run(ref);
    await assert.rejects(() => vault.getSecret(ref), /failed authentication/);
  });

  void it('refuses a flipped ciphertext bit, and its error carries no plaintext', async () => {
    const db = freshDb();
    const vault = vaultOn(db, ring('k1'));
    const ref = await vault.putSecret('admin-password', 'Tamper!Me1');
    const ciphertext = db.raw.prepare('SELECT ciphertext FROM secrets WHERE ref = ?').pluck().get(ref) as Buffer;
    ciphertext[0] ^= 1;
    db.raw.prepare('UPDATE secrets SET ciphertext = ? WHERE ref = ?').run(ciphertext, ref);
    await assert.rejects(() => vault.getSecret(ref), (err: Error) => err instanceof VaultError && !err.message.includes('Tamper') && err.cause === undefined);
  });

  void it('refuses to open with a different key of the same id', async () => {
    const db = freshDb();
    const ref = await vaultOn(db, ring('k1')).putSecret('admin-password', 'Other!Key1');
    await assert.rejects(() => vaultOn(db, ring('k1')).getSecret(ref), /failed authentication/);
  });

  void it('names a missing key id and an unknown reference', async () => {
    const db = freshDb();
    const ref = await vaultOn(db, ring('old')).putSecret('admin-password', 'Gone!Key1');
    await assert.rejects(() => vaultOn(db, ring('new')).getSecret(ref), /master key "old", which is not in the key ring/);
    await assert.rejects(() => vaultOn(db, ring('new')).getSecret('vault:00000000-0000-4000-8000-000000000000'), /no secret vault:0000/);
    await assert.rejects(() => vaultOn(db, ring('new')).getSecret('not a ref'), /malformed reference/);
  });

  void it('rotation re-seals old secrets under the new active key; old ones stay readable until then', async () => {
    const db = freshDb();
    const keys = ring('k1', 'k2');
    const before = vaultOn(db, keys);
    const refs = [];
    for (const v of ['Rotate!Me1', 'Rotate!Me2', 'Rotate!Me3']) refs.push(await before.putSecret('digest-account-password', v));
    const rotated = vaultOn(db, withActive(keys, 'k2'));
    assert.equal(await rotated.getSecret(refs[0]), 'Rotate!Me1', 'readable with the old key still in the ring');
    const fresh = await rotated.putSecret('admin-password', 'New!Secret1');
    assert.equal(await rotated.rotateToActiveKey(), 3);
    assert.deepEqual(db.raw.prepare('SELECT DISTINCT key_id FROM secrets').pluck().all(), ['k2']);
    // The old key can now leave the ring.
    const onlyNew: KeyRing = { activeId: 'k2', keys: new Map([['k2', keys.keys.get('k2')!]]) };
    const after = vaultOn(db, onlyNew);
    assert.deepEqual(await Promise.all(refs.map((r) => after.getSecret(r))), ['Rotate!Me1', 'Rotate!Me2', 'Rotate!Me3']);
    assert.equal(await after.getSecret(fresh), 'New!Secret1');
    assert.equal(await after.rotateToActiveKey(), 0);
  });

  void it('refuses an unknown purpose and deletes only unreferenced secrets', async () => {
    const db = freshDb();
    const vault = vaultOn(db, ring('k1'));
    await assert.rejects(() => vault.putSecret('nope' as never, 'x'), /unknown secret purpose/);
    const ref = await vault.putSecret('admin-password', 'Delete!Me1');
    await vault.deleteSecret(ref);
    assert.equal(await vault.hasSecret(ref), false);
  });
});
