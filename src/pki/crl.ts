// The site issuing CA's certificate revocation list (RFC 5280 section 5): every device
// certificate the site revoked (an unprovision revokes the one its device served, reason
// superseded), signed SHA-256 with RSA by the issuing CA. node-forge reads and writes
// certificates but has no CRL support, so the structure is written with its ASN.1 module.
import { sign } from 'node:crypto';
import forge from 'node-forge';
import { nativePrivateKey } from './x509';
import type { RevokedDeviceCertificate, RevocationReason } from '../site/certificateRevocations';

const { asn1 } = forge;
const { Class, Type } = asn1;

/** CRLReason (RFC 5280 section 5.3.1). */
const REASON_CODE: Record<RevocationReason, number> = { keyCompromise: 1, superseded: 4, cessationOfOperation: 5 };

export interface CrlIssuer {
  certPem: string;
  keyPem: string;
}

export interface CrlOptions {
  /** Monotonic CRL number (RFC 5280 5.2.3); e.g. the count of revocations or a timestamp. */
  crlNumber: number;
  thisUpdate: Date;
  nextUpdate: Date;
}

const oid = (dotted: string): forge.asn1.Asn1 => asn1.create(Class.UNIVERSAL, Type.OID, false, asn1.oidToDer(dotted).getBytes());
const integerHex = (hex: string): forge.asn1.Asn1 => {
  // DER INTEGER: positive, minimal, with a leading zero byte when the top bit is set.
  let bytes = forge.util.hexToBytes(hex.length % 2 ? `0${hex}` : hex);
  while (bytes.length > 1 && bytes.charCodeAt(0) === 0) bytes = bytes.slice(1);
  if (bytes.charCodeAt(0) & 0x80) bytes = `\x00${bytes}`;
  return asn1.create(Class.UNIVERSAL, Type.INTEGER, false, bytes);
};
/** UTCTime until 2049, GeneralizedTime after (RFC 5280 5.1.2.4). */
const time = (date: Date): forge.asn1.Asn1 => date.getUTCFullYear() < 2050
  ? asn1.create(Class.UNIVERSAL, Type.UTCTIME, false, asn1.dateToUtcTime(date))
  : asn1.create(Class.UNIVERSAL, Type.GENERALIZEDTIME, false, asn1.dateToGeneralizedTime(date));
const extension = (id: string, value: forge.asn1.Asn1): forge.asn1.Asn1 => asn1.create(Class.UNIVERSAL, Type.SEQUENCE, true, [
  oid(id), asn1.create(Class.UNIVERSAL, Type.OCTETSTRING, false, asn1.toDer(value).getBytes()),
]);
const sequence = (items: forge.asn1.Asn1[]): forge.asn1.Asn1 => asn1.create(Class.UNIVERSAL, Type.SEQUENCE, true, items);

export function createCrl(issuer: CrlIssuer, revoked: readonly RevokedDeviceCertificate[], options: CrlOptions): string {
  if (options.nextUpdate <= options.thisUpdate) throw new Error('the CRL\'s next update must come after its this-update time');
  const caCert = forge.pki.certificateFromPem(issuer.certPem);
  const caKey = forge.pki.privateKeyFromPem(issuer.keyPem);
  const sha256WithRsa = sequence([oid(forge.pki.oids.sha256WithRSAEncryption), asn1.create(Class.UNIVERSAL, Type.NULL, false, '')]);
  const entries = revoked.map((r) => sequence([
    integerHex(r.serialNumber),
    time(new Date(r.revokedAt)),
    sequence([extension('2.5.29.21', asn1.create(Class.UNIVERSAL, Type.ENUMERATED, false, String.fromCharCode(REASON_CODE[r.reason])))]),
  ]));
  const tbs = sequence([
    asn1.create(Class.UNIVERSAL, Type.INTEGER, false, '\x01'), // v2
    sha256WithRsa,
    forge.pki.distinguishedNameToAsn1(caCert.subject),
    time(options.thisUpdate),
    time(options.nextUpdate),
    ...(entries.length > 0 ? [sequence(entries)] : []),
    asn1.create(Class.CONTEXT_SPECIFIC, 0, true, [sequence([
      // Authority key identifier: the issuing CA's subject key identifier, as its certificates carry it.
      extension('2.5.29.35', sequence([asn1.create(Class.CONTEXT_SPECIFIC, 0, false, caCert.generateSubjectKeyIdentifier().getBytes())])),
      extension('2.5.29.20', integerHex(options.crlNumber.toString(16))),
    ])]),
  ]);
  const signature = sign('sha256', Buffer.from(asn1.toDer(tbs).getBytes(), 'binary'), nativePrivateKey(caKey)).toString('binary');
  const crl = sequence([tbs, sha256WithRsa, asn1.create(Class.UNIVERSAL, Type.BITSTRING, false, `\x00${signature}`)]);
  const der = asn1.toDer(crl).getBytes();
  return forge.pem.encode({ type: 'X509 CRL', body: der }, { maxline: 64 });
}
