// The store's record of each device's served TLS certificate and its pending successor
// (certificate renewal, issue 11): pending-first promotion, and which computers are due.
import assert from 'node:assert/strict';
import { randomBytes, X509Certificate } from 'node:crypto';
import { describe, it } from 'node:test';
import forge from 'node-forge';
import { certificateSha256, verifyDeviceCertificate } from '../../../src/amt/deviceTls';
import { createDemoPki } from '../../../src/pki/demoPki';
import { issueDeviceCertificate } from '../../../src/pki/deviceCertificate';
import { generateRsaKeyPair } from '../../../src/pki/x509';
import { DeviceCertificateChanged } from '../../../src/amt/errors';
import { openSqliteDb } from '../../../src/site/sqliteDb';
import { SiteStore } from '../../../src/site/store';

function memoryStore(): SiteStore {
  return new SiteStore(openSqliteDb(':memory:'), { activeId: 'k1', keys: new Map([['k1', randomBytes(32)]]) });
}

const fp = (c: string): string => c.repeat(64);
const day = (n: number): Date => new Date(Date.UTC(2027, 0, n));

void describe('device TLS certificates in the store', () => {
  void it('stages a successor, promotes it only by its fingerprint, idempotently; the old record goes', async () => {
    const store = memoryStore();
    const pc = await store.computers.add({ uuid: '11111111-2222-3333-4444-555555555555', netbiosName: 'PC1', fqdn: 'pc1.amt.test' });
    await store.deviceTls.recordServed(pc.id, { fingerprintSha256: fp('a'), notAfter: day(10) });
    await store.deviceTls.stagePending(pc.id, { fingerprintSha256: fp('B'), notAfter: day(300) });
    assert.deepEqual(Object.keys(await store.deviceTls.state(pc.id)).sort(), ['active', 'pending']);
    await assert.rejects(store.deviceTls.promotePending(pc.id, fp('c')), /no pending device certificate/);
    await store.deviceTls.promotePending(pc.id, fp('b'));
    const state = await store.deviceTls.state(pc.id);
    assert.equal(state.active?.fingerprintSha256, fp('b'));
    assert.equal(state.active?.notAfter, day(300).toISOString());
    assert.equal(state.pending, undefined);
    await store.deviceTls.promotePending(pc.id, fp('b'));
    assert.equal((await store.deviceTls.state(pc.id)).active?.fingerprintSha256, fp('b'));
    await store.deviceTls.stagePending(pc.id, { fingerprintSha256: fp('d'), notAfter: day(400) });
    await store.deviceTls.discardPending(pc.id);
    assert.equal((await store.deviceTls.state(pc.id)).pending, undefined);
    await assert.rejects(store.deviceTls.stagePending(pc.id, { fingerprintSha256: 'nothex', notAfter: day(1) }), /SHA-256 in hex/);
  });

  void it('renewal candidates: provisioned computers expiring before the cut-off or not known yet, soonest first', async () => {
    const store = memoryStore();
    const add = (n: number) => store.computers.add({ uuid: `11111111-2222-3333-4444-55555555555${n}`, netbiosName: `PC${n}`, fqdn: `pc${n}.amt.test` });
    const [soon, later, unknown, notProvisioned, sooner] = await Promise.all([1, 2, 3, 4, 5].map(add));
    for (const c of [soon, later, unknown, sooner]) await store.computers.setStatus(c.id, 'Provisioned');
    await store.deviceTls.recordServed(soon.id, { fingerprintSha256: fp('1'), notAfter: day(20) });
    await store.deviceTls.recordServed(sooner.id, { fingerprintSha256: fp('5'), notAfter: day(5) });
    await store.deviceTls.recordServed(later.id, { fingerprintSha256: fp('2'), notAfter: day(200) });
    await store.deviceTls.recordServed(notProvisioned.id, { fingerprintSha256: fp('4'), notAfter: day(1) });
    assert.deepEqual((await store.deviceTls.renewalCandidates(day(100))).map((c) => c.computerId), [unknown.id, sooner.id, soon.id]);
  });

  void it('while a renewal is pending, only the old and the new site certificate are accepted (servedSha256)', () => {
    const pki = createDemoPki({ domain: 'amt.test' });
    // One device key is enough: each certificate has its own serial, so its own fingerprint.
    const publicKeyPem = forge.pki.publicKeyToPem(generateRsaKeyPair().publicKey);
    const issue = (): Buffer => new X509Certificate(issueDeviceCertificate({ fqdn: 'pc1.amt.test', key: { publicKeyPem } }, pki.issuingCa).certPem).raw;
    const [old, renewed, other] = [issue(), issue(), issue()];
    const site = { caChainPem: [pki.issuingCa.certPem, ...pki.issuingCa.chainPem], fqdn: 'pc1.amt.test' };
    const identity = { pinnedSha256: fp('e'), siteIssued: { ...site, servedSha256: [certificateSha256(renewed), certificateSha256(old)] } };
    assert.equal(verifyDeviceCertificate(old, identity).acceptedAs, 'site-issued');
    assert.equal(verifyDeviceCertificate(renewed, identity).acceptedAs, 'site-issued');
    assert.throws(() => verifyDeviceCertificate(other, identity), DeviceCertificateChanged, 'another certificate of the same CA is refused meanwhile');
    assert.equal(verifyDeviceCertificate(other, { pinnedSha256: fp('e'), siteIssued: site }).acceptedAs, 'site-issued', 'without a renewal pending: any site certificate');
  });
});
