// Key pairs and certificates the device makes itself: its first-boot self-signed TLS
// certificate, key pairs for CertStore GenerateKeyPair, and PKCS#10 requests over them.
// Keys come from Node's asynchronous generator (libuv thread pool) so a fleet booting
// does not block the event loop; node-forge only assembles the ASN.1 and Node signs it.
import crypto from 'node:crypto';
import { promisify } from 'node:util';
import forge from 'node-forge';

const generateKeyPair = promisify(crypto.generateKeyPair);

export interface DeviceKeyPair {
  privateKeyPem: string;
  /** SubjectPublicKeyInfo DER, base64. */
  publicKeyDer: string;
}

export async function generateRsaKeyPair(modulusLength = 2048): Promise<DeviceKeyPair> {
  const { privateKey, publicKey } = await generateKeyPair('rsa', {
    modulusLength,
    publicKeyEncoding: { type: 'spki', format: 'der' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return { privateKeyPem: privateKey, publicKeyDer: publicKey.toString('base64') };
}

/** The SPKI DER (base64) of a certificate's public key, to match it with a key pair. */
export function certificatePublicKeyDer(certificatePem: string): string {
  const der = new crypto.X509Certificate(certificatePem).publicKey.export({ type: 'spki', format: 'der' });
  return der.toString('base64');
}

// forge signs through `key.sign(md)` after feeding the to-be-signed bytes to `md.update`:
// hand it a recorder and a key that signs the recorded bytes natively (forge's pure-JS RSA
// would cost tens of milliseconds per device).
function nativeSha256Signer(privateKeyPem: string): { md: forge.md.MessageDigest; key: forge.pki.rsa.PrivateKey } {
  let toBeSigned = '';
  const md = {
    algorithm: 'sha256',
    update(bytes: string) {
      toBeSigned += bytes;
      return md;
    },
  };
  const key = {
    sign: () => crypto.sign('sha256', Buffer.from(toBeSigned, 'binary'), privateKeyPem).toString('binary'),
  };
  return { md: md as unknown as forge.md.MessageDigest, key: key as unknown as forge.pki.rsa.PrivateKey };
}

function forgePublicKey(privateKeyPem: string): forge.pki.PublicKey {
  const spkiPem = crypto.createPublicKey(privateKeyPem).export({ type: 'spki', format: 'pem' }).toString();
  return forge.pki.publicKeyFromPem(spkiPem);
}

/**
 * The certificate AMT makes for itself at first boot. Subject naming is the emulator's
 * choice (docs/amt-protocol.md is silent): CN `iAMT-<uuid>`; valid from boot for 20 years.
 */
export function makeSelfSignedCertificate(privateKeyPem: string, uuid: string, now: Date): string {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forgePublicKey(privateKeyPem);
  cert.serialNumber = '01' + crypto.randomBytes(8).toString('hex');
  cert.validity.notBefore = new Date(now.getTime() - 60_000);
  cert.validity.notAfter = new Date(now.getTime() + 20 * 365 * 24 * 3600_000);
  const name = [{ shortName: 'CN', value: `iAMT-${uuid}` }, { shortName: 'O', value: 'Intel(R) Client Setup' }];
  cert.setSubject(name);
  cert.setIssuer(name);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
    { name: 'extKeyUsage', serverAuth: true },
  ]);
  const { md, key } = nativeSha256Signer(privateKeyPem);
  cert.sign(key, md);
  return forge.pki.certificateToPem(cert);
}

/** A PKCS#10 request signed with the device's own key (CertStore GetPKCS10Request). */
export function makeCertificationRequest(privateKeyPem: string, subject: { shortName: string; value: string }[]): string {
  const csr = forge.pki.createCertificationRequest();
  csr.publicKey = forgePublicKey(privateKeyPem);
  csr.setSubject(subject);
  const { md, key } = nativeSha256Signer(privateKeyPem);
  csr.sign(key, md);
  return forge.pki.certificationRequestToPem(csr);
}
