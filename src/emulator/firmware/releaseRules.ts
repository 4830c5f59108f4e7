// What a firmware release can do, by its version: the one place the emulator's behaviour
// depends on the release (docs/amt-protocol.md section 9). The phase 1 dialect boundaries are
// the contract's (src/contract/firmwareFamilies.ts); the rest is sourced here, each rule next
// to its source. Where sources are silent the choice is marked "decision".
import { EOI_REMOVED_IN_MAJOR, firmwareMajor } from '../../contract/firmwareFamilies';
import { MAX_CA_RSA_KEY_BITS } from '../../contract/oids';
import type { RootHashAlgorithm } from './types';

/**
 * First major release with 3072-bit RSA: it generates 3072-bit keys and accepts 3072-bit CA keys
 * in the provisioning chain (rps#2698: AMT 16 takes 3072-bit provisioning chains; Intel's guide:
 * from ME 16 no RSA key below 2048 bits in provisioning).
 */
export const RSA_3072_SINCE_MAJOR = 16;
/** The largest CA key from RSA_3072_SINCE_MAJOR on (below it, the contract's 2048). */
export const MAX_CA_RSA_KEY_BITS_RSA3072 = 3072;

/**
 * First major release without SHA-1 root hashes: Intel's guide, "Root Certificate Hashes":
 * "Starting from ... Intel ME 16.0 firmware for all platforms, Intel is removing support of
 * SHA1 root certificates ... it is no longer possible to add SHA1 hashes".
 */
export const NO_SHA1_ROOT_HASHES_SINCE_MAJOR = 16;
/**
 * First major release with SHA-384 root hashes. Sources say "newer AMT platforms support SHA384
 * provisioning certificates" (rpc-go#971, rps#2339) and MeshCentral's Hello parser knows hash
 * type 3 = SHA-384, without a release; decision: the release that drops SHA-1 (16).
 */
export const SHA384_ROOT_HASHES_SINCE_MAJOR = 16;

/** This release serves the EOI SOAP services (removed in AMT 9.0). */
export function servesEoi(version: string): boolean {
  return firmwareMajor(version) < EOI_REMOVED_IN_MAJOR;
}

/** This release serves a WS-Man class or method introduced in `sinceMajor` (phase 1 over WS-Man: AMT 6). */
export function servesSince(version: string, sinceMajor: number | undefined): boolean {
  return sinceMajor === undefined || firmwareMajor(version) >= sinceMajor;
}

/** RSA key lengths GenerateKeyPair takes (KeyAlgorithm 0): 2048, and 3072 from AMT 16. */
export function rsaKeyLengths(version: string): readonly number[] {
  return firmwareMajor(version) >= RSA_3072_SINCE_MAJOR ? [2048, 3072] : [2048];
}

/** The largest RSA key a CA of the client's provisioning chain may have (section 3 rule 6). */
export function maxCaRsaKeyBits(version: string): number {
  return firmwareMajor(version) >= RSA_3072_SINCE_MAJOR ? MAX_CA_RSA_KEY_BITS_RSA3072 : MAX_CA_RSA_KEY_BITS;
}

/** Root hash algorithms the release uses in Hellos and the TLS trust check; hashes of others stay in the flash unused. */
export function rootHashAlgorithms(version: string): readonly RootHashAlgorithm[] {
  const major = firmwareMajor(version);
  const algorithms: RootHashAlgorithm[] = ['sha256'];
  if (major < NO_SHA1_ROOT_HASHES_SINCE_MAJOR) algorithms.unshift('sha1');
  if (major >= SHA384_ROOT_HASHES_SINCE_MAJOR) algorithms.push('sha384');
  return algorithms;
}
