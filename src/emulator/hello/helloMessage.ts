// The Hello a device sends to the provisioning server (docs/amt-protocol.md section 2), encoded
// from the contract's layout constants. Little-endian integers; UUID in SMBIOS byte order.
import { HELLO_HASH_ALGORITHMS, HELLO_INTERFACE_VERSION, HELLO_OFFSETS, HELLO_UUID_LENGTH } from '../../contract/hello';
import type { RootHashAlgorithm } from '../firmware/types';

export interface HelloFields {
  adminCredentialsSet: boolean;
  retryCount: number;
  uuid: string;
  hashes: { algorithm: RootHashAlgorithm; hash: string }[];
}

const ALGORITHM_IDS = new Map<string, { id: number; length: number }>(
  Object.entries(HELLO_HASH_ALGORITHMS).map(([id, { name, length }]) => [name, { id: Number(id), length }]),
);

/** Canonical UUID text -> 16 bytes with the first three groups byte-swapped (Microsoft GUID layout). */
export function uuidToSmbiosBytes(uuid: string): Buffer {
  const match = /^([0-9a-f]{8})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{12})$/i.exec(uuid);
  if (!match) throw new Error(`not a UUID: ${uuid}`);
  const [, a, b, c, d, e] = match as unknown as [string, string, string, string, string, string];
  return Buffer.concat([
    Buffer.from(a, 'hex').reverse(),
    Buffer.from(b, 'hex').reverse(),
    Buffer.from(c, 'hex').reverse(),
    Buffer.from(d + e, 'hex'),
  ]);
}

export function encodeHello(fields: HelloFields): Buffer {
  if (fields.hashes.length > 255) throw new Error('a Hello carries at most 255 root hashes');
  if (!Number.isInteger(fields.retryCount) || fields.retryCount < 0 || fields.retryCount > 0xffffffff) {
    throw new Error(`retry count ${fields.retryCount} does not fit a u32`);
  }
  const entries = fields.hashes.map(({ algorithm, hash }) => {
    const spec = ALGORITHM_IDS.get(algorithm);
    const bytes = Buffer.from(hash, 'hex');
    if (!spec || bytes.length !== spec.length) throw new Error(`bad ${algorithm} root hash of ${bytes.length} bytes`);
    return Buffer.concat([Buffer.from([spec.id, spec.length]), bytes]);
  });
  const header = Buffer.alloc(HELLO_OFFSETS.HASH_ENTRIES);
  header.writeUInt16LE(fields.adminCredentialsSet ? 1 : 0, HELLO_OFFSETS.ADMIN_CREDENTIALS_SET);
  header.writeUInt16LE(HELLO_INTERFACE_VERSION.PKI, HELLO_OFFSETS.INTERFACE_VERSION);
  header.writeUInt32LE(fields.retryCount, HELLO_OFFSETS.RETRY_COUNT);
  const uuid = uuidToSmbiosBytes(fields.uuid);
  if (uuid.length !== HELLO_UUID_LENGTH) throw new Error('UUID must be 16 bytes');
  uuid.copy(header, HELLO_OFFSETS.UUID);
  header.writeUInt8(entries.length, HELLO_OFFSETS.HASH_COUNT);
  return Buffer.concat([header, ...entries]);
}
