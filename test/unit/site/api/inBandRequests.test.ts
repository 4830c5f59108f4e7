// What an accepted in-band request does to the site store (in-memory SQLite): discovery of
// an unknown computer, names from the registration, in-band marking, the OTP hash in the
// vault, audit records without secrets; a refused request (name taken) changes nothing; and an
// agent speaks only for the computer it was enrolled for.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { ApiError } from '../../../../src/site/api/httpJson';
import { recordInBandRequest, type RequestingAgent } from '../../../../src/site/api/inBandRequests';
import { inBandRequestSchema } from '../../../../src/site/api/schemas';
import { openSqliteDb } from '../../../../src/site/sqliteDb';
import { SiteStore } from '../../../../src/site/store';

function memoryStore(): SiteStore {
  return new SiteStore(openSqliteDb(':memory:'), { activeId: 'k', keys: new Map([['k', randomBytes(32)]]) });
}

function request(overrides: Record<string, unknown> = {}) {
  return inBandRequestSchema.parse({
    uuid: randomUUID(), otpHash: randomBytes(32).toString('hex'), hostName: 'ibpc1', domain: 'amt.test',
    trustedRootHashes: ['aa'.repeat(32)], ...overrides,
  });
}

/** An agent enrolled (in the store's agents table) for `fqdn`, optionally bound to a UUID. */
async function enrolled(store: SiteStore, fqdn: string, uuid: string | null = null, name = fqdn): Promise<RequestingAgent> {
  const serialNumber = randomBytes(8).toString('hex');
  await store.agents.record({ serialNumber, name, fqdn, uuid, fingerprintSha256: 'f'.repeat(64), notAfter: new Date(Date.now() + 86_400_000) });
  return { name, serialNumber, fqdn, uuid, address: '127.0.60.9' };
}

describe('recordInBandRequest', () => {
  test('an unknown computer is discovered from the registration, marked in-band, its OTP hash sealed', async () => {
    const store = memoryStore();
    const body = request();
    const agent = await enrolled(store, 'ibpc1.amt.test');
    const { computer, discovered } = await recordInBandRequest(store, body, agent);
    assert.equal(discovered, true);
    assert.equal((await store.agents.bySerial(agent.serialNumber))?.uuid, body.uuid, 'the first accepted request binds the UUID');
    assert.equal(computer.uuid, body.uuid);
    assert.equal(computer.netbiosName, 'IBPC1');
    assert.equal(computer.fqdn, 'ibpc1.amt.test');
    assert.equal(computer.inBandManaged, true);
    assert.deepEqual(await store.inBand.get(computer.id), { computerId: computer.id, hostName: 'ibpc1', domain: 'amt.test', agentAddress: '127.0.60.9', registeredAt: (await store.inBand.get(computer.id))!.registeredAt });
    assert.equal(await store.vault.getSecret((await store.inBand.otpHashRef(computer.id))!), body.otpHash);
    const audit = await store.audit.forComputer(computer.uuid);
    assert.deepEqual(audit.map((a) => [a.actor, a.action]), [['agent:ibpc1.amt.test', 'computer.discover'], ['agent:ibpc1.amt.test', 'provisioning.in-band-request']]);
    assert.ok(!JSON.stringify(audit).includes(body.otpHash), 'no hash in the audit log');
  });

  test('an imported computer takes host name and domain from the registration of an agent bound to its UUID; a new request replaces the hash', async () => {
    const store = memoryStore();
    const first = request();
    const agent = await enrolled(store, 'ibpc2.amt.test', first.uuid);
    const imported = await store.computers.add({ uuid: first.uuid, netbiosName: 'OLDNAME', fqdn: 'oldname.old.test' });
    await recordInBandRequest(store, request({ uuid: first.uuid, hostName: 'ibpc2' }), agent);
    const second = request({ uuid: first.uuid, hostName: 'ibpc2' });
    const { computer, discovered } = await recordInBandRequest(store, second, agent);
    assert.equal(discovered, false);
    assert.equal(computer.id, imported.id);
    assert.equal(computer.fqdn, 'ibpc2.amt.test');
    assert.equal(computer.netbiosName, 'IBPC2');
    assert.equal(await store.vault.getSecret((await store.inBand.otpHashRef(computer.id))!), second.otpHash);
    const renames = (await store.audit.forComputer(computer.uuid)).filter((a) => a.action === 'computer.rename');
    assert.equal(renames.length, 1);
    assert.equal(renames[0].detail?.fromFqdn, 'oldname.old.test');
  });

  test('a host name that belongs to another computer is refused with 409 and nothing changes', async () => {
    const store = memoryStore();
    await store.computers.add({ uuid: randomUUID(), netbiosName: 'TAKEN', fqdn: 'taken.amt.test' });
    const body = request({ hostName: 'taken' });
    const agent = await enrolled(store, 'taken.amt.test');
    const auditBefore = (await store.audit.recent()).length;
    await assert.rejects(() => recordInBandRequest(store, body, agent), (err) => err instanceof ApiError && err.status === 409 && /TAKEN already belongs/.test(err.message));
    assert.equal(await store.computers.findByUuid(body.uuid), undefined);
    assert.equal((await store.audit.recent()).length, auditBefore);
    assert.equal((await store.agents.bySerial(agent.serialNumber))?.uuid, null, 'a refused request binds nothing');
  });

  test('an agent asking for another FQDN, another UUID, or an imported computer under its own name is refused 403, recorded, nothing else changes', async () => {
    const store = memoryStore();
    const victim = await store.computers.add({ uuid: randomUUID(), netbiosName: 'VICTIM', fqdn: 'victim.amt.test' });
    const agent = await enrolled(store, 'demo.amt.test');
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ hostName: 'victim' }, /enrolled for demo\.amt\.test, not victim\.amt\.test/],
      [{ uuid: victim.uuid, hostName: 'demo' }, /computer .* is victim\.amt\.test; agent demo\.amt\.test .* may not rename it/],
    ];
    for (const [overrides, message] of cases) {
      await assert.rejects(() => recordInBandRequest(store, request(overrides), agent), (err) => err instanceof ApiError && err.status === 403 && message.test(err.message));
    }
    const after = await store.computers.get(victim.id);
    assert.deepEqual([after.fqdn, after.inBandManaged], ['victim.amt.test', false]);
    assert.equal(await store.inBand.get(victim.id), undefined);
    assert.equal((await store.agents.bySerial(agent.serialNumber))?.uuid, null);
    const events = (await store.audit.recent()).filter((a) => a.action === 'security.agent-request-refused');
    assert.equal(events.length, 2);
    // Once bound by its first request, the agent cannot speak for another UUID even under its own name.
    const own = request({ hostName: 'demo' });
    await recordInBandRequest(store, own, agent);
    await assert.rejects(() => recordInBandRequest(store, request({ hostName: 'demo' }), agent), (err) => err instanceof ApiError && err.status === 403 && /bound to computer/.test(err.message));
  });
});
