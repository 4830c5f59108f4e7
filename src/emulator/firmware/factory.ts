// The factory image: what a device holds the first time it boots (no state file yet), and
// the defaults unprovisioning returns to.
import crypto from 'node:crypto';
import { AMT_ADMIN_USERNAME } from '../../contract/provisioning';
import { generateRsaKeyPair, makeSelfSignedCertificate } from '../crypto/deviceKeys';
import { digestHa1 } from '../digest/digestMath';
import { FIRMWARE_STATE_SCHEMA } from './schema';
import type { Features, FirmwareState, TrustedRootHash } from './types';

/** What the manufacturer and the MEBx owner set before the device ever met a server. */
export interface DeviceSpec {
  uuid: string;
  /** e.g. "11.8.50" */
  firmwareVersion: string;
  /** The MEBx password; before provisioning it is also the password of the `admin` Digest account. */
  mebxPassword: string;
  /** MEBx PKI DNS suffix / DHCP option 15, checked by TLS rule 4. */
  dnsSuffix: string;
  trustedRootHashes: TrustedRootHash[];
  provisioningMode?: FirmwareState['provisioningMode'];
  /**
   * Whether a Wi-Fi radio is fitted. Absent: a new device has one and a booting device keeps
   * what its flash says (the control API may have changed it); given: applied at every boot,
   * like hardware the firmware detects.
   */
  hasRadio?: boolean;
}

/**
 * Factory defaults of the feature switches. docs/amt-protocol.md is silent; the emulator's choice:
 * ping answered, everything the server is meant to switch on (RMCP ping, web UI, SOL, IDE-R) off.
 */
export function factoryFeatures(): Features {
  return { ping: true, rmcpPing: false, webUi: false, sol: false, ider: false };
}

/** The pre-provisioning admin account: `admin` with the MEBx password. */
export function factoryAdmin(realm: string, mebxPassword: string): FirmwareState['admin'] {
  return { username: AMT_ADMIN_USERNAME, ha1: digestHa1(AMT_ADMIN_USERNAME, realm, mebxPassword), setByServer: false };
}

export async function createFactoryState(spec: DeviceSpec, now: Date): Promise<FirmwareState> {
  const digestRealm = `Digest:${crypto.randomBytes(16).toString('hex').toUpperCase()}`;
  const tlsKey = await generateRsaKeyPair(2048);
  return {
    schema: FIRMWARE_STATE_SCHEMA,
    uuid: spec.uuid,
    firmwareVersion: spec.firmwareVersion,
    provisioningMode: spec.provisioningMode ?? 'enterprise',
    provisioningState: 'pre',
    digestRealm,
    trustedRootHashes: spec.trustedRootHashes.map((h) => ({ ...h, hash: h.hash.toLowerCase() })),
    mebx: { password: spec.mebxPassword, changed: false },
    admin: factoryAdmin(digestRealm, spec.mebxPassword),
    userAcl: [],
    hostName: '',
    domainName: '',
    dnsSuffix: spec.dnsSuffix,
    hasRadio: spec.hasRadio ?? true,
    clockOffsetMs: 0,
    tls: {
      selfSigned: { privateKeyPem: tlsKey.privateKeyPem, certificatePem: makeSelfSignedCertificate(tlsKey.privateKeyPem, spec.uuid, now) },
      keyHandle: null,
      certificateHandle: null,
      enabled: false,
    },
    keyStore: { nextHandle: 1, keyPairs: [], certificates: [] },
    otp: null,
    features: factoryFeatures(),
    kerberos: null,
    powerScheme: null,
    wirelessProfiles: [],
    ieee8021x: null,
    provisionedAt: null,
  };
}
