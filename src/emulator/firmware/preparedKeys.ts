// Key pairs a device made ahead of GenerateKeyPair, kept next to its flash file
// (`<uuid>.keys.json`, 0600). At 5,000 devices a key per device per run would cost the
// emulator ~13 min of CPU inside the measured window (an RSA 2048 key is ~160 ms of CPU), on
// the cores it shares with the server under test. So a fleet started with `preparedKeys`
// makes one 2048-bit key per device once per state directory (in the libuv pool, at boot) and
// GenerateKeyPair hands it out while it is not in the device's key store; a second call before
// the store is cleared (unprovision) generates a fresh key. Every key comes from the RNG of
// its own device, so no two devices share one; a device that is unprovisioned and provisioned
// again gets its prepared key back, the one difference from firmware that draws a new key.
import { promises as fs } from 'node:fs';
import { generateRsaKeyPair, type DeviceKeyPair } from '../crypto/deviceKeys';
import type { KeyStore } from './types';

/** The key length the provisioning server asks for (DEVICE_TLS_KEY_BITS); other lengths are generated per call. */
const PREPARED_BITS = 2048;

interface PreparedKeysFile {
  keys: (DeviceKeyPair & { bits: number })[];
}

export class PreparedKeys {
  private constructor(private readonly keys: PreparedKeysFile['keys']) {}

  /** The device's prepared keys from `file`, made (and stored) first if the file does not exist. */
  static async load(file: string): Promise<PreparedKeys> {
    try {
      const parsed = JSON.parse(await fs.readFile(file, 'utf8')) as PreparedKeysFile;
      if (!Array.isArray(parsed.keys)) throw new Error(`prepared key file ${file} has no keys list; move it away to make new keys`);
      return new PreparedKeys(parsed.keys);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const keys = [{ bits: PREPARED_BITS, ...(await generateRsaKeyPair(PREPARED_BITS)) }];
    const temp = `${file}.${process.pid}.tmp`;
    await fs.writeFile(temp, JSON.stringify({ keys } satisfies PreparedKeysFile), { mode: 0o600 });
    await fs.rename(temp, file);
    return new PreparedKeys(keys);
  }

  /** A prepared key of that length the store does not hold yet, or undefined (then the caller generates one). */
  take(bits: number, store: KeyStore): DeviceKeyPair | undefined {
    const key = this.keys.find((k) => k.bits === bits && !store.keyPairs.some((held) => held.publicKeyDer === k.publicKeyDer));
    return key && { privateKeyPem: key.privateKeyPem, publicKeyDer: key.publicKeyDer };
  }
}
