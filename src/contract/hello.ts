// Layout of the Hello message a device sends to the provisioning server (docs/amt-protocol.md section 2).
// Sources: Intel guide "Setup mode Hello messages"; MeshCentral parseHelloData(). Little-endian.

export const HELLO_OFFSETS = {
  ADMIN_CREDENTIALS_SET: 0, // u16: 0 or 1
  INTERFACE_VERSION: 2, // u16
  RETRY_COUNT: 4, // u32
  UUID: 8, // 16 bytes, SMBIOS order (first three groups byte-swapped)
  HASH_COUNT: 24, // u8
  HASH_ENTRIES: 25, // N x (algorithm u8, length u8, hash bytes)
} as const;

export const HELLO_UUID_LENGTH = 16;
/** Smallest valid Hello: fixed header with zero hash entries. */
export const HELLO_MIN_LENGTH = HELLO_OFFSETS.HASH_ENTRIES;
/** A connection sending more than this is dropped (MeshCentral parseHelloData). */
export const HELLO_MAX_BYTES = 16_000;

export const HELLO_INTERFACE_VERSION = {
  /** Pre-shared key setup, removed in AMT 11: rejected by this project. */
  PSK: 2,
  /** PKI (remote configuration with a provisioning certificate): the only one accepted. */
  PKI: 3,
} as const;

/** Hash algorithm ids in Hello hash entries, with their digest lengths in bytes. */
export const HELLO_HASH_ALGORITHMS = {
  1: { name: 'sha1', length: 20 },
  2: { name: 'sha256', length: 32 },
  3: { name: 'sha384', length: 48 },
} as const;
export type HelloHashAlgorithmId = keyof typeof HELLO_HASH_ALGORITHMS;

/**
 * Hello retry schedule from the seed document: once a minute for 5 minutes, every 5 minutes
 * for an hour, hourly for 23 hours, then stop (until restart or partial unprovision).
 */
export const HELLO_SCHEDULE = [
  { intervalSeconds: 60, forSeconds: 5 * 60 },
  { intervalSeconds: 5 * 60, forSeconds: 60 * 60 },
  { intervalSeconds: 60 * 60, forSeconds: 23 * 60 * 60 },
] as const;
