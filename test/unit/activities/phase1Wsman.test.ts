// planTlsCredential: what the WS-Man first stage keeps, reuses or deletes of the TLS
// credentials an interrupted attempt (or nobody) left on a not yet committed device.
import assert from 'node:assert/strict';
import { createPublicKey, X509Certificate } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { planTlsCredential, type StoredCertificate } from '../../../src/activities/phase1Wsman';
import type { DeviceKeyPair, TlsCredentialContext } from '../../../src/amt/wsmanSetup';
import { createDemoPki, type DemoPki } from '../../../src/pki/demoPki';
import { issueDeviceCertificate } from '../../../src/pki/deviceCertificate';
import { generateRsaKeyPair, type RsaKeyPair } from '../../../src/pki/x509';

const FQDN = 'pc1.amt.test';
let pki: DemoPki;
let keys: RsaKeyPair[];

void before(() => {
  pki = createDemoPki({ domain: 'amt.test' });
  keys = [generateRsaKeyPair(), generateRsaKeyPair(), generateRsaKeyPair()];
});

const keyPair = (index: number): DeviceKeyPair => ({
  instanceId: `Intel(r) AMT Key: Handle: ${index}`,
  rsaPublicKeyDer: createPublicKey(keys[index].privateKeyPem).export({ type: 'pkcs1', format: 'der' }),
});

function siteCertificate(id: string, keyIndex: number, fqdn = FQDN, issuer = pki.issuingCa): StoredCertificate {
  const issued = issueDeviceCertificate({ fqdn, key: { rsaPublicKeyDer: keyPair(keyIndex).rsaPublicKeyDer } }, issuer);
  return { instanceId: id, der: new X509Certificate(issued.certPem).raw, trustedRoot: false };
}

function rootCertificate(id: string): StoredCertificate {
  return { instanceId: id, der: new X509Certificate(pki.root.certPem).raw, trustedRoot: true };
}

const context = (certificateId: string): TlsCredentialContext => ({ certificateId, providingContext: { Address: '/wsman' } });
/** The site accepts what its issuing CA signed for the FQDN (the real check is deviceTls.isSiteIssued). */
const ca = () => ({
  fqdn: FQDN,
  accepts: (der: Buffer) => new X509Certificate(der).verify(new X509Certificate(pki.issuingCa.certPem).publicKey),
});

void describe('planTlsCredential', () => {
  void it('a factory-fresh store: nothing to keep or delete, a key pair is to be generated', () => {
    assert.deepEqual(planTlsCredential({ contexts: [], certificates: [rootCertificate('root')], keyPairs: [] }, ca()),
      { deleteContexts: [], deleteCertificates: [], deleteKeyPairs: [] });
  });

  void it('keeps a bound site certificate for this FQDN whose key is on the device, and removes stray keys', () => {
    const plan = planTlsCredential({
      contexts: [context('cert-1')], certificates: [rootCertificate('root'), siteCertificate('cert-1', 0)], keyPairs: [keyPair(0), keyPair(1)],
    }, ca());
    assert.deepEqual(plan, { keep: 'cert-1', deleteContexts: [], deleteCertificates: [], deleteKeyPairs: [keyPair(1).instanceId] });
  });

  void it('replaces a context whose certificate another CA signed, reusing its key pair', () => {
    const other = createDemoPki({ domain: 'amt.test', keys: { root: keys[2], provisioning: keys[2], issuingCa: keys[2] } });
    const stale = siteCertificate('cert-1', 0, FQDN, other.issuingCa);
    const plan = planTlsCredential({ contexts: [context('cert-1')], certificates: [stale], keyPairs: [keyPair(0)] }, ca());
    assert.deepEqual(plan, { deleteContexts: [context('cert-1')], deleteCertificates: ['cert-1'], reuseKeyPair: keyPair(0), deleteKeyPairs: [] });
  });

  void it('an attempt interrupted after AddCertificate: the unbound certificate goes, its key pair is reused, one spare key deleted', () => {
    const plan = planTlsCredential({ contexts: [], certificates: [siteCertificate('cert-1', 0)], keyPairs: [keyPair(0), keyPair(1)] }, ca());
    assert.deepEqual(plan, { deleteContexts: [], deleteCertificates: ['cert-1'], reuseKeyPair: keyPair(0), deleteKeyPairs: [keyPair(1).instanceId] });
  });

  void it('leaves certificates of other names and their keys alone', () => {
    const foreign = siteCertificate('cert-9', 1, 'other.amt.test');
    const plan = planTlsCredential({ contexts: [], certificates: [foreign], keyPairs: [keyPair(1), keyPair(0)] }, ca());
    assert.deepEqual(plan, { deleteContexts: [], deleteCertificates: [], reuseKeyPair: keyPair(0), deleteKeyPairs: [] });
  });

  void it('does not keep a bound certificate whose key pair is gone', () => {
    const plan = planTlsCredential({ contexts: [context('cert-1')], certificates: [siteCertificate('cert-1', 0)], keyPairs: [] }, ca());
    assert.deepEqual(plan, { deleteContexts: [context('cert-1')], deleteCertificates: ['cert-1'], deleteKeyPairs: [] });
  });
});
