// The firmware's own Kerberos string-to-key for AES (AMT 8 and later derive their keys from the
// account's pass phrase): RFC 3962 section 4, i.e. PBKDF2-HMAC-SHA1 over pass phrase and salt,
// then RFC 3961's DK(tkey, "kerberos") with AES as the block cipher and n-fold to stretch the
// constant. PBKDF2 runs in the libuv pool so a large iteration count cannot stall the fleet.
import crypto from 'node:crypto';
import { promisify } from 'node:util';

const pbkdf2 = promisify(crypto.pbkdf2);

/** AMT_KerberosSettingData encryption algorithm values and their RFC 3962 key sizes. */
export const AES_KERBEROS_KEY_BYTES = { 1: 16, 2: 32 } as const;
export type AesKerberosAlgorithm = keyof typeof AES_KERBEROS_KEY_BYTES;

const bitsToBigInt = (bytes: Buffer): bigint => (bytes.length === 0 ? 0n : BigInt(`0x${bytes.toString('hex')}`));

function bigIntToBytes(value: bigint, length: number): Buffer {
  return Buffer.from(value.toString(16).padStart(length * 2, '0'), 'hex');
}

/**
 * RFC 3961 section 5.1 n-fold, read as arithmetic: the input as one big number, copies of it
 * rotated right by 13 more bits each until the copies fill lcm(in, out) bytes, then the
 * out-sized pieces of that stream summed in one's-complement (carries wrap to the low end).
 */
export function nFold(input: Buffer, outBytes: number): Buffer {
  if (input.length === 0 || outBytes <= 0) throw new Error('n-fold needs a non-empty input and output');
  const inBits = BigInt(input.length * 8);
  const outBits = BigInt(outBytes * 8);
  const mask = (1n << inBits) - 1n;
  const value = bitsToBigInt(input);
  const rotateRight = (by: bigint): bigint => {
    const r = by % inBits;
    return ((value >> r) | (value << (inBits - r))) & mask;
  };
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
  const copies = (input.length * outBytes) / gcd(input.length, outBytes) / input.length;
  let stream = 0n;
  for (let k = 0; k < copies; k += 1) stream = (stream << inBits) | rotateRight(13n * BigInt(k));
  const outMask = (1n << outBits) - 1n;
  let sum = 0n;
  for (let rest = stream; rest > 0n; rest >>= outBits) sum += rest & outMask;
  while (sum > outMask) sum = (sum & outMask) + (sum >> outBits);
  return bigIntToBytes(sum, outBytes);
}

/** RFC 3961 DR for AES: encrypt n-fold(constant) with the base key, chaining blocks until the key is long enough. */
function deriveRandom(baseKey: Buffer, constant: Buffer): Buffer {
  const out: Buffer[] = [];
  let block = nFold(constant, 16);
  for (let have = 0; have < baseKey.length; have += block.length) {
    // One block: AES-CTS with a zero IV is plain AES on it.
    const cipher = crypto.createCipheriv(`aes-${baseKey.length * 8}-ecb`, baseKey, null).setAutoPadding(false);
    block = Buffer.concat([cipher.update(block), cipher.final()]);
    out.push(block);
  }
  return Buffer.concat(out).subarray(0, baseKey.length);
}

/** RFC 3962 string-to-key: the AES key of this size for a pass phrase, salt and iteration count. */
export async function aesKerberosKey(passphrase: string | Buffer, salt: string | Buffer, keyBytes: 16 | 32, iterations: number): Promise<Buffer> {
  if (!Number.isInteger(iterations) || iterations < 1) throw new Error('iteration count must be a positive integer');
  const tkey = await pbkdf2(passphrase, salt, iterations, keyBytes, 'sha1');
  return deriveRandom(tkey, Buffer.from('kerberos', 'ascii'));
}

/**
 * The salt AD gives a computer account's AES keys (MS-KILE 3.1.1.2; RFC 3962 keys are salted
 * with it): realm upper-case, "host", the account name without "$" lower-case, ".", realm
 * lower-case. The device knows only its own host name, so it takes that for the account name.
 */
export function computerAccountSaltFor(realm: string, hostName: string): string {
  return `${realm.toUpperCase()}host${hostName.toLowerCase()}.${realm.toLowerCase()}`;
}
