// What each AMT firmware generation accepts in a provisioning certificate chain
// (docs/amt-protocol.md sections 3 and 10). One row per generation, oldest first; a row holds
// from its major release until the next row's. The server checks a chain against the row of
// the device's release (when it is known) and `amtprov certs add` prints the verdict of every row.
//
// Sources:
// - CA keys of at most 2048 bits: ConfigMgr 2007 docs ("AMT rejects larger CA keys"); a 3072-bit
//   key refused by AMT 12.0.92 (device-management-toolkit/deployment#165).
// - From AMT 16 (ME 15 H-platforms, ME 16 all): no SHA-1 certificate anywhere in the chain,
//   no RSA key under 2048 bits (Intel AMT guide, "Root Certificate Hashes").
// - 3072-bit provisioning chains on AMT 16+: rps#2698 as cited by this project's issue
//   (decision: the generation boundary is 16, the same as the SHA-1 removal).
// - AMT 22 refuses RSA-2K leaf certificates in the TLS handshake and asks for SHA-384 and 3072
//   bits (deployment wiki "ADR AMT22 support", requirement 2; deployment#605).
// Decisions where sources are silent: the largest CA key on AMT 16+ is 3072 (the only larger
// size any source names); AMT 22's RSA-2K refusal applies to the provisioning leaf.
import { OLDEST_SUPPORTED_VERSION } from './firmwareFamilies';
import { MAX_CA_RSA_KEY_BITS } from './oids';

const [OLDEST_MAJOR, OLDEST_MINOR] = OLDEST_SUPPORTED_VERSION;

export interface FirmwareCryptoGeneration {
  /** First major release of the generation. */
  sinceMajor: number;
  /** Largest RSA key of a CA certificate (every certificate above the leaf, or a lone self-signed leaf). */
  maxCaRsaKeyBits: number;
  /** Smallest RSA key of any certificate in the chain; 0 = no floor. */
  minRsaKeyBits: number;
  /** Smallest RSA key of the leaf (the certificate presented in the handshake). */
  minLeafRsaKeyBits: number;
  /** Whether a SHA-1 signed certificate (root included) may be in the chain. */
  sha1SignaturesAccepted: boolean;
}

/** Oldest first; the first row starts at the oldest release this project provisions (AMT 3.2.1). */
export const FIRMWARE_CRYPTO_GENERATIONS: readonly FirmwareCryptoGeneration[] = [
  { sinceMajor: OLDEST_MAJOR, maxCaRsaKeyBits: MAX_CA_RSA_KEY_BITS, minRsaKeyBits: 0, minLeafRsaKeyBits: 0, sha1SignaturesAccepted: true },
  { sinceMajor: 16, maxCaRsaKeyBits: 3072, minRsaKeyBits: 2048, minLeafRsaKeyBits: 2048, sha1SignaturesAccepted: false },
  { sinceMajor: 22, maxCaRsaKeyBits: 3072, minRsaKeyBits: 2048, minLeafRsaKeyBits: 3072, sha1SignaturesAccepted: false },
];

/** The generation a firmware major release belongs to (releases older than the first row count as the first). */
export function cryptoGenerationOf(major: number): FirmwareCryptoGeneration {
  let found = FIRMWARE_CRYPTO_GENERATIONS[0];
  for (const generation of FIRMWARE_CRYPTO_GENERATIONS) if (generation.sinceMajor <= major) found = generation;
  return found;
}

/** "AMT 3.2-15", "AMT 16-21", "AMT 22+": the releases a generation covers, for operators. */
export function describeGeneration(generation: FirmwareCryptoGeneration): string {
  const index = FIRMWARE_CRYPTO_GENERATIONS.indexOf(generation);
  const first = index === 0 ? `${OLDEST_MAJOR}.${OLDEST_MINOR}` : String(generation.sinceMajor);
  const next = FIRMWARE_CRYPTO_GENERATIONS[index + 1];
  return next === undefined ? `AMT ${first}+` : `AMT ${first}-${next.sinceMajor - 1}`;
}
