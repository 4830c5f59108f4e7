// Issues a device's certificates from the site's issuing CA, for the device FQDN (subject CN
// and SAN DNS) over the device's own key (its PKCS#10 request after GenerateKeyPair on early
// firmware, its DERKey on modern firmware) or a public key the server supplies: its TLS server
// certificate (seed step 7.3, serverAuth) and its 802.1X client certificate (step 8.4, clientAuth).
import { createPublicKey } from 'node:crypto';
import forge from 'node-forge';
import { ProvisioningRefused } from '../errors';
import { checkFqdn } from '../site/identifiers';
import { addDays, commonName, sameRsaKey, sha256Fingerprint, signCertificate } from './x509';

export interface DeviceCertificateIssuer {
  certPem: string;
  keyPem: string;
  /** The issuing CA's parents up to the root. */
  chainPem: string[];
}

/**
 * The device's PKCS#10 request (PEM, or DER as CertStore.GetPKCS10Request returns it), its
 * public key as AMT_PublicPrivateKeyPair.DERKey carries it (PKCS#1 RSAPublicKey, DER), or a
 * public key the server supplies.
 */
export type DeviceKeySource = { csrPem: string } | { csrDer: Buffer } | { rsaPublicKeyDer: Buffer } | { publicKeyPem: string };

export interface DeviceCertificateRequest {
  fqdn: string;
  key: DeviceKeySource;
  /** serverAuth (default): the device's TLS identity; clientAuth: its EAP-TLS identity towards RADIUS. */
  usage?: 'serverAuth' | 'clientAuth';
  /** Default 365 days, never past the issuing CA's own expiry. */
  validityDays?: number;
  now?: Date;
}

export interface IssuedDeviceCertificate {
  certPem: string;
  /** Issuing CA first, then its parents: what the device presents after its own cert. */
  chainPem: string[];
  fingerprintSha256: string;
  notAfter: Date;
}

function devicePublicKey(source: DeviceKeySource): forge.pki.rsa.PublicKey {
  if ('csrPem' in source || 'csrDer' in source) {
    let csr: forge.pki.CertificateSigningRequest;
    try {
      csr = 'csrPem' in source
        ? forge.pki.certificationRequestFromPem(source.csrPem)
        : forge.pki.certificationRequestFromAsn1(forge.asn1.fromDer(source.csrDer.toString('binary')));
    } catch (err) {
      throw new Error('device certificate request is not a PKCS#10 RSA request', { cause: err });
    }
    // A request whose signature fails was not made by the holder of the key (forge throws
    // on some malformed signatures instead of returning false).
    let verified: boolean;
    try {
      verified = csr.verify();
    } catch {
      verified = false;
    }
    if (!verified) throw new Error('device certificate request signature does not verify');
    if (!csr.publicKey) throw new Error('device certificate request carries no public key');
    return csr.publicKey as forge.pki.rsa.PublicKey;
  }
  if ('rsaPublicKeyDer' in source) {
    let pem: string;
    try {
      pem = createPublicKey({ key: source.rsaPublicKeyDer, format: 'der', type: 'pkcs1' }).export({ format: 'pem', type: 'spki' }).toString();
    } catch (err) {
      throw new Error('device public key is not a DER PKCS#1 RSA public key', { cause: err });
    }
    return forge.pki.publicKeyFromPem(pem);
  }
  return forge.pki.publicKeyFromPem(source.publicKeyPem);
}

export function issueDeviceCertificate(request: DeviceCertificateRequest, issuer: DeviceCertificateIssuer): IssuedDeviceCertificate {
  const fqdn = checkFqdn(request.fqdn);
  if (!fqdn.ok) throw new Error(`cannot issue a device certificate: ${fqdn.reason}`);
  const publicKey = devicePublicKey(request.key);
  if (!publicKey.n || publicKey.n.bitLength() < 2048) throw new Error('device key must be RSA of at least 2048 bits');

  const caCert = forge.pki.certificateFromPem(issuer.certPem);
  const caKey = forge.pki.privateKeyFromPem(issuer.keyPem);
  if (!sameRsaKey(caCert.publicKey as forge.pki.rsa.PublicKey, forge.pki.setRsaPublicKey(caKey.n, caKey.e))) {
    throw new ProvisioningRefused('IssuingCaInvalid', `issuing CA key does not belong to the issuing CA certificate (${commonName(caCert) ?? 'no CN'})`);
  }
  const now = request.now ?? new Date();
  if (caCert.validity.notAfter <= now) throw new ProvisioningRefused('IssuingCaInvalid', 'issuing CA certificate has expired; register a new one (amtprov pki)');
  const wanted = addDays(now, request.validityDays ?? 365);
  const notAfter = wanted < caCert.validity.notAfter ? wanted : caCert.validity.notAfter;

  const cert = signCertificate({
    subject: [{ name: 'commonName', value: fqdn.value }],
    publicKey,
    // A little slack for a device clock that lags the server's.
    notBefore: new Date(now.getTime() - 5 * 60_000),
    notAfter,
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', [request.usage ?? 'serverAuth']: true },
      { name: 'subjectAltName', altNames: [{ type: 2, value: fqdn.value }] },
    ],
  }, { cert: caCert, privateKey: caKey });

  return {
    certPem: forge.pki.certificateToPem(cert),
    chainPem: [issuer.certPem, ...issuer.chainPem],
    fingerprintSha256: sha256Fingerprint(cert),
    notAfter,
  };
}
