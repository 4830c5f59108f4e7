// Mutual TLS between client agents and the site server API, all under the site's issuing CA
// (the CA that signs device TLS certificates in phase 1): an agent gets a clientAuth
// certificate at enrollment (`amtprov agent enroll`), the server a serverAuth certificate for
// its names at every start (kept in memory only, so no server key file exists to protect),
// and the server admits an agent only when its certificate was issued by that CA and says
// clientAuth. Device certificates (serverAuth only) and the provisioning certificate (issued
// by the root) are therefore never agent credentials.
import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import forge from 'node-forge';
import type { DeviceCertificateIssuer } from '../../pki/deviceCertificate';
import { addDays, generateRsaKeyPair, sha256Fingerprint, signCertificate } from '../../pki/x509';

export const CLIENT_AUTH_OID = '1.3.6.1.5.5.7.3.2';
const AGENT_VALIDITY_DAYS = 730;
const SERVER_VALIDITY_DAYS = 365;

export interface IssuedTlsCredential {
  certPem: string;
  /** PKCS#8 PEM. */
  keyPem: string;
  /** The issuing CA, then its parents: the trust anchors of the other side. */
  caChainPem: string[];
  fingerprintSha256: string;
  serialNumber: string;
  notAfter: Date;
}

interface Template {
  commonName: string;
  extendedKeyUsage: { serverAuth?: true; clientAuth?: true };
  altNames: { type: number; value?: string; ip?: string }[];
  validityDays: number;
  now?: Date;
}

function issue(issuer: DeviceCertificateIssuer, template: Template): IssuedTlsCredential {
  const caCert = forge.pki.certificateFromPem(issuer.certPem);
  const now = template.now ?? new Date();
  if (caCert.validity.notAfter <= now) throw new Error('the site issuing CA certificate has expired');
  const wanted = addDays(now, template.validityDays);
  const notAfter = wanted < caCert.validity.notAfter ? wanted : caCert.validity.notAfter;
  const keys = generateRsaKeyPair();
  const cert = signCertificate({
    subject: [{ name: 'commonName', value: template.commonName }],
    publicKey: keys.publicKey,
    notBefore: new Date(now.getTime() - 5 * 60_000),
    notAfter,
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', ...template.extendedKeyUsage },
      ...(template.altNames.length > 0 ? [{ name: 'subjectAltName', altNames: template.altNames }] : []),
    ],
  }, { cert: caCert, privateKey: forge.pki.privateKeyFromPem(issuer.keyPem) });
  return {
    certPem: forge.pki.certificateToPem(cert),
    keyPem: keys.privateKeyPem,
    caChainPem: [issuer.certPem, ...issuer.chainPem],
    fingerprintSha256: sha256Fingerprint(cert),
    serialNumber: cert.serialNumber,
    notAfter,
  };
}

/** Agent names become the certificate CN and the audit actor `agent:<name>`. */
export function checkAgentName(name: string): string | undefined {
  return /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(name) ? undefined : `agent name "${name}" must be 1-63 letters, digits, dots, hyphens or underscores`;
}

/** The one computer an agent speaks for: its FQDN, and its SMBIOS UUID when the operator knows it. */
export interface AgentBinding {
  fqdn: string;
  uuid?: string;
}

/**
 * The binding is written into the certificate (SAN dNSName, and `urn:uuid:` URI) for anyone
 * who reads it; the site API enforces the binding from its own agents table, looked up by
 * serial number, which is also where revocation lives.
 */
export function issueAgentCertificate(issuer: DeviceCertificateIssuer, name: string, binding: AgentBinding, options: { now?: Date } = {}): IssuedTlsCredential {
  const problem = checkAgentName(name);
  if (problem) throw new Error(problem);
  const altNames = [{ type: 2, value: binding.fqdn.toLowerCase() }, ...(binding.uuid ? [{ type: 6, value: `urn:uuid:${binding.uuid}` }] : [])];
  return issue(issuer, { commonName: name, extendedKeyUsage: { clientAuth: true }, altNames, validityDays: AGENT_VALIDITY_DAYS, ...options });
}

/** The server's certificate for the names (DNS names or IP addresses) agents reach it by. */
export function issueSiteServerCertificate(issuer: DeviceCertificateIssuer, names: string[], options: { now?: Date } = {}): IssuedTlsCredential {
  const unique = [...new Set(names.map((n) => n.toLowerCase()))];
  if (unique.length === 0) throw new Error('the site server certificate needs at least one name');
  return issue(issuer, {
    commonName: unique[0],
    extendedKeyUsage: { serverAuth: true },
    altNames: unique.map((name) => (isIP(name) ? { type: 7, ip: name } : { type: 2, value: name })),
    validityDays: SERVER_VALIDITY_DAYS,
    ...options,
  });
}

export interface PeerCertificate {
  /** What Node's own chain check said (TLSSocket.authorized / authorizationError). */
  authorized: boolean;
  authorizationError?: string | Error | null;
  certificate: X509Certificate | undefined;
}

/**
 * Why this peer is not an enrolled agent, or undefined when it is. The site's own rules come
 * first, so the reason names them: issued directly by the issuing CA (not merely by some
 * certificate under the same root), clientAuth, within validity; then Node's (OpenSSL's)
 * verdict on the chain against the CA bundle must agree.
 */
export function agentCertificateProblem(peer: PeerCertificate, issuingCa: X509Certificate, now = new Date()): string | undefined {
  const cert = peer.certificate;
  if (!cert) return 'no client certificate was presented';
  if (!cert.checkIssued(issuingCa) || !cert.verify(issuingCa.publicKey)) return 'the client certificate was not issued by the site issuing CA';
  if (!(cert.keyUsage ?? []).includes(CLIENT_AUTH_OID)) return 'the client certificate is not for client authentication (no clientAuth extended key usage)';
  if (now < new Date(cert.validFrom) || now > new Date(cert.validTo)) return 'the client certificate is expired or not yet valid';
  if (!peer.authorized) return `the client certificate failed TLS chain verification (${String(peer.authorizationError ?? 'unverified')})`;
  return undefined;
}

/** The enrolled agent's name: its certificate's CN. */
export function agentNameOf(cert: X509Certificate): string {
  return /^CN=(.+)$/m.exec(cert.subject)?.[1] ?? 'unnamed';
}
