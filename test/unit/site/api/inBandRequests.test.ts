// What an accepted in-band request does to the site store (in-memory SQLite): discovery of
// an unknown computer, names from the registration, in-band marking, the OTP hash in the
// vault, audit records without secrets; and a refused request (name taken) changes nothing.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { ApiError } from '../../../../src/site/api/httpJson';
import { recordInBandRequest } from '../../../../src/site/api/inBandRequests';
import { inBandRequestSchema } from '../../../../src/site/api/schemas';
import { openSiteDb } from '../../../../src/site/db';
import { SiteStore } from '../../../../src/site/store';

function memoryStore(): SiteStore {
  return new SiteStore(openSiteDb(':memory:'), { activeId: 'k', keys: new Map([['k', randomBytes(32)]]) });
}

function request(overrides: Record<string, unknown> = {}) {
  return inBandRequestSchema.parse({
    uuid: randomUUID(), otpHash: randomBytes(32).toString('hex'), hostName: 'ibpc1', domain: 'amt.test',
    trustedRootHashes: ['aa'.repeat(32)], ...overrides,
  });
}

const agent = { name: 'ibpc1.amt.test', address: '127.0.60.9' };

describe('recordInBandRequest', () => {
  test('an unknown computer is discovered from the registration, marked in-band, its OTP hash sealed', () => {
    const store = memoryStore();
    const body = request();
    const { computer, discovered } = recordInBandRequest(store, body, agent);
    assert.equal(discovered, true);
    assert.equal(computer.uuid, body.uuid);
    assert.equal(computer.netbiosName, 'IBPC1');
    assert.equal(computer.fqdn, 'ibpc1.amt.test');
    assert.equal(computer.inBandManaged, true);
    assert.deepEqual(store.inBand.get(computer.id), { computerId: computer.id, hostName: 'ibpc1', domain: 'amt.test', agentAddress: '127.0.60.9', registeredAt: store.inBand.get(computer.id)!.registeredAt });
    assert.equal(store.vault.getSecret(store.inBand.otpHashRef(computer.id)!), body.otpHash);
    const audit = store.audit.forComputer(computer.uuid);
    assert.deepEqual(audit.map((a) => [a.actor, a.action]), [['agent:ibpc1.amt.test', 'computer.discover'], ['agent:ibpc1.amt.test', 'provisioning.in-band-request']]);
    assert.ok(!JSON.stringify(audit).includes(body.otpHash), 'no hash in the audit log');
  });

  test('an imported computer takes host name and domain from the registration; a new request replaces the hash', () => {
    const store = memoryStore();
    const first = request();
    const imported = store.computers.add({ uuid: first.uuid, netbiosName: 'OLDNAME', fqdn: 'oldname.old.test' });
    recordInBandRequest(store, request({ uuid: first.uuid, hostName: 'ibpc2' }), agent);
    const second = request({ uuid: first.uuid, hostName: 'ibpc2' });
    const { computer, discovered } = recordInBandRequest(store, second, agent);
    assert.equal(discovered, false);
    assert.equal(computer.id, imported.id);
    assert.equal(computer.fqdn, 'ibpc2.amt.test');
    assert.equal(computer.netbiosName, 'IBPC2');
    assert.equal(store.vault.getSecret(store.inBand.otpHashRef(computer.id)!), second.otpHash);
    const renames = store.audit.forComputer(computer.uuid).filter((a) => a.action === 'computer.rename');
    assert.equal(renames.length, 1);
    assert.equal(renames[0].detail?.fromFqdn, 'oldname.old.test');
  });

  test('a host name that belongs to another computer is refused with 409 and nothing changes', () => {
    const store = memoryStore();
    store.computers.add({ uuid: randomUUID(), netbiosName: 'TAKEN', fqdn: 'taken.amt.test' });
    const body = request({ hostName: 'taken' });
    const auditBefore = store.audit.recent().length;
    assert.throws(() => recordInBandRequest(store, body, agent), (err) => err instanceof ApiError && err.status === 409 && /TAKEN already belongs/.test(err.message));
    assert.equal(store.computers.findByUuid(body.uuid), undefined);
    assert.equal(store.audit.recent().length, auditBefore);
  });
});
