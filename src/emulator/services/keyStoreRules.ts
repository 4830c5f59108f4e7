// Rules for the device's key store shared by the EOI CertStore service (phase 1) and the
// WS-Man certificate classes (phase 2): capacity, DER/PEM conversion, what a TLS server
// certificate must be. Capacities are the emulator's choice (public AMT material gives none).
import crypto from 'node:crypto';
import { PT_STATUS } from '../../contract/ptStatus';
import type { Firmware } from '../firmware/firmware';
import { refuse } from './refusal';
import { decodeBase64 } from './validation/credentials';

export const MAX_KEY_PAIRS = 8;
export const MAX_CERTIFICATES = 32;

export function assertRoomForKeyPair(fw: Firmware): void {
  if (fw.state.keyStore.keyPairs.length >= MAX_KEY_PAIRS) refuse(PT_STATUS.MAX_LIMIT_REACHED, `key store holds ${MAX_KEY_PAIRS} key pairs already`);
}

export function assertRoomForCertificate(fw: Firmware): void {
  if (fw.state.keyStore.certificates.length >= MAX_CERTIFICATES) refuse(PT_STATUS.MAX_LIMIT_REACHED, `key store holds ${MAX_CERTIFICATES} certificates already`);
}

/** A base64 DER certificate as PEM; refuses (INVALID_CERT) what is not base64 DER of a certificate. */
export function certificatePemFromBase64Der(base64: string): string {
  const der = decodeBase64(base64);
  if (!der || der.length === 0) refuse(PT_STATUS.INVALID_CERT, 'certificate blob is not base64 DER');
  try {
    return new crypto.X509Certificate(der).toString();
  } catch (err) {
    refuse(PT_STATUS.INVALID_CERT, 'certificate blob is not a DER X.509 certificate', { cause: err });
  }
}

/** PEM (any PEM block) to base64 of its DER body. */
export function derBase64FromPem(pem: string): string {
  return pem.replace(/-----(BEGIN|END)[^-]+-----/g, '').replace(/\s+/g, '');
}

/** Refuses (INVALID_CERT) a certificate the device cannot serve as its TLS identity now. */
export function assertUsableTlsCertificate(fw: Firmware, certificateHandle: number): void {
  const entry = fw.state.keyStore.certificates.find((c) => c.handle === certificateHandle);
  if (!entry) return; // the firmware answers INVALID_HANDLE
  const cert = new crypto.X509Certificate(entry.pem);
  const now = fw.now().getTime();
  if (cert.ca) refuse(PT_STATUS.INVALID_CERT, 'a CA certificate cannot be the TLS server certificate');
  if (now < Date.parse(cert.validFrom) || now > Date.parse(cert.validTo)) refuse(PT_STATUS.INVALID_CERT, 'the certificate is not valid at the device clock');
}
