// Strict parser of the Hello a device sends to the provisioning server (docs/amt-protocol.md section 2).
import {
  HELLO_HASH_ALGORITHMS, HELLO_INTERFACE_VERSION, HELLO_MAX_BYTES, HELLO_MIN_LENGTH, HELLO_OFFSETS,
  HELLO_UUID_LENGTH, type HelloHashAlgorithmId,
} from '../contract/hello';
import { HelloRejected } from './errors';

export type RootHashAlgorithm = (typeof HELLO_HASH_ALGORITHMS)[HelloHashAlgorithmId]['name'];

export interface HelloRootHash {
  algorithm: RootHashAlgorithm;
  /** Lowercase hex of the root certificate's DER hash. */
  hex: string;
}

export interface Hello {
  adminCredentialsSet: boolean;
  interfaceVersion: typeof HELLO_INTERFACE_VERSION.PKI;
  retryCount: number;
  /** Canonical lowercase UUID string. */
  uuid: string;
  rootHashes: HelloRootHash[];
}

/** Parses one Hello exactly; throws HelloRejected with a distinct reason otherwise. */
export function parseHello(data: Buffer): Hello {
  if (data.length > HELLO_MAX_BYTES) {
    throw new HelloRejected('too-large', `${data.length} bytes, limit ${HELLO_MAX_BYTES}`);
  }
  if (data.length < HELLO_MIN_LENGTH) {
    throw new HelloRejected('short', `${data.length} bytes, header needs ${HELLO_MIN_LENGTH}`);
  }
  const adminFlag = data.readUInt16LE(HELLO_OFFSETS.ADMIN_CREDENTIALS_SET);
  if (adminFlag !== 0 && adminFlag !== 1) {
    throw new HelloRejected('bad-admin-flag', `admin credentials flag ${adminFlag}, expected 0 or 1`);
  }
  const interfaceVersion = data.readUInt16LE(HELLO_OFFSETS.INTERFACE_VERSION);
  if (interfaceVersion !== HELLO_INTERFACE_VERSION.PKI) {
    throw new HelloRejected('unsupported-interface-version', `interface version ${interfaceVersion}, only ${HELLO_INTERFACE_VERSION.PKI} (PKI) is accepted`);
  }
  const rootHashes = parseHashEntries(data);
  return {
    adminCredentialsSet: adminFlag === 1,
    interfaceVersion,
    retryCount: data.readUInt32LE(HELLO_OFFSETS.RETRY_COUNT),
    uuid: uuidFromSmbios(data.subarray(HELLO_OFFSETS.UUID, HELLO_OFFSETS.UUID + HELLO_UUID_LENGTH)),
    rootHashes,
  };
}

function parseHashEntries(data: Buffer): HelloRootHash[] {
  const count = data.readUInt8(HELLO_OFFSETS.HASH_COUNT);
  const hashes: HelloRootHash[] = [];
  let offset: number = HELLO_OFFSETS.HASH_ENTRIES;
  for (let index = 0; index < count; index++) {
    if (offset + 2 > data.length) {
      throw new HelloRejected('short', `hash entry ${index + 1} of ${count} is missing its algorithm/length bytes`);
    }
    const algorithmId = data.readUInt8(offset);
    const length = data.readUInt8(offset + 1);
    const algorithm = HELLO_HASH_ALGORITHMS[algorithmId as HelloHashAlgorithmId];
    if (algorithm === undefined) {
      throw new HelloRejected('unknown-hash-algorithm', `hash entry ${index + 1} has algorithm ${algorithmId}; known: 1 (SHA-1), 2 (SHA-256), 3 (SHA-384)`);
    }
    if (length !== algorithm.length) {
      throw new HelloRejected('hash-length-mismatch', `hash entry ${index + 1} (${algorithm.name}) declares ${length} bytes, ${algorithm.name} has ${algorithm.length}`);
    }
    offset += 2;
    if (offset + length > data.length) {
      throw new HelloRejected('short', `hash entry ${index + 1} needs ${length} bytes, ${data.length - offset} left`);
    }
    hashes.push({ algorithm: algorithm.name, hex: data.toString('hex', offset, offset + length) });
    offset += length;
  }
  if (offset !== data.length) {
    throw new HelloRejected('trailing-bytes', `${data.length - offset} byte(s) after ${count} hash entries`);
  }
  return hashes;
}

/**
 * SMBIOS byte order -> canonical UUID: the first three groups are little-endian
 * (as in a Microsoft GUID), the last two are in network order.
 */
export function uuidFromSmbios(bytes: Buffer): string {
  if (bytes.length !== HELLO_UUID_LENGTH) throw new RangeError(`a UUID has 16 bytes, got ${bytes.length}`);
  const hex = (start: number, end: number, swap: boolean): string => {
    const part = Buffer.from(bytes.subarray(start, end));
    return (swap ? part.reverse() : part).toString('hex');
  };
  return [hex(0, 4, true), hex(4, 6, true), hex(6, 8, true), hex(8, 10, false), hex(10, 16, false)].join('-');
}
