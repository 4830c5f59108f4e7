// Hello encoding (section 2 layout, parsed back by hand) and the seed's schedule arithmetic.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeHello, uuidToSmbiosBytes } from '../../../src/emulator/hello/helloMessage';
import { delayBeforeHelloMs, helloOffsetsSeconds, HELLOS_PER_PERIOD } from '../../../src/emulator/hello/helloSchedule';

void describe('Hello encoding', () => {
  void it('lays out every field little-endian with the UUID in SMBIOS order', () => {
    const sha256 = 'aa'.repeat(32);
    const sha1 = '0b'.repeat(20);
    const hello = encodeHello({
      adminCredentialsSet: true,
      retryCount: 0x01020304,
      uuid: '00112233-4455-6677-8899-aabbccddeeff',
      hashes: [
        { algorithm: 'sha256', hash: sha256 },
        { algorithm: 'sha1', hash: sha1 },
      ],
    });
    const expected = Buffer.concat([
      Buffer.from([0x01, 0x00, 0x03, 0x00, 0x04, 0x03, 0x02, 0x01]),
      Buffer.from('33221100554477668899aabbccddeeff', 'hex'),
      Buffer.from([2]),
      Buffer.from([2, 32]),
      Buffer.from(sha256, 'hex'),
      Buffer.from([1, 20]),
      Buffer.from(sha1, 'hex'),
    ]);
    assert.deepEqual(hello, expected);
    assert.equal(hello.length, 25 + 34 + 22);
  });

  void it('encodes no hashes, admin flag 0, and SHA-384 entries', () => {
    assert.deepEqual(encodeHello({ adminCredentialsSet: false, retryCount: 0, uuid: '00000000-0000-0000-0000-000000000001', hashes: [] }).subarray(0, 2), Buffer.from([0, 0]));
    const withSha384 = encodeHello({ adminCredentialsSet: false, retryCount: 0, uuid: '00000000-0000-0000-0000-000000000001', hashes: [{ algorithm: 'sha384', hash: 'cc'.repeat(48) }] });
    assert.deepEqual([...withSha384.subarray(24, 27)], [1, 3, 48]);
  });

  void it('refuses hashes of the wrong length and retry counts outside u32', () => {
    assert.throws(() => encodeHello({ adminCredentialsSet: false, retryCount: 0, uuid: '00000000-0000-0000-0000-000000000001', hashes: [{ algorithm: 'sha256', hash: 'aa' }] }));
    assert.throws(() => encodeHello({ adminCredentialsSet: false, retryCount: 2 ** 32, uuid: '00000000-0000-0000-0000-000000000001', hashes: [] }));
    assert.throws(() => uuidToSmbiosBytes('not-a-uuid'));
  });
});

void describe('Hello schedule', () => {
  void it('is every minute for 5 minutes, every 5 minutes to the hour, then hourly for 23 sends', () => {
    const offsets = helloOffsetsSeconds();
    assert.equal(HELLOS_PER_PERIOD, 40);
    assert.deepEqual(offsets.slice(0, 6), [0, 60, 120, 180, 240, 300]);
    assert.deepEqual(offsets.slice(5, 17), Array.from({ length: 12 }, (_, i) => 300 + i * 300));
    assert.deepEqual(offsets.slice(17), Array.from({ length: 23 }, (_, i) => 3900 + i * 3600));
    assert.ok(offsets.at(-1)! < 24 * 3600);
  });

  void it('turns offsets into real delays on the time scale, and ends', () => {
    assert.equal(delayBeforeHelloMs(0, 1), 0);
    assert.equal(delayBeforeHelloMs(1, 1), 60_000);
    assert.equal(delayBeforeHelloMs(5, 60), 1000);
    assert.equal(delayBeforeHelloMs(17, 3600), (1000 * 300) / 3600, "the hourly phase starts 5 minutes after the last 5-minute Hello");
    assert.equal(delayBeforeHelloMs(39, 3600), 1000);
    assert.equal(delayBeforeHelloMs(40, 1), null);
    assert.throws(() => delayBeforeHelloMs(0, 0));
  });
});
