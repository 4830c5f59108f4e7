// Agent and server certificates under the site's issuing CA, and the server's rule for who
// is an enrolled agent: issued directly by the issuing CA, clientAuth, valid. Device TLS
// certificates (same CA, serverAuth) and the provisioning certificate (root) are not.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import forge from 'node-forge';
import { createDemoPki, type DemoPki } from '../../../../src/pki/demoPki';
import { issueDeviceCertificate } from '../../../../src/pki/deviceCertificate';
import { generateRsaKeyPair } from '../../../../src/pki/x509';
import {
  agentCertificateProblem, agentNameOf, CLIENT_AUTH_OID, issueAgentCertificate, issueSiteServerCertificate,
} from '../../../../src/site/api/apiCertificates';

describe('site API certificates', () => {
  let pki: DemoPki;
  let other: DemoPki;
  let issuer: { certPem: string; keyPem: string; chainPem: string[] };
  let issuingCa: X509Certificate;
  before(() => {
    pki = createDemoPki({ domain: 'amt.test' });
    other = createDemoPki({ domain: 'amt.test' });
    issuer = { certPem: pki.issuingCa.certPem, keyPem: pki.issuingCa.keyPem, chainPem: pki.issuingCa.chainPem };
    issuingCa = new X509Certificate(pki.issuingCa.certPem);
  });
  const verified = (pem: string) => ({ authorized: true, certificate: new X509Certificate(pem) });

  test('an enrolled agent certificate: clientAuth, CN = agent name, issued by the issuing CA, key matches', () => {
    const agent = issueAgentCertificate(issuer, 'pc-0042.amt.test', { fqdn: 'PC-0042.amt.test', uuid: '8d3c2f5e-0000-4000-8000-000000000042' });
    const cert = new X509Certificate(agent.certPem);
    assert.deepEqual(cert.keyUsage, [CLIENT_AUTH_OID]);
    assert.equal(cert.subjectAltName, 'DNS:pc-0042.amt.test, URI:urn:uuid:8d3c2f5e-0000-4000-8000-000000000042', 'the binding is in the certificate');
    assert.equal(agentNameOf(cert), 'pc-0042.amt.test');
    assert.ok(cert.checkIssued(issuingCa));
    assert.ok(cert.checkPrivateKey(createPrivateKey(agent.keyPem)));
    assert.deepEqual(agent.caChainPem, [pki.issuingCa.certPem, pki.root.certPem]);
    assert.equal(agentCertificateProblem(verified(agent.certPem), issuingCa), undefined);
  });

  test('the server certificate names every host and IP agents use, for serverAuth', () => {
    const server = issueSiteServerCertificate(issuer, ['127.0.60.1', 'site.amt.test']);
    const cert = new X509Certificate(server.certPem);
    assert.equal(cert.checkIP('127.0.60.1'), '127.0.60.1');
    assert.equal(cert.checkHost('site.amt.test'), 'site.amt.test');
    assert.equal(cert.checkHost('other.amt.test'), undefined);
    assert.deepEqual(cert.keyUsage, ['1.3.6.1.5.5.7.3.1']);
  });

  test('refused: no certificate, another CA, a device certificate, the provisioning certificate, a chain TLS did not verify', () => {
    assert.match(agentCertificateProblem({ authorized: false, certificate: undefined }, issuingCa) ?? '', /no client certificate/);
    const foreign = issueAgentCertificate({ certPem: other.issuingCa.certPem, keyPem: other.issuingCa.keyPem, chainPem: other.issuingCa.chainPem }, 'intruder', { fqdn: 'intruder.amt.test' });
    // The site's rules hold even where the TLS layer would have let a certificate through.
    assert.match(agentCertificateProblem(verified(foreign.certPem), issuingCa) ?? '', /not issued by the site issuing CA/);
    const device = issueDeviceCertificate({ fqdn: 'pc-0042.amt.test', key: { publicKeyPem: publicPem() } }, issuer);
    assert.match(agentCertificateProblem(verified(device.certPem), issuingCa) ?? '', /not for client authentication/);
    assert.match(agentCertificateProblem(verified(pki.provisioning.certPem), issuingCa) ?? '', /not issued by the site issuing CA/);
    const agent = issueAgentCertificate(issuer, 'pc-0042', { fqdn: 'pc-0042.amt.test' });
    assert.match(agentCertificateProblem({ authorized: false, authorizationError: 'CERT_REVOKED', certificate: new X509Certificate(agent.certPem) }, issuingCa) ?? '',
      /failed TLS chain verification \(CERT_REVOKED\)/);
  });

  test('refused: an agent certificate past its validity', () => {
    const agent = issueAgentCertificate(issuer, 'old-agent', { fqdn: 'old-agent.amt.test' });
    const later = new Date(Date.now() + 800 * 86_400_000);
    assert.match(agentCertificateProblem(verified(agent.certPem), issuingCa, later) ?? '', /expired or not yet valid/);
  });

  test('agent names are checked', () => {
    assert.throws(() => issueAgentCertificate(issuer, 'bad name/with slash', { fqdn: 'x.amt.test' }), /agent name/);
  });
});

function publicPem(): string {
  const keys = generateRsaKeyPair();
  return forge.pki.publicKeyToPem(keys.publicKey);
}
