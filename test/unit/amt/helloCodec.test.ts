import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseHello, uuidFromSmbios } from '../../../src/amt/helloCodec';
import { HelloRejected, type HelloRejectionReason } from '../../../src/amt/errors';

// SMBIOS order of 00112233-4455-6677-8899-aabbccddeeff: first three groups byte-swapped.
const SMBIOS_UUID = Buffer.from('33221100554477668899aabbccddeeff', 'hex');
const SHA256 = Buffer.alloc(32, 0xab);
const SHA1 = Buffer.alloc(20, 0x01);

interface HelloFields { admin?: number; version?: number; retry?: number; entries?: Array<[number, number, Buffer]> }

function buildHello({ admin = 0, version = 3, retry = 4, entries = [[2, 32, SHA256]] }: HelloFields = {}): Buffer {
  const header = Buffer.alloc(25);
  header.writeUInt16LE(admin, 0);
  header.writeUInt16LE(version, 2);
  header.writeUInt32LE(retry, 4);
  SMBIOS_UUID.copy(header, 8);
  header.writeUInt8(entries.length, 24);
  return Buffer.concat([header, ...entries.map(([alg, len, hash]) => Buffer.concat([Buffer.from([alg, len]), hash]))]);
}

function rejection(data: Buffer): { reason: HelloRejectionReason; message: string } {
  try {
    parseHello(data);
  } catch (error) {
    assert.ok(error instanceof HelloRejected, `expected HelloRejected, got ${String(error)}`);
    assert.equal(error.type, 'HelloRejected');
    assert.equal(error.retryable, false);
    return { reason: error.reason, message: error.message };
  }
  assert.fail('Hello was accepted');
}

void describe('parseHello', () => {
  void it('parses every field of a valid Hello', () => {
    const hello = parseHello(buildHello({ admin: 1, retry: 7, entries: [[2, 32, SHA256], [1, 20, SHA1], [3, 48, Buffer.alloc(48, 0xcd)]] }));
    assert.deepEqual(hello, {
      adminCredentialsSet: true,
      interfaceVersion: 3,
      retryCount: 7,
      uuid: '00112233-4455-6677-8899-aabbccddeeff',
      rootHashes: [
        { algorithm: 'sha256', hex: 'ab'.repeat(32) },
        { algorithm: 'sha1', hex: '01'.repeat(20) },
        { algorithm: 'sha384', hex: 'cd'.repeat(48) },
      ],
    });
  });

  void it('accepts a Hello with no hashes', () => {
    assert.deepEqual(parseHello(buildHello({ entries: [] })).rootHashes, []);
  });

  void it('rejects a header shorter than 25 bytes as short', () => {
    const { reason, message } = rejection(buildHello().subarray(0, 24));
    assert.equal(reason, 'short');
    assert.match(message, /24 bytes/);
  });

  void it('rejects a truncated hash entry as short', () => {
    assert.equal(rejection(buildHello().subarray(0, 25 + 2 + 31)).reason, 'short');
    assert.equal(rejection(buildHello().subarray(0, 26)).reason, 'short');
  });

  void it('rejects bytes after the declared hash entries as trailing-bytes', () => {
    const { reason, message } = rejection(Buffer.concat([buildHello(), Buffer.from([0])]));
    assert.equal(reason, 'trailing-bytes');
    assert.match(message, /1 byte/);
  });

  void it('rejects an admin flag other than 0 or 1', () => {
    assert.equal(rejection(buildHello({ admin: 2 })).reason, 'bad-admin-flag');
  });

  void it('rejects interface version 2 (PSK) and any other than 3', () => {
    assert.equal(rejection(buildHello({ version: 2 })).reason, 'unsupported-interface-version');
    assert.equal(rejection(buildHello({ version: 4 })).reason, 'unsupported-interface-version');
  });

  void it('rejects an unknown hash algorithm id', () => {
    const { reason, message } = rejection(buildHello({ entries: [[4, 32, SHA256]] }));
    assert.equal(reason, 'unknown-hash-algorithm');
    assert.match(message, /algorithm 4/);
  });

  void it('rejects a length byte that does not match the algorithm', () => {
    assert.equal(rejection(buildHello({ entries: [[1, 32, SHA256]] })).reason, 'hash-length-mismatch');
    assert.equal(rejection(buildHello({ entries: [[2, 20, SHA1]] })).reason, 'hash-length-mismatch');
    assert.equal(rejection(buildHello({ entries: [[3, 32, SHA256]] })).reason, 'hash-length-mismatch', 'SHA-384 entries carry 48 bytes');
  });

  void it('rejects more than 16,000 bytes before looking at the content', () => {
    const big = Buffer.concat([buildHello(), Buffer.alloc(16_000)]);
    assert.equal(rejection(big).reason, 'too-large');
    // exactly 16,000 bytes is not too large (it fails later, on its trailing bytes)
    assert.equal(rejection(Buffer.concat([buildHello(), Buffer.alloc(16_000 - buildHello().length)])).reason, 'trailing-bytes');
  });
});

void describe('uuidFromSmbios', () => {
  void it('swaps the first three groups and keeps the last two', () => {
    assert.equal(uuidFromSmbios(SMBIOS_UUID), '00112233-4455-6677-8899-aabbccddeeff');
  });
  void it('refuses a buffer that is not 16 bytes', () => {
    assert.throws(() => uuidFromSmbios(Buffer.alloc(15)), RangeError);
  });
});
