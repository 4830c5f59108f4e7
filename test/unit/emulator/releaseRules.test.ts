// The emulator's version rules (src/emulator/firmware/releaseRules.ts) and where the firmware
// model applies them (root hashes in Hellos / TLS, key lengths of GenerateKeyPair).
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_FIRMWARE_VERSION } from '../../../src/contract/firmwareFamilies';
import { PT_STATUS } from '../../../src/contract/ptStatus';
import { FirmwareError } from '../../../src/emulator/firmware/errors';
import { Firmware } from '../../../src/emulator/firmware/firmware';
import { FlashFile } from '../../../src/emulator/firmware/flash';
import { maxCaRsaKeyBits, rootHashAlgorithms, rsaKeyLengths, servesEoi, servesSince } from '../../../src/emulator/firmware/releaseRules';
import type { TrustedRootHash } from '../../../src/emulator/firmware/types';

let dir: string;
before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'release-rules-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const HASHES: TrustedRootHash[] = [
  { algorithm: 'sha1', hash: 'aa'.repeat(20), active: true, name: 'sha1 root' },
  { algorithm: 'sha256', hash: 'bb'.repeat(32), active: true, name: 'sha256 root' },
  { algorithm: 'sha384', hash: 'cc'.repeat(48), active: true, name: 'sha384 root' },
];

async function device(version: string, index: number): Promise<Firmware> {
  const uuid = `00000000-0000-4000-8000-00000000000${index}`;
  return Firmware.boot(new FlashFile(path.join(dir, `${uuid}.json`)), { uuid, firmwareVersion: version, mebxPassword: 'Mebx!Pass1', dnsSuffix: 'x.example.com', trustedRootHashes: HASHES });
}

void describe('release rules', () => {
  void it('EOI SOAP up to AMT 8; WS-Man phase 1 classes and methods from AMT 6', () => {
    assert.deepEqual(['3.2.1', '5.2.70', '8.1.71', '9.0.30', '16.1.27'].map(servesEoi), [true, true, true, false, false]);
    assert.deepEqual(['5.2.70', '6.0.0', '11.8.50'].map((v) => servesSince(v, 6)), [false, true, true]);
    assert.equal(servesSince('3.2.1', undefined), true, 'a class without sinceMajor is on every release');
  });

  void it('RSA 3072 (key generation and CA keys) from AMT 16; 2048 before', () => {
    assert.deepEqual(rsaKeyLengths('15.0.45'), [2048]);
    assert.deepEqual(rsaKeyLengths('16.0.0'), [2048, 3072]);
    assert.deepEqual([maxCaRsaKeyBits('11.8.50'), maxCaRsaKeyBits('16.1.27'), maxCaRsaKeyBits('22.0.1')], [2048, 3072, 3072]);
  });

  void it('root hashes: SHA-1 and SHA-256 before AMT 16; SHA-256 and SHA-384 from 16', () => {
    assert.deepEqual(rootHashAlgorithms('11.8.50'), ['sha1', 'sha256']);
    assert.deepEqual(rootHashAlgorithms('16.1.27'), ['sha256', 'sha384']);
  });

  void it('the firmware sends and trusts only the hashes its release uses; the flash keeps all', async () => {
    const early = await device(DEFAULT_FIRMWARE_VERSION.early, 1);
    const modern = await device(DEFAULT_FIRMWARE_VERSION.modern, 2);
    assert.deepEqual(early.activeRootHashes().map((h) => h.algorithm), ['sha1', 'sha256']);
    assert.deepEqual(modern.activeRootHashes().map((h) => h.algorithm), ['sha256', 'sha384']);
    assert.equal(modern.state.trustedRootHashes.length, 3);
  });

  void it('GenerateKeyPair: 3072 bits on AMT 16, INVALID_PARAMETER before; 4096 nowhere', async () => {
    const early = await device('11.8.50', 3);
    const modern = await device('16.1.27', 4);
    const refused = (err: unknown) => err instanceof FirmwareError && err.status === PT_STATUS.INVALID_PARAMETER;
    await assert.rejects(early.generateKeyPair(3072), refused);
    await assert.rejects(modern.generateKeyPair(4096), refused);
    assert.equal(early.state.keyStore.keyPairs.length, 0);
    await modern.generateKeyPair(3072);
    assert.equal(modern.state.keyStore.keyPairs.length, 1);
  });
});
