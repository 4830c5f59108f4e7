// Opens a provisioning certificate's PKCS#12 (PFX) file: its private key and its chain,
// ordered leaf first, root last, as checkProvisioningChain and the TLS connector take them.
import forge from 'node-forge';
import { Pkcs12Invalid } from './errors';

export interface ProvisioningCredential {
  privateKeyPem: string;
  /** Leaf first, then each issuer found in the file; root last when the file holds it. */
  chainPem: string[];
}

export function splitPkcs12(pfx: Buffer, passphrase: string): ProvisioningCredential {
  let p12: forge.pkcs12.Pkcs12Pfx;
  try {
    p12 = forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(pfx.toString('binary')), passphrase);
  } catch {
    // No cause attached: forge's error state may hold key material derived from the passphrase.
    throw new Pkcs12Invalid('the PKCS#12 file is malformed or the passphrase is wrong');
  }
  const keys = [forge.pki.oids.pkcs8ShroudedKeyBag, forge.pki.oids.keyBag]
    .flatMap((bagType) => p12.getBags({ bagType })[bagType] ?? [])
    .flatMap((bag) => (bag.key ? [bag.key] : []));
  if (keys.length !== 1) throw new Pkcs12Invalid(`the PKCS#12 file holds ${keys.length} RSA private keys; expected exactly 1`);
  const [key] = keys;
  const certs = (p12.getBags({ bagType: forge.pki.oids.certBag })[forge.pki.oids.certBag] ?? [])
    .flatMap((bag) => (bag.cert ? [bag.cert] : []));
  const leaf = certs.find((cert) => (cert.publicKey as forge.pki.rsa.PublicKey).n.equals(key.n));
  if (!leaf) throw new Pkcs12Invalid(`none of the ${certs.length} certificate(s) in the PKCS#12 file matches its private key`);
  return { privateKeyPem: forge.pki.privateKeyToPem(key), chainPem: orderChain(leaf, certs).map((cert) => forge.pki.certificateToPem(cert)) };
}

function orderChain(leaf: forge.pki.Certificate, certs: forge.pki.Certificate[]): forge.pki.Certificate[] {
  const chain = [leaf];
  let current = leaf;
  while (!current.isIssuer(current)) {
    const issuer = certs.find((cert) => !chain.includes(cert) && current.isIssuer(cert));
    if (!issuer) break; // incomplete chain: checkProvisioningChain reports it
    chain.push(issuer);
    current = issuer;
  }
  return chain;
}
