// The phase 1 setup steps (seed 7.1-7.6) as both dialects run them: EOI SOAP (releases before
// AMT 9, soap/) and WS-Management (AMT 6 and later, wsman/classes/). One implementation per
// step, so the two dialects cannot drift apart. Each checks its input and refuses with a
// PT_STATUS (`refuse`) before anything changes; the firmware stages or applies the change.
import { KEY_ALGORITHM_RSA } from '../../contract/provisioning';
import { PT_STATUS } from '../../contract/ptStatus';
import type { Firmware } from '../firmware/firmware';
import type { CertificateEntry, KeyPairEntry } from '../firmware/types';
import { assertRoomForCertificate, assertRoomForKeyPair, assertUsableTlsCertificate, certificatePemFromBase64Der } from './keyStoreRules';
import { refuse } from './refusal';
import { digestPasswordToHa1, passwordProblems, usernameProblem } from './validation/credentials';
import { mebxChangeRefusal } from './validation/mebxPolicy';

/**
 * The Ta0 each device last answered. SetHighAccuracyTimeSynch must quote it (the emulator's
 * reading of "Ta0 as read", docs/amt-protocol.md section 5); it is consumed by a successful Set.
 * Shared by both dialects: a Ta0 read over one may be quoted over the other.
 */
const issuedTa0 = new WeakMap<Firmware, number>();

/**
 * The clock AMT sets from the two-step exchange: the server's time when it sent the Set (Tm2)
 * plus the one-way delay, estimated as half of (time the device waited, Ta1 - Ta0, minus the
 * time the server spent between the two calls, Tm2 - Tm1). All in seconds.
 */
export function synchronizedTime(ta0: number, tm1: number, tm2: number, ta1: number): number {
  const roundTrip = Math.max(0, ta1 - ta0 - (tm2 - tm1));
  return tm2 + roundTrip / 2;
}

/** GetLowAccuracyTimeSynch (7.1): the device clock in seconds since 1970. */
export function lowAccuracyTime(fw: Firmware): number {
  const ta0 = Math.floor(fw.now().getTime() / 1000);
  issuedTa0.set(fw, ta0);
  return ta0;
}

/** SetHighAccuracyTimeSynch (7.1): INVALID_PARAMETER unless Ta0 is the last one issued, INVALID_TIME if Tm2 < Tm1. Immediate. */
export async function setHighAccuracyTime(fw: Firmware, ta0: number, tm1: number, tm2: number): Promise<void> {
  if (issuedTa0.get(fw) !== ta0) refuse(PT_STATUS.INVALID_PARAMETER, 'Ta0 is not the value of the last GetLowAccuracyTimeSynch');
  if (tm2 < tm1) refuse(PT_STATUS.INVALID_TIME, 'Tm2 is earlier than Tm1');
  const ta1 = fw.now().getTime() / 1000;
  await fw.setClock(new Date(synchronizedTime(ta0, tm1, tm2, ta1) * 1000));
  issuedTa0.delete(fw);
}

/** GenerateKeyPair (7.3): RSA only, of a length the release generates (firmware), MAX_LIMIT_REACHED when the store is full. Immediate. */
export async function generateKeyPair(fw: Firmware, algorithm: number, length: number): Promise<KeyPairEntry> {
  if (algorithm !== KEY_ALGORITHM_RSA) refuse(PT_STATUS.INVALID_PARAMETER, `KeyAlgorithm ${algorithm} is not RSA (0)`);
  assertRoomForKeyPair(fw);
  return fw.generateKeyPair(length);
}

/** AddCertificate (7.3): base64 DER, INVALID_CERT / DUPLICATE / MAX_LIMIT_REACHED. Immediate. */
export async function addCertificate(fw: Firmware, blob: string): Promise<CertificateEntry> {
  const pem = certificatePemFromBase64Der(blob);
  assertRoomForCertificate(fw);
  return fw.addCertificate(pem);
}

/** The TLS server key + certificate (7.3): INVALID_HANDLE, INVALID_CERT (a CA, or not valid now), CERT_KEY_NOT_MATCH. Staged. */
export async function selectTlsCredential(fw: Firmware, keyHandle: number, certificateHandle: number): Promise<void> {
  assertUsableTlsCertificate(fw, certificateHandle);
  await fw.setTlsKeyAndCertificate(keyHandle, certificateHandle);
}

/** TLS on or off (7.3): CERTIFICATE_NOT_READY when enabling without a TLS credential. Staged. */
export async function setTlsEnabled(fw: Firmware, enabled: boolean): Promise<void> {
  if (enabled && fw.settings().tlsCertificateHandle === null) refuse(PT_STATUS.CERTIFICATE_NOT_READY, 'no TLS key and certificate set');
  await fw.applySetting('tlsEnabled', enabled);
}

/**
 * The admin account (7.4): INVALID_NAME (user name rule), INVALID_PASSWORD (DigestPassword is
 * not base64 of 16 bytes), DUPLICATE (a user entry has the name). Staged. The device gets the
 * digest hash, not the password: AMT's password rule is the server's to apply.
 */
export async function setAdminAclEntry(fw: Firmware, username: string, digestPassword: string): Promise<void> {
  const nameProblem = usernameProblem(username, false);
  if (nameProblem) refuse(PT_STATUS.INVALID_NAME, nameProblem);
  const ha1 = digestPasswordToHa1(digestPassword);
  if (ha1 === null) refuse(PT_STATUS.INVALID_PASSWORD, 'DigestPassword is not base64 of a 16-byte MD5 hash');
  if (fw.state.userAcl.some((entry) => entry.digestUsername === username)) refuse(PT_STATUS.DUPLICATE, 'a user ACL entry has this name');
  await fw.applySetting('admin', { username, ha1, setByServer: true });
}

/** SetMEBxPassword (7.5): the MEBx policy (UNSUPPORTED / NOT_PERMITTED), then the strong password rule (INVALID_PASSWORD). Staged. */
export async function setMebxPassword(fw: Firmware, password: string): Promise<void> {
  const refusal = mebxChangeRefusal({
    firmwareVersion: fw.state.firmwareVersion,
    changed: fw.state.mebx.changed,
    staged: fw.stagedSettingNames().includes('mebxPassword'),
  });
  if (refusal) refuse(refusal.status, refusal.reason);
  const problems = passwordProblems(password);
  if (problems.length > 0) refuse(PT_STATUS.INVALID_PASSWORD, `MEBx password ${problems.join(', ')}`);
  await fw.applySetting('mebxPassword', password);
}

/**
 * Unprovision's ProvisioningMode: 0 current, 1 enterprise; "Starting from Release 6.0 only
 * effective value is ProvisioningModeEnterprise" (wsman-messages), so 2 (small business) and
 * 3 (remote connectivity) answer INVALID_PARAMETER (decision). The device keeps its mode.
 */
const UNPROVISION_MODES: ReadonlySet<number> = new Set([0, 1]);

/** Full unprovision (firmware model), from any phase: staged setup is dropped too. Absent mode = current. */
export async function unprovisionFully(fw: Firmware, provisioningMode: number | undefined): Promise<void> {
  if (provisioningMode !== undefined && !UNPROVISION_MODES.has(provisioningMode)) refuse(PT_STATUS.INVALID_PARAMETER, `ProvisioningMode ${provisioningMode} is not 0 or 1`);
  await fw.unprovision('full');
}

/** Partial unprovision (admin account, host and domain name kept): INVALID_PT_MODE unless post-provisioning (decision). */
export async function unprovisionPartially(fw: Firmware): Promise<void> {
  if (fw.phase !== 'post') refuse(PT_STATUS.INVALID_PT_MODE, 'partial unprovision needs a provisioned device');
  await fw.unprovision('partial');
}
