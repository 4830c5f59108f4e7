// Deterministic identities for a fleet: device i gets UUID v5(seed, i) and the i-th usable
// address after the base IP (last octet 0 and 255 skipped), all inside 127.0.0.0/8.
import crypto from 'node:crypto';

/** Namespace of the emulator's name-based UUIDs (a fixed random UUID, the emulator's own). */
const EMULATOR_UUID_NAMESPACE = '6f1b3c52-8d0e-4c1a-9a57-2e5d0b7f4a91';

/** RFC 4122 version 5 UUID of `${seed}/${index}`: same seed, same fleet. */
export function deviceUuid(seed: string, index: number): string {
  const namespace = Buffer.from(EMULATOR_UUID_NAMESPACE.replace(/-/g, ''), 'hex');
  const hash = crypto.createHash('sha1').update(namespace).update(`${seed}/${index}`, 'utf8').digest();
  const bytes = hash.subarray(0, 16);
  bytes[6] = (bytes[6] & 0x0f) | 0x50;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function ipToNumber(ip: string): number {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new Error(`not an IPv4 address: ${ip}`);
  return parts.reduce((n, p) => n * 256 + p, 0);
}

function numberToIp(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

/** The addresses of `count` devices from `baseIp` on; all must stay in 127.0.0.0/8. */
export function deviceAddresses(baseIp: string, count: number): string[] {
  const addresses: string[] = [];
  let n = ipToNumber(baseIp);
  while (addresses.length < count) {
    const last = n % 256;
    if (last !== 0 && last !== 255) addresses.push(numberToIp(n));
    n += 1;
  }
  const outside = addresses.find((ip) => !ip.startsWith('127.'));
  if (outside) throw new Error(`device address ${outside} is outside 127.0.0.0/8; the emulator listens on loopback only`);
  return addresses;
}
