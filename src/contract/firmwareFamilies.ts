// Which phase 1 dialect a firmware release speaks (docs/amt-protocol.md section 9). Plain
// constants both sides read: the emulator decides what it serves, the server which dialect it
// speaks, from the version CIM_SoftwareIdentity ("AMT" instance, VersionString) reports.
//
// Sources: Intel's guide, glossary "SOAP": WS-Management from Release 3.2, "From Release 6.0,
// SOAP is deprecated"; amttools (kraxel): "AMT 9.0 dropped support for the old SOAP-protocol-
// based communication". Every current tool (RPS, rpc-go, MeshCentral) sets up AMT 11-18 over
// WS-Man only.

/** First major release whose firmware serves the phase 1 classes over WS-Management (SOAP deprecated from 6.0). */
export const WSMAN_SETUP_SINCE_MAJOR = 6;
export const WSMAN_SETUP_SINCE = [WSMAN_SETUP_SINCE_MAJOR] as const;
/**
 * First release that generates a key pair on the device over WS-Man (Intel guide, certificate
 * management: "Releases 6.2 and 7.0 add ... GenerateKeyPair and GeneratePKCS10RequestEx").
 * The server's WS-Man phase 1 needs it for the TLS key, so AMT 6.0 and 6.1, which still serve
 * EOI, are set up over EOI.
 */
export const DEVICE_KEY_GENERATION_SINCE = [6, 2] as const;
/** First major release that serves no EOI SOAP at all (AMT 9.0 dropped SOAP). */
export const EOI_REMOVED_IN_MAJOR = 9;
/** Oldest release this project provisions: ConfigMgr 2007 SP1 provisions AMT 3.2.1 and later. */
export const OLDEST_SUPPORTED_VERSION = [3, 2, 1] as const;

/** 'early' = phase 1 over EOI SOAP; 'modern' = phase 1 over WS-Management. */
export type FirmwareFamily = 'early' | 'modern';

/** "11.8.50" -> [11, 8, 50]; missing or non-numeric parts count as 0. */
export function parseFirmwareVersion(version: string): number[] {
  return version.split('.').map((part) => (/^\d+$/.test(part) ? Number(part) : 0));
}

export function versionAtLeast(version: string, minimum: readonly number[]): boolean {
  const parts = parseFirmwareVersion(version);
  for (let i = 0; i < minimum.length; i += 1) {
    const part = parts[i] ?? 0;
    if (part !== minimum[i]) return part > minimum[i];
  }
  return true;
}

export function firmwareMajor(version: string): number {
  return parseFirmwareVersion(version)[0] ?? 0;
}

/** The phase 1 dialect of a release: WS-Man from AMT 6 on, EOI SOAP before. */
export function firmwareFamily(version: string): FirmwareFamily {
  return firmwareMajor(version) >= WSMAN_SETUP_SINCE_MAJOR ? 'modern' : 'early';
}

/** Default firmware versions of each family for the emulator, the demo and the benchmark. */
export const DEFAULT_FIRMWARE_VERSION: Record<FirmwareFamily, string> = {
  modern: '16.1.27',
  early: '5.2.70',
};
