// Writes PKCS#12 (PFX) files for operators (the demo PKI's provisioning certificate).
// Reading one is src/amt/pkcs12.ts (splitPkcs12).
import forge from 'node-forge';

/** A PFX with the key and chain, encrypted with `passphrase` (3DES: what every Windows imports). */
export function writePkcs12(chainPem: string[], keyPem: string, passphrase: string, friendlyName?: string): Buffer {
  const asn1 = forge.pkcs12.toPkcs12Asn1(
    forge.pki.privateKeyFromPem(keyPem),
    chainPem.map((pem) => forge.pki.certificateFromPem(pem)),
    passphrase,
    { algorithm: '3des', ...(friendlyName ? { friendlyName } : {}) },
  );
  return Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary');
}
