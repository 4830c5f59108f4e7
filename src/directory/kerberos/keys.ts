// Kerberos long-term keys from a password: RC4-HMAC (RFC 4757: MD4 of the UTF-16LE password)
// and AES-CTS-HMAC-SHA1-96 (RFC 3962: PBKDF2-HMAC-SHA1, then DK with the constant "kerberos").
import { createCipheriv, pbkdf2Sync } from 'node:crypto';
import { md4 } from './md4';

/** RFC 3962's default iteration count; AD uses it for every AES key. */
export const AES_DEFAULT_ITERATIONS = 4096;

/** RFC 4757 string-to-key: the NT hash. 16 bytes. */
export function rc4HmacKey(password: string): Buffer {
  return md4(Buffer.from(password, 'utf16le'));
}

function rotateRight(bytes: Buffer, bits: number): Buffer {
  const n = bytes.length * 8;
  const out = Buffer.alloc(bytes.length);
  for (let i = 0; i < n; i += 1) {
    const src = (((i - bits) % n) + n) % n;
    if (bytes[src >> 3] & (0x80 >> (src & 7))) out[i >> 3] |= 0x80 >> (i & 7);
  }
  return out;
}

/** Big-endian one's-complement addition: the carry out of the top byte wraps to the bottom. */
function onesComplementAdd(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.alloc(a.length);
  let carry = 0;
  for (let i = a.length - 1; i >= 0; i -= 1) {
    const sum = a[i] + b[i] + carry;
    out[i] = sum & 0xff;
    carry = sum >> 8;
  }
  while (carry) {
    for (let i = out.length - 1; i >= 0 && carry; i -= 1) {
      const sum = out[i] + carry;
      out[i] = sum & 0xff;
      carry = sum >> 8;
    }
  }
  return out;
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/**
 * RFC 3961 section 5.1 n-fold: repeat the input (each copy rotated 13 bits further right) to
 * the least common multiple of both lengths, then add the outBytes-sized pieces together.
 */
export function nfold(input: Buffer, outBytes: number): Buffer {
  const total = (input.length * outBytes) / gcd(input.length, outBytes);
  const copies = Array.from({ length: total / input.length }, (_, k) => rotateRight(input, 13 * k));
  const stream = Buffer.concat(copies);
  let sum: Buffer = Buffer.alloc(outBytes);
  for (let offset = 0; offset < total; offset += outBytes) sum = onesComplementAdd(sum, stream.subarray(offset, offset + outBytes));
  return sum;
}

/** RFC 3961 DK for AES (random-to-key is the identity): encrypt n-fold(constant) repeatedly. */
function deriveAesKey(baseKey: Buffer, constant: Buffer): Buffer {
  const cipher = `aes-${baseKey.length * 8}-ecb`;
  const blocks: Buffer[] = [];
  let block = nfold(constant, 16);
  while (blocks.length * 16 < baseKey.length) {
    const aes = createCipheriv(cipher, baseKey, null).setAutoPadding(false);
    block = Buffer.concat([aes.update(block), aes.final()]);
    blocks.push(block);
  }
  return Buffer.concat(blocks).subarray(0, baseKey.length);
}

/** RFC 3962 string-to-key for aes128 (keyBytes 16) or aes256 (32) -cts-hmac-sha1-96. */
export function aesStringToKey(password: string | Buffer, salt: string | Buffer, keyBytes: 16 | 32, iterations = AES_DEFAULT_ITERATIONS): Buffer {
  const tkey = pbkdf2Sync(password, salt, iterations, keyBytes, 'sha1');
  return deriveAesKey(tkey, Buffer.from('kerberos', 'ascii'));
}

/**
 * The salt AD uses for a computer account's AES keys (MS-KILE 3.1.1.2):
 * <REALM upper-case> "host" <name without $, lower-case> "." <realm lower-case>.
 */
export function computerAccountSalt(realm: string, netbiosName: string): string {
  return `${realm.toUpperCase()}host${netbiosName.replace(/\$$/, '').toLowerCase()}.${realm.toLowerCase()}`;
}
