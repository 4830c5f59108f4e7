// MD4 (RFC 1320), needed only for the RC4-HMAC key (the NT hash) older AMT firmware takes.
// Node 17+ (OpenSSL 3) leaves md4 in the legacy provider, so createHash('md4') fails here.

const rotl = (x: number, s: number): number => ((x << s) | (x >>> (32 - s))) >>> 0;

const ROUNDS: { f: (x: number, y: number, z: number) => number; k: number; order: number[]; shifts: number[] }[] = [
  { f: (x, y, z) => (x & y) | (~x & z), k: 0, order: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15], shifts: [3, 7, 11, 19] },
  { f: (x, y, z) => (x & y) | (x & z) | (y & z), k: 0x5a827999, order: [0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15], shifts: [3, 5, 9, 13] },
  { f: (x, y, z) => x ^ y ^ z, k: 0x6ed9eba1, order: [0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15], shifts: [3, 9, 11, 15] },
];

export function md4(message: Buffer): Buffer {
  // Padding: 0x80, zeros to 56 mod 64, then the bit length as a 64-bit little-endian integer.
  const padded = Buffer.alloc(Math.ceil((message.length + 9) / 64) * 64);
  message.copy(padded);
  padded[message.length] = 0x80;
  const bits = BigInt(message.length) * 8n;
  padded.writeBigUInt64LE(bits, padded.length - 8);

  const state = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476];
  for (let offset = 0; offset < padded.length; offset += 64) {
    const x = Array.from({ length: 16 }, (_, i) => padded.readUInt32LE(offset + 4 * i));
    const r = [...state] as [number, number, number, number];
    for (const round of ROUNDS) {
      round.order.forEach((word, step) => {
        // Registers rotate a, d, c, b through the target position at each step.
        const a = (4 - (step % 4)) % 4;
        const [b, c, d] = [(a + 1) % 4, (a + 2) % 4, (a + 3) % 4];
        const sum = (r[a] + round.f(r[b], r[c], r[d]) + x[word] + round.k) >>> 0;
        r[a] = rotl(sum, round.shifts[step % 4]);
      });
    }
    for (let i = 0; i < 4; i += 1) state[i] = (state[i] + r[i]) >>> 0;
  }
  const out = Buffer.alloc(16);
  state.forEach((word, i) => out.writeUInt32LE(word, 4 * i));
  return out;
}
