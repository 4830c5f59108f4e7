// The device's key store (CertStore service, section 5 step 7.3): key pairs it generated and
// certificates it was given, each under a handle. Functions over the state; Firmware persists.
import crypto from 'node:crypto';
import { PT_STATUS } from '../../contract/ptStatus';
import { certificatePublicKeyDer, generateRsaKeyPair, type DeviceKeyPair } from '../crypto/deviceKeys';
import { FirmwareError } from './errors';
import type { CertificateEntry, KeyPairEntry, KeyStore } from './types';

/** A new key pair under the next handle: `prepared` if given (made ahead, see preparedKeys.ts), else generated now. */
export async function generateKeyPairEntry(store: KeyStore, bits: number, prepared?: DeviceKeyPair): Promise<KeyPairEntry> {
  const pair = prepared ?? (await generateRsaKeyPair(bits));
  const entry: KeyPairEntry = { handle: store.nextHandle, privateKeyPem: pair.privateKeyPem, publicKeyDer: pair.publicKeyDer };
  store.nextHandle += 1;
  store.keyPairs.push(entry);
  return entry;
}

export function addCertificateEntry(store: KeyStore, pem: string): CertificateEntry {
  let x509: crypto.X509Certificate;
  try {
    x509 = new crypto.X509Certificate(pem);
  } catch (err) {
    throw new FirmwareError(PT_STATUS.INVALID_CERT, 'not a parseable X.509 certificate', { cause: err });
  }
  const canonical = x509.toString();
  if (store.certificates.some((c) => c.pem === canonical)) {
    throw new FirmwareError(PT_STATUS.DUPLICATE, `certificate ${x509.subject.replace(/\n/g, ', ')} is already stored`);
  }
  const publicKeyDer = certificatePublicKeyDer(canonical);
  const key = store.keyPairs.find((k) => k.publicKeyDer === publicKeyDer);
  const entry: CertificateEntry = {
    handle: store.nextHandle,
    pem: canonical,
    isRoot: x509.subject === x509.issuer && x509.verify(x509.publicKey),
    ...(key ? { keyHandle: key.handle } : {}),
  };
  store.nextHandle += 1;
  store.certificates.push(entry);
  return entry;
}

export function findKeyPair(store: KeyStore, handle: number): KeyPairEntry {
  const key = store.keyPairs.find((k) => k.handle === handle);
  if (!key) throw new FirmwareError(PT_STATUS.INVALID_HANDLE, `no key pair with handle ${handle}`);
  return key;
}

export function findCertificate(store: KeyStore, handle: number): CertificateEntry {
  const cert = store.certificates.find((c) => c.handle === handle);
  if (!cert) throw new FirmwareError(PT_STATUS.INVALID_HANDLE, `no certificate with handle ${handle}`);
  return cert;
}

/** The stored CA certificates that chain the leaf up (issuer order), for the TLS server to send. */
export function issuerChain(store: KeyStore, leafPem: string): string[] {
  const chain: string[] = [];
  let current = new crypto.X509Certificate(leafPem);
  for (let depth = 0; depth < 8 && current.subject !== current.issuer; depth += 1) {
    const child = current;
    const issuer = store.certificates
      .map((c) => new crypto.X509Certificate(c.pem))
      .find((candidate) => candidate.subject === child.issuer && child.checkIssued(candidate) && child.verify(candidate.publicKey));
    if (!issuer) break;
    chain.push(issuer.toString());
    current = issuer;
  }
  return chain;
}
