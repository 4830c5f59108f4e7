// Properties of the server's Hello parser (docs/amt-protocol.md section 2): every well-formed
// Hello, built by the emulator's independent encoder, parses back to what was encoded; every
// mutation of one is refused with a HelloRejected reason, and nothing else is ever thrown.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseHello } from '../../../src/amt/helloCodec';
import { HelloRejected, type HelloRejectionReason } from '../../../src/amt/errors';
import { HELLO_MAX_BYTES, HELLO_OFFSETS } from '../../../src/contract/hello';
import { encodeHello, type HelloFields } from '../../../src/emulator/hello/helloMessage';
import { helloBytes } from '../../support/helloBytes';
import { runs } from './propertyRuns';

const LENGTHS = { sha1: 20, sha256: 32, sha384: 48 } as const;
const IDS = { sha1: 1, sha256: 2, sha384: 3 } as const;

const hashArb = fc.constantFrom('sha1', 'sha256', 'sha384').chain((algorithm) =>
  fc.uint8Array({ minLength: LENGTHS[algorithm], maxLength: LENGTHS[algorithm] })
    .map((bytes) => ({ algorithm, hash: Buffer.from(bytes).toString('hex') })));

const helloArb: fc.Arbitrary<HelloFields> = fc.record({
  adminCredentialsSet: fc.boolean(),
  retryCount: fc.nat({ max: 0xffffffff }),
  uuid: fc.uuid(),
  hashes: fc.array(hashArb, { maxLength: 40 }),
});

/** parseHello's outcome: the Hello, or the rejection reason; any other throw fails the property. */
function outcome(data: Buffer): { ok: true } | { ok: false; reason: HelloRejectionReason } {
  try {
    parseHello(data);
    return { ok: true };
  } catch (error) {
    if (error instanceof HelloRejected) return { ok: false, reason: error.reason };
    throw new Error(`parseHello threw a non-HelloRejected error on ${data.toString('hex')}`, { cause: error });
  }
}

function rejectedWith(data: Buffer, ...reasons: HelloRejectionReason[]): void {
  const result = outcome(data);
  assert.equal(result.ok, false, `accepted a mutated Hello: ${data.toString('hex')}`);
  if (!result.ok) assert.ok(reasons.includes(result.reason), `reason ${result.reason}, expected one of ${reasons.join(', ')}`);
}

describe('Hello codec properties', () => {
  it('every well-formed Hello round-trips through parseHello', () => {
    fc.assert(fc.property(helloArb, (fields) => {
      const bytes = encodeHello(fields);
      // The test support builder is a third, independent encoder: all must agree byte for byte.
      assert.deepEqual(bytes, helloBytes({
        uuid: fields.uuid, retryCount: fields.retryCount, adminSet: fields.adminCredentialsSet,
        hashes: fields.hashes.map((h) => ({ algorithm: IDS[h.algorithm], hex: h.hash })),
      }));
      const hello = parseHello(bytes);
      assert.equal(hello.adminCredentialsSet, fields.adminCredentialsSet);
      assert.equal(hello.retryCount, fields.retryCount);
      assert.equal(hello.uuid, fields.uuid.toLowerCase());
      assert.deepEqual(hello.rootHashes, fields.hashes.map((h) => ({ algorithm: h.algorithm, hex: h.hash })));
    }), runs());
  });

  it('a truncated Hello is refused as short', () => {
    fc.assert(fc.property(helloArb, fc.nat(), (fields, cut) => {
      const bytes = encodeHello(fields);
      rejectedWith(bytes.subarray(0, cut % bytes.length), 'short');
    }), runs());
  });

  it('a Hello with bytes appended is refused as trailing-bytes (or too-large past the cap)', () => {
    fc.assert(fc.property(helloArb, fc.uint8Array({ minLength: 1, maxLength: 64 }), (fields, extra) => {
      rejectedWith(Buffer.concat([encodeHello(fields), extra]), 'trailing-bytes');
    }), runs());
    rejectedWith(Buffer.concat([encodeHello({ adminCredentialsSet: false, retryCount: 0, uuid: '00000000-0000-4000-8000-000000000000', hashes: [] }), Buffer.alloc(HELLO_MAX_BYTES)]), 'too-large');
  });

  it('a hash entry with a wrong declared length is refused as hash-length-mismatch', () => {
    fc.assert(fc.property(helloArb.filter((f) => f.hashes.length > 0), fc.nat(), fc.integer({ min: 0, max: 255 }), (fields, pick, length) => {
      const index = pick % fields.hashes.length;
      const hash = fields.hashes[index];
      fc.pre(length !== LENGTHS[hash.algorithm]);
      const bytes = encodeHello(fields);
      bytes.writeUInt8(length, entryOffset(fields, index) + 1);
      // Entries before the mutated one are intact, so the first problem found is this one.
      rejectedWith(bytes, 'hash-length-mismatch');
    }), runs());
  });

  it('an unknown hash algorithm id is refused as unknown-hash-algorithm', () => {
    fc.assert(fc.property(helloArb.filter((f) => f.hashes.length > 0), fc.nat(), fc.integer({ min: 0, max: 255 }).filter((id) => id < 1 || id > 3), (fields, pick, id) => {
      const index = pick % fields.hashes.length;
      const bytes = encodeHello(fields);
      bytes.writeUInt8(id, entryOffset(fields, index));
      rejectedWith(bytes, 'unknown-hash-algorithm');
    }), runs());
  });

  it('a hash count that does not match the entries is refused (short or trailing-bytes)', () => {
    fc.assert(fc.property(helloArb, fc.integer({ min: 0, max: 255 }), (fields, count) => {
      fc.pre(count !== fields.hashes.length);
      const bytes = encodeHello(fields);
      bytes.writeUInt8(count, HELLO_OFFSETS.HASH_COUNT);
      rejectedWith(bytes, count > fields.hashes.length ? 'short' : 'trailing-bytes');
    }), runs());
  });

  it('an admin flag other than 0/1 or an interface version other than 3 is refused', () => {
    fc.assert(fc.property(helloArb, fc.integer({ min: 2, max: 0xffff }), (fields, flag) => {
      const bytes = encodeHello(fields);
      bytes.writeUInt16LE(flag, HELLO_OFFSETS.ADMIN_CREDENTIALS_SET);
      rejectedWith(bytes, 'bad-admin-flag');
    }), runs(0.5));
    fc.assert(fc.property(helloArb, fc.integer({ min: 0, max: 0xffff }).filter((v) => v !== 3), (fields, version) => {
      const bytes = encodeHello(fields);
      bytes.writeUInt16LE(version, HELLO_OFFSETS.INTERFACE_VERSION);
      rejectedWith(bytes, 'unsupported-interface-version');
    }), runs(0.5));
  });

  it('arbitrary bytes and random byte flips never throw anything but HelloRejected', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => { outcome(Buffer.from(bytes)); }), runs());
    fc.assert(fc.property(helloArb, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }), (fields, flips) => {
      const bytes = encodeHello(fields);
      for (const [at, value] of flips) bytes[at % bytes.length] = value;
      outcome(bytes);
    }), runs());
  });
});

/** Byte offset of hash entry `index` in the encoding of `fields`. */
function entryOffset(fields: HelloFields, index: number): number {
  return fields.hashes.slice(0, index).reduce<number>((at, h) => at + 2 + LENGTHS[h.algorithm], HELLO_OFFSETS.HASH_ENTRIES);
}
