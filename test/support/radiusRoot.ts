// A RADIUS server's root CA for 802.1X tests (self-signed, 2048-bit RSA, made with the
// project's own X.509 helpers), and what the settings must refuse in its place.
import forge from 'node-forge';
import { addDays, caExtensions, generateRsaKeyPair, signCertificate } from '../../src/pki/x509';

export interface TestRoot { certPem: string; keyPem: string }

export function makeRadiusRoot(cn: string, options: { notAfter?: Date; ca?: boolean } = {}): TestRoot {
  const keys = generateRsaKeyPair();
  const now = new Date();
  const cert = signCertificate({
    subject: [{ name: 'commonName', value: cn }],
    publicKey: keys.publicKey,
    notBefore: addDays(now, -400),
    notAfter: options.notAfter ?? addDays(now, 3650),
    extensions: options.ca === false ? [{ name: 'basicConstraints', cA: false }] : caExtensions(),
  }, { privateKey: keys.privateKey });
  return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.privateKeyPem };
}
