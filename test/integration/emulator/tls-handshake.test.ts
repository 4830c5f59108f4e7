// Black-box: the device's TLS port enforces every rule of docs/amt-protocol.md section 3 on its own
// and records each refusal with its reason (read back through the control API).
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import forge from 'node-forge';
import type { TlsRefusal } from '../../../src/emulator/firmware/counters';
import { digestRequest, rawRequest, type ClientTls } from './support/deviceClient';
import { MEBX_PASSWORD, startHarness, type Harness } from './support/emulatorHarness';
import { makeIntermediate, makeProvisioningLeaf, makeRoot, sha256Hex, type TestCert } from './support/testPki';

const DEVICE_IP = '127.0.10.1';
const SUFFIX = 'corp.example.com';

let harness: Harness;
let root: TestCert;
let intermediate: TestCert;
let sha1Root: TestCert;
let bigRoot: TestCert;

function chainOf(leaf: TestCert, ...issuers: TestCert[]): ClientTls {
  return { keyPem: leaf.keyPem, chainPems: [leaf.pem, ...issuers.map((c) => c.pem)] };
}

async function refusalFor(tls: ClientTls): Promise<TlsRefusal> {
  const before = (await harness.control.get<{ tlsRefused: number }>('/devices/0/counters')).tlsRefused;
  await assert.rejects(rawRequest({ host: DEVICE_IP, port: 16993, tls, path: '/echo' }), 'the device must drop the session');
  const counters = await harness.control.get<{ tlsRefused: number; tlsRefusals: TlsRefusal[] }>('/devices/0/counters');
  assert.equal(counters.tlsRefused, before + 1, 'exactly one refusal recorded');
  return counters.tlsRefusals[counters.tlsRefusals.length - 1];
}

const AMT11_VERSION = '11.8.50';

before(async () => {
  root = makeRoot('Emulator Test Root');
  intermediate = makeIntermediate('Emulator Test Issuing CA', root);
  sha1Root = makeRoot('Emulator SHA-1 Root');
  bigRoot = makeRoot('Emulator 3072 Root', 'big-root', 3072);
  harness = await startHarness({
    count: 2,
    baseIp: DEVICE_IP,
    controlHost: '127.0.10.250',
    domainSuffix: SUFFIX,
    trustedRootHashes: [
      { algorithm: 'sha256', hash: sha256Hex(root), active: true, name: 'test root' },
      { algorithm: 'sha1', hash: crypto.createHash('sha1').update(sha1Root.der).digest('hex'), active: true, name: 'sha1 root' },
      { algorithm: 'sha256', hash: sha256Hex(bigRoot), active: true, name: 'big root' },
    ],
    // The section 3 rules as AMT 11 applies them (SHA-1 root hashes, CA keys up to 2048 bits);
    // what AMT 16 changes is tested in firmware-families.test.ts.
    firmwareVersion: AMT11_VERSION,
  });
});
after(async () => {
  await harness?.close();
});

void describe('device TLS (section 3)', () => {
  void it('accepts a valid chain (AMT OID) and serves Digest-protected HTTP over it', async () => {
    const leaf = makeProvisioningLeaf({ cn: `prov.${SUFFIX}`, issuer: intermediate });
    const { response } = await digestRequest({ host: DEVICE_IP, port: 16993, tls: chainOf(leaf, intermediate, root), path: '/echo' }, 'admin', MEBX_PASSWORD);
    assert.equal(response.status, 200);
    assert.deepEqual(JSON.parse(response.body), { username: 'admin', phase: 'in', transport: 'tls', bodyBytes: 0 });
    const device = await harness.control.get<{ firmware: { tls: { selfSigned: { certificatePem: string } } } }>('/devices/0');
    const selfSigned = new crypto.X509Certificate(device.firmware.tls.selfSigned.certificatePem);
    assert.equal(response.serverCertSha256, crypto.createHash('sha256').update(selfSigned.raw).digest('hex'), 'setup is served with the self-signed certificate');
  });

  void it('accepts the OU marker instead of the OID, a SAN name, a wildcard, and a SHA-1 trusted root', async () => {
    const viaOu = makeProvisioningLeaf({ cn: 'Provisioning', marker: 'ou', sanDns: [`prov2.${SUFFIX}`], issuer: intermediate });
    const wildcard = makeProvisioningLeaf({ cn: `*.${SUFFIX}`, issuer: sha1Root });
    for (const tls of [chainOf(viaOu, intermediate, root), chainOf(wildcard, sha1Root)]) {
      const { response } = await digestRequest({ host: DEVICE_IP, port: 16993, tls, path: '/echo' }, 'admin', MEBX_PASSWORD);
      assert.equal(response.status, 200);
    }
  });

  void it('refuses a client without a certificate', async () => {
    const refusal = await refusalFor({});
    assert.equal(refusal.reason, 'no-client-certificate');
  });

  void it('refuses a leaf with neither the OID nor the exact OU (also a wrong-case OU)', async () => {
    const bare = makeProvisioningLeaf({ cn: `bare.${SUFFIX}`, marker: 'none', issuer: intermediate });
    assert.equal((await refusalFor(chainOf(bare, intermediate, root))).reason, 'eku-or-ou');
    const wrongCase = makeProvisioningLeaf({ cn: `case.${SUFFIX}`, marker: 'none', ou: 'intel(r) client setup certificate', issuer: intermediate });
    assert.equal((await refusalFor(chainOf(wrongCase, intermediate, root))).reason, 'eku-or-ou');
  });

  void it('refuses a chain to a root the device does not trust', async () => {
    const otherRoot = makeRoot('Untrusted Root');
    const leaf = makeProvisioningLeaf({ cn: `untrusted.${SUFFIX}`, issuer: otherRoot });
    const refusal = await refusalFor(chainOf(leaf, otherRoot));
    assert.equal(refusal.reason, 'root-trusted');
    assert.match(refusal.detail, new RegExp(sha256Hex(otherRoot)));
  });

  void it('refuses a leaf whose names do not end with the device DNS suffix (label boundary)', async () => {
    const other = makeProvisioningLeaf({ cn: 'prov.other.example.com', issuer: intermediate });
    assert.equal((await refusalFor(chainOf(other, intermediate, root))).reason, 'domain-suffix');
    const glued = makeProvisioningLeaf({ cn: `evil${SUFFIX}`, issuer: intermediate });
    assert.equal((await refusalFor(chainOf(glued, intermediate, root))).reason, 'domain-suffix');
  });

  void it('refuses an expired leaf', async () => {
    const expired = makeProvisioningLeaf({
      cn: `expired.${SUFFIX}`,
      issuer: intermediate,
      notBefore: new Date(Date.now() - 10 * 86_400_000),
      notAfter: new Date(Date.now() - 86_400_000),
    });
    assert.equal((await refusalFor(chainOf(expired, intermediate, root))).reason, 'validity');
  });

  void it('refuses a broken chain: intermediate missing, no issuers at all, or an impostor intermediate', async () => {
    const leaf = makeProvisioningLeaf({ cn: `broken.${SUFFIX}`, issuer: intermediate });
    assert.equal((await refusalFor(chainOf(leaf, root))).reason, 'chain');
    assert.equal((await refusalFor(chainOf(leaf))).reason, 'chain');
    // Same subject name as the real issuing CA, different key: names link, signatures do not.
    const impostor = makeIntermediate('Emulator Test Issuing CA', root, 'impostor-key');
    const refusal = await refusalFor(chainOf(leaf, impostor, root));
    assert.equal(refusal.reason, 'chain');
    assert.match(refusal.detail, /not signed by/);
  });

  void it('refuses a CA key over 2048 bits even when its root is trusted', async () => {
    const leaf = makeProvisioningLeaf({ cn: `big.${SUFFIX}`, issuer: bigRoot });
    assert.equal((await refusalFor(chainOf(leaf, bigRoot))).reason, 'ca-key-size');
  });

  void it('after commit serves the certificate the server issued, and asks for no client certificate', async () => {
    const fw = harness.fleet.devices[1].firmware;
    fw.beginProvisioning();
    await fw.setAdminAccount('admin', 'N3w!AdminPass');
    const key = await fw.generateKeyPair();
    const csr = forge.pki.certificationRequestFromPem(fw.certificationRequest(key.handle, [{ shortName: 'CN', value: `pc1.${SUFFIX}` }]));
    const issued = forge.pki.createCertificate();
    issued.publicKey = csr.publicKey!;
    issued.serialNumber = '7e57';
    issued.validity.notBefore = new Date(Date.now() - 60_000);
    issued.validity.notAfter = new Date(Date.now() + 86_400_000);
    issued.setSubject(csr.subject.attributes);
    issued.setIssuer(intermediate.cert.subject.attributes);
    issued.sign(forge.pki.privateKeyFromPem(intermediate.keyPem), forge.md.sha256.create());
    const issuedPem = forge.pki.certificateToPem(issued);
    await fw.addCertificate(intermediate.pem);
    const cert = await fw.addCertificate(issuedPem);
    await fw.setTlsKeyAndCertificate(key.handle, cert.handle);
    await fw.applySetting('tlsEnabled', true);
    await fw.commit();
    // The identity switched inside commit: the next handshake, without any client certificate, gets to Digest.
    const expected = crypto.createHash('sha256').update(new crypto.X509Certificate(issuedPem).raw).digest('hex');
    const response = await rawRequest({ host: '127.0.10.2', port: 16993, tls: {}, path: '/echo' });
    assert.equal(response.serverCertSha256, expected);
    assert.equal(response.status, 401);
    const { response: authed } = await digestRequest({ host: '127.0.10.2', port: 16993, tls: {}, path: '/echo' }, 'admin', 'N3w!AdminPass');
    assert.equal((JSON.parse(authed.body) as { phase: string }).phase, 'post');
  });
});
