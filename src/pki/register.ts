// Registers certificates in the site store after checking them: a provisioning certificate
// against the device's rules (docs/amt-protocol.md section 3, via src/amt/certRules) and an
// issuing CA for device TLS certificates. Each registration is audited.
import forge from 'node-forge';
import { checkProvisioningChain, rootHashes, type CertRuleId } from '../amt/certRules';
import type { NewProvisioningCertificate, ProvisioningCertificate } from '../site/certificates';
import type { IssuingCaRecord } from '../site/certificates';
import type { SiteStoreView } from '../site/store';
import type { DemoPki } from './demoPki';
import { commonName, pemToDer, sameRsaKey, sha256Fingerprint } from './x509';

export interface KeyedChain {
  /** Leaf first, root last. */
  chainPem: string[];
  keyPem: string;
}

export interface RegistrationFailure {
  rule: CertRuleId | 'key-pair';
  message: string;
}

export type ProvisioningRegistration =
  | { ok: true; certificate: ProvisioningCertificate; added: boolean }
  | { ok: false; failures: RegistrationFailure[] };

function keyMatches(certPem: string, keyPem: string): boolean {
  const key = forge.pki.privateKeyFromPem(keyPem);
  const cert = forge.pki.certificateFromPem(certPem);
  return sameRsaKey(cert.publicKey as forge.pki.rsa.PublicKey, forge.pki.setRsaPublicKey(key.n, key.e));
}

/**
 * The DNS suffix a provisioning certificate serves: its CN (else first SAN DNS name) without
 * the host label; `*.amt.test` and `provisionserver.amt.test` both give `amt.test`.
 */
export function dnsSuffixOfLeaf(leaf: forge.pki.Certificate): string | undefined {
  const san = leaf.getExtension('subjectAltName') as { altNames?: { type: number; value: string }[] } | null;
  const name = commonName(leaf) ?? san?.altNames?.find((n) => n.type === 2)?.value;
  const labels = name?.toLowerCase().replace(/\.$/, '').split('.') ?? [];
  return labels.length >= 3 || (labels.length === 2 && labels[0] === '*') ? labels.slice(1).join('.') : undefined;
}

/**
 * Checks a provisioning certificate with the device-independent rules (EKU or OU, complete
 * chain, validity, CA key size) and, when it passes, the record the store keeps.
 */
export function inspectProvisioningCertificate(credential: KeyedChain, now = new Date()):
  { failures: RegistrationFailure[]; record?: NewProvisioningCertificate } {
  const failures: RegistrationFailure[] = checkProvisioningChain(credential.chainPem, { now });
  if (credential.chainPem.length > 0 && !keyMatches(credential.chainPem[0], credential.keyPem)) {
    failures.push({ rule: 'key-pair', message: 'the private key does not belong to the leaf certificate' });
  }
  if (failures.length > 0) return { failures };
  const leaf = forge.pki.certificateFromPem(credential.chainPem[0]);
  const dnsSuffix = dnsSuffixOfLeaf(leaf);
  if (!dnsSuffix) {
    return { failures: [{ rule: 'domain-suffix', message: `leaf CN "${commonName(leaf) ?? ''}" is not a host name in a DNS domain (expected provisionserver.<domain>)` }] };
  }
  return {
    failures: [],
    record: {
      chainPem: credential.chainPem,
      keyPem: credential.keyPem,
      subjectCn: commonName(leaf) ?? dnsSuffix,
      leafSha256: sha256Fingerprint(leaf),
      rootHashes: rootHashes(pemToDer(credential.chainPem.at(-1)!)),
      dnsSuffix,
      notAfter: leaf.validity.notAfter,
    },
  };
}

export function registerProvisioningCertificate(store: SiteStoreView, credential: KeyedChain, actor: string, now = new Date()): Promise<ProvisioningRegistration> {
  const { failures, record } = inspectProvisioningCertificate(credential, now);
  return store.transaction(async (tx) => {
    if (!record) {
      await tx.audit.recordAudit({ actor, action: 'certificate.provisioning.add', outcome: 'failure', detail: { failedRules: failures.map((f) => f.rule).join(',') } });
      return { ok: false as const, failures };
    }
    const { certificate, added } = await tx.provisioningCertificates.add(record);
    await tx.audit.recordAudit({
      actor,
      action: 'certificate.provisioning.add',
      outcome: 'success',
      detail: { id: certificate.id, subjectCn: certificate.subjectCn, rootSha256: certificate.rootHashes.sha256, added },
    });
    return { ok: true as const, certificate, added };
  });
}

/** Sets the site's issuing CA after checking it is a CA and the key is its own. */
export async function registerIssuingCa(store: SiteStoreView, ca: { certPem: string; keyPem: string; chainPem: string[] }, actor: string): Promise<IssuingCaRecord> {
  const cert = forge.pki.certificateFromPem(ca.certPem);
  const constraints = cert.getExtension('basicConstraints') as { cA?: boolean } | null;
  if (constraints?.cA !== true) throw new Error(`"${commonName(cert) ?? 'certificate'}" is not a CA (basicConstraints cA is not set)`);
  if (!keyMatches(ca.certPem, ca.keyPem)) throw new Error('the issuing CA key does not belong to its certificate');
  return store.transaction(async (tx) => {
    const record = await tx.issuingCa.set({ ...ca, subject: commonName(cert) ?? '', notAfter: cert.validity.notAfter });
    await tx.audit.recordAudit({ actor, action: 'certificate.issuing-ca.set', outcome: 'success', detail: { subject: record.subject, notAfter: record.notAfter } });
    return record;
  });
}

/** Registers the demo PKI's provisioning certificate and issuing CA, in one transaction. */
export function registerDemoPki(store: SiteStoreView, pki: DemoPki, actor: string): Promise<{ provisioning: ProvisioningCertificate; issuingCa: IssuingCaRecord }> {
  return store.transaction(async (tx) => {
    const registration = await registerProvisioningCertificate(tx, { chainPem: pki.provisioning.chainPem, keyPem: pki.provisioning.keyPem }, actor);
    if (!registration.ok) throw new Error(`demo provisioning certificate rejected: ${registration.failures.map((f) => f.message).join('; ')}`);
    return { provisioning: registration.certificate, issuingCa: await registerIssuingCa(tx, pki.issuingCa, actor) };
  });
}
