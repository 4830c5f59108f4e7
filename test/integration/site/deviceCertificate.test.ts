// issueDeviceCertificate from the site's issuing CA (the demo PKI registered in a real
// store): the result chains to the issuing CA and the demo root, names the device FQDN,
// and serves a real TLS handshake that a client verifying the hostname accepts.
import assert from 'node:assert/strict';
import { createPublicKey, X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import tls from 'node:tls';
import { after, before, describe, it } from 'node:test';
import forge from 'node-forge';
import { issueDeviceCertificate, type DeviceCertificateIssuer } from '../../../src/pki/deviceCertificate';
import { createDemoPki, type DemoPki } from '../../../src/pki/demoPki';
import { registerDemoPki } from '../../../src/pki/register';
import { generateRsaKeyPair, type RsaKeyPair } from '../../../src/pki/x509';
import { siteFixture } from './helpers';

// Loopback address assigned to the site tests (brief: 127.0.50.1 - 127.0.50.254).
const HOST = '127.0.50.1';
const FQDN = 'pc1.amt.test';

const fixture = siteFixture('devcert');
void after(() => fixture.cleanup());

let pki: DemoPki;
let issuer: DeviceCertificateIssuer;
let deviceKey: RsaKeyPair;

void before(async () => {
  pki = createDemoPki({ domain: 'amt.test' });
  deviceKey = generateRsaKeyPair();
  const store = await fixture.open();
  try {
    await registerDemoPki(store, pki, 'test');
    issuer = await store.issuingCa.loadIssuer();
  } finally {
    await store.close();
  }
});

/** A PKCS#10 request as the device makes one (CertStore.GetPKCS10Request), in DER. */
function deviceCsrDer(subjectCn = 'device-chosen-name'): Buffer {
  const csr = forge.pki.createCertificationRequest();
  csr.publicKey = deviceKey.publicKey;
  csr.setSubject([{ name: 'commonName', value: subjectCn }]);
  csr.sign(deviceKey.privateKey, forge.md.sha256.create());
  return Buffer.from(forge.asn1.toDer(forge.pki.certificationRequestToAsn1(csr)).getBytes(), 'binary');
}

/** Serves `certPem` + chain on HOST and connects as a client trusting only the demo root. */
type HandshakeResult = { authorized: boolean; error?: NodeJS.ErrnoException };

async function handshake(certPem: string, chainPem: string[], servername: string): Promise<HandshakeResult> {
  const server = tls.createServer({ key: deviceKey.privateKeyPem, cert: [certPem, ...chainPem].join('') }, (socket) => socket.end());
  server.on('tlsClientError', () => undefined);
  server.listen(0, HOST);
  await once(server, 'listening');
  try {
    const { port } = server.address() as { port: number };
    const socket = tls.connect({ host: HOST, port, servername, ca: [pki.root.certPem] });
    try {
      return await new Promise<HandshakeResult>((resolve) => {
        socket.once('secureConnect', () => resolve({ authorized: socket.authorized }));
        socket.once('error', (error: NodeJS.ErrnoException) => resolve({ authorized: false, error }));
      });
    } finally {
      socket.destroy();
    }
  } finally {
    server.close();
    await once(server, 'close');
  }
}

void describe('issueDeviceCertificate', () => {
  void it('signs the device request for its FQDN, chained to the issuing CA, serverAuth only', () => {
    const issued = issueDeviceCertificate({ fqdn: FQDN, key: { csrDer: deviceCsrDer() } }, issuer);
    const cert = new X509Certificate(issued.certPem);
    const ca = new X509Certificate(pki.issuingCa.certPem);
    const root = new X509Certificate(pki.root.certPem);
    assert.ok(cert.checkIssued(ca), 'issued by the issuing CA');
    assert.ok(cert.verify(ca.publicKey), 'signature verifies with the issuing CA key');
    assert.ok(ca.verify(root.publicKey), 'the issuing CA chains to the demo root');
    assert.deepEqual(issued.chainPem.map((p) => new X509Certificate(p).fingerprint256), [ca.fingerprint256, root.fingerprint256]);
    assert.equal(cert.subject, `CN=${FQDN}`, 'the subject is the FQDN, not what the device asked for');
    assert.equal(cert.subjectAltName, `DNS:${FQDN}`);
    assert.equal(cert.checkHost(FQDN), FQDN);
    assert.deepEqual(cert.keyUsage, ['1.3.6.1.5.5.7.3.1']);
    assert.equal(cert.ca, false);
    assert.equal(cert.fingerprint256.replace(/:/g, '').toLowerCase(), issued.fingerprintSha256);
    const devicePublic = forge.pki.publicKeyToPem(deviceKey.publicKey);
    assert.equal(cert.publicKey.export({ type: 'spki', format: 'pem' }), devicePublic.replace(/\r\n/g, '\n'));
  });

  void it('issues the 802.1X client certificate for the same key: clientAuth only, subject and SAN the FQDN', () => {
    const issued = issueDeviceCertificate({ fqdn: FQDN, key: { publicKeyPem: forge.pki.publicKeyToPem(deviceKey.publicKey) }, usage: 'clientAuth' }, issuer);
    const cert = new X509Certificate(issued.certPem);
    assert.ok(cert.verify(new X509Certificate(pki.issuingCa.certPem).publicKey));
    assert.deepEqual(cert.keyUsage, ['1.3.6.1.5.5.7.3.2']);
    assert.equal(cert.subject, `CN=${FQDN}`);
    assert.equal(cert.subjectAltName, `DNS:${FQDN}`);
  });

  void it('serves a TLS handshake that verifies the hostname against the demo root', async () => {
    const issued = issueDeviceCertificate({ fqdn: FQDN, key: { publicKeyPem: forge.pki.publicKeyToPem(deviceKey.publicKey) } }, issuer);
    const good = await handshake(issued.certPem, issued.chainPem, FQDN);
    assert.deepEqual(good, { authorized: true });
    const wrongName = await handshake(issued.certPem, issued.chainPem, 'pc2.amt.test');
    assert.equal(wrongName.authorized, false);
    assert.match(String(wrongName.error?.code), /ERR_TLS_CERT_ALTNAME_INVALID/);
  });

  void it('certifies the public key modern firmware exports (AMT_PublicPrivateKeyPair.DERKey, PKCS#1 DER) and refuses other bytes', () => {
    const rsaPublicKeyDer = createPublicKey(deviceKey.privateKeyPem).export({ type: 'pkcs1', format: 'der' });
    const issued = issueDeviceCertificate({ fqdn: FQDN, key: { rsaPublicKeyDer } }, issuer);
    const cert = new X509Certificate(issued.certPem);
    assert.ok(cert.verify(new X509Certificate(pki.issuingCa.certPem).publicKey));
    assert.deepEqual(cert.publicKey.export({ type: 'pkcs1', format: 'der' }), rsaPublicKeyDer);
    assert.throws(() => issueDeviceCertificate({ fqdn: FQDN, key: { rsaPublicKeyDer: Buffer.from('not a key') } }, issuer), /not a DER PKCS#1 RSA public key/);
  });

  void it('refuses a request whose signature does not verify, a bad FQDN, and a CA key that is not the CA\'s', () => {
    const der = deviceCsrDer();
    der[der.length - 1] ^= 0xff;
    assert.throws(() => issueDeviceCertificate({ fqdn: FQDN, key: { csrDer: der } }, issuer), /signature does not verify/);
    assert.throws(() => issueDeviceCertificate({ fqdn: 'pc1', key: { csrDer: deviceCsrDer() } }, issuer), /no domain part/);
    assert.throws(() => issueDeviceCertificate({ fqdn: FQDN, key: { csrDer: deviceCsrDer() } }, { ...issuer, keyPem: pki.root.keyPem }),
      /does not belong to the issuing CA/);
  });

  void it('never issues past the issuing CA\'s own expiry', () => {
    const issued = issueDeviceCertificate({ fqdn: FQDN, key: { csrDer: deviceCsrDer() }, validityDays: 100_000 }, issuer);
    assert.equal(issued.notAfter.getTime(), new Date(new X509Certificate(pki.issuingCa.certPem).validTo).getTime());
  });
});
