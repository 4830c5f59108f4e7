import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { before, describe, it } from 'node:test';
import forge from 'node-forge';
import { checkProvisioningChain } from '../../../src/amt/certRules';
import { AMT_PROVISIONING_EKU_OID } from '../../../src/contract/oids';
import { createDemoPki, type DemoPki } from '../../../src/pki/demoPki';
import { dnsSuffixOfLeaf, inspectProvisioningCertificate } from '../../../src/pki/register';
import { addDays, generateRsaKeyPair, signCertificate } from '../../../src/pki/x509';

let pki: DemoPki;
void before(() => {
  pki = createDemoPki({ domain: 'Corp.Example.TEST' });
});

void describe('demo PKI', () => {
  void it('makes a provisioning certificate a device accepts: EKU serverAuth + AMT OID, CN provisionserver.<domain>, RSA 2048 CA', () => {
    const leaf = new X509Certificate(pki.provisioning.certPem);
    assert.equal(pki.domain, 'corp.example.test');
    assert.equal(leaf.subject.split('\n')[0], 'CN=provisionserver.corp.example.test');
    assert.deepEqual(leaf.keyUsage, ['1.3.6.1.5.5.7.3.1', AMT_PROVISIONING_EKU_OID]);
    assert.deepEqual(checkProvisioningChain(pki.provisioning.chainPem, { dnsSuffix: 'corp.example.test' }), []);
    const root = new X509Certificate(pki.root.certPem);
    assert.equal(root.ca, true);
    assert.equal(root.publicKey.asymmetricKeyDetails?.modulusLength, 2048);
    assert.ok(leaf.verify(root.publicKey));
  });

  void it('makes an issuing CA under the same root that may not issue further CAs', () => {
    const ca = new X509Certificate(pki.issuingCa.certPem);
    assert.equal(ca.ca, true);
    assert.ok(ca.verify(new X509Certificate(pki.root.certPem).publicKey));
    assert.deepEqual(pki.issuingCa.chainPem, [pki.root.certPem]);
    const constraints = forge.pki.certificateFromPem(pki.issuingCa.certPem).getExtension('basicConstraints') as { pathLenConstraint?: number };
    assert.equal(constraints.pathLenConstraint, 0);
  });

  void it('refuses a domain that is not a DNS name', () => {
    assert.throws(() => createDemoPki({ domain: 'not a domain' }), /demo PKI domain/);
  });
});

void describe('provisioning certificate inspection', () => {
  void it('derives the DNS suffix from the leaf name', () => {
    const leafWith = (name: string) => signCertificate({
      subject: [{ name: 'commonName', value: name }], publicKey: forge.pki.certificateFromPem(pki.root.certPem).publicKey as forge.pki.rsa.PublicKey,
      notBefore: new Date(), notAfter: addDays(new Date(), 1), extensions: [],
    }, { privateKey: forge.pki.privateKeyFromPem(pki.root.keyPem) });
    assert.equal(dnsSuffixOfLeaf(leafWith('provisionserver.amt.test')), 'amt.test');
    assert.equal(dnsSuffixOfLeaf(leafWith('*.Amt.Test.')), 'amt.test');
    assert.equal(dnsSuffixOfLeaf(leafWith('amt.test')), undefined, 'a bare domain has no host label to strip');
    assert.equal(dnsSuffixOfLeaf(leafWith('provisionserver')), undefined);
  });

  void it('refuses a key that is not the leaf key, and records root hashes when valid', () => {
    const other = generateRsaKeyPair();
    const mismatch = inspectProvisioningCertificate({ chainPem: pki.provisioning.chainPem, keyPem: other.privateKeyPem });
    assert.deepEqual(mismatch.failures.map((f) => f.rule), ['key-pair']);
    assert.equal(mismatch.record, undefined);
    const ok = inspectProvisioningCertificate({ chainPem: pki.provisioning.chainPem, keyPem: pki.provisioning.keyPem });
    assert.deepEqual(ok.failures, []);
    assert.equal(ok.record?.dnsSuffix, 'corp.example.test');
    assert.match(ok.record?.rootHashes.sha384 ?? '', /^[0-9a-f]{96}$/);
  });
});
