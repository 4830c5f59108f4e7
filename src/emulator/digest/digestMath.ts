// RFC 7616 Digest arithmetic with MD5 and qop="auth" (docs/amt-protocol.md section 4). AMT only
// speaks MD5, so nothing else is offered.
import crypto from 'node:crypto';

export function md5Hex(text: string): string {
  return crypto.createHash('md5').update(text, 'utf8').digest('hex');
}

/** HA1 = MD5(username:realm:password): what the firmware stores instead of the password. */
export function digestHa1(username: string, realm: string, password: string): string {
  return md5Hex(`${username}:${realm}:${password}`);
}

export interface DigestResponseInput {
  ha1: string;
  method: string;
  uri: string;
  nonce: string;
  nc: string;
  cnonce: string;
  qop: 'auth';
}

/** response = MD5(HA1:nonce:nc:cnonce:qop:HA2), HA2 = MD5(method:uri). */
export function digestResponse(input: DigestResponseInput): string {
  const ha2 = md5Hex(`${input.method}:${input.uri}`);
  return md5Hex(`${input.ha1}:${input.nonce}:${input.nc}:${input.cnonce}:${input.qop}:${ha2}`);
}

/** Constant-time comparison of two hex digests. */
export function sameDigest(a: string, b: string): boolean {
  const left = Buffer.from(a.toLowerCase(), 'utf8');
  const right = Buffer.from(b.toLowerCase(), 'utf8');
  return left.length === right.length && crypto.timingSafeEqual(left, right);
}
