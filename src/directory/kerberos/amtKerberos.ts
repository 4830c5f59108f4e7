// What phase 2 puts into AMT_KerberosSettingData for the device's AD account (Intel AMT SDK,
// "AMT_KerberosSettingData", "Get/Set Kerberos Settings", "Set Kerberos Settings to Support
// AES Ciphers"):
// - AMT 3.0-7.x: EncryptionAlgorithm is always 0 (RC4-HMAC) and MasterKey is the 16-byte
//   RC4-HMAC key. Service tickets must then be RC4, so the AD account may offer RC4 only.
// - AMT 8.0+: MasterKey/EncryptionAlgorithm are deprecated; the firmware derives AES keys
//   itself (RFC 3961/3962) from Passphrase, Salt and IterationCount, and uses the algorithms
//   listed in ConfiguredEncryptionAlgorithms (0 RC4-HMAC, 1 AES128, 2 AES256).
// KeyVersion is stored and echoed by AMT, not checked; we keep it equal to the account's
// msDS-KeyVersionNumber so tickets and settings can be matched when debugging.
// docs/amt-protocol.md section 6 (8.3) names the class but not the algorithm: the choice by
// firmware version below is ours. The result holds secrets (Passphrase or MasterKey):
// never log it or put it in workflow history.
import { invalidInput } from '../errors';
import { AES_DEFAULT_ITERATIONS, computerAccountSalt, rc4HmacKey } from './keys';

export { aesStringToKey, computerAccountSalt, nfold, rc4HmacKey, AES_DEFAULT_ITERATIONS } from './keys';

/** AMT_KerberosSettingData.SupportedEncryptionAlgorithms / ConfiguredEncryptionAlgorithms values. */
export const AMT_KERBEROS_ALGORITHM = { rc4Hmac: 0, aes128CtsHmacSha1: 1, aes256CtsHmacSha1: 2 } as const;

/** First AMT major version that takes a pass phrase and AES (Intel: "Release 8.0 and later"). */
export const AMT_AES_KERBEROS_SINCE = 8;

/** AMT's default and maximum clock skew tolerance, in minutes. */
const MAX_CLOCK_TOLERANCE_MINUTES = 5;

export interface AmtKerberosInput {
  realm: string;
  netbiosName: string;
  password: string;
  /** The account's msDS-KeyVersionNumber after the password was set. */
  keyVersion: number;
  /** AMT firmware major version (AMT_SetupAndConfigurationService / GetCoreVersion). */
  firmwareMajor: number;
}

export interface AmtKerberosSettings {
  RealmName: string;
  KeyVersion: number;
  KrbEnabled: true;
  MaximumClockTolerance: number;
  /** AMT 8+ only. */
  Passphrase?: string;
  Salt?: string;
  IterationCount?: number;
  ConfiguredEncryptionAlgorithms?: number[];
  /** Before AMT 8 only: 0 = RC4-HMAC, the only value those releases accept. */
  EncryptionAlgorithm?: number;
  /** Before AMT 8 only: base64 of the 16-byte RC4-HMAC key. */
  MasterKey?: string;
}

/** The Kerberos realm of an AD naming context: its DC= components, upper-case (DC=amt,DC=test -> AMT.TEST). */
export function realmFromBaseDn(baseDn: string): string {
  const labels = baseDn.split(',').map((rdn) => rdn.trim()).filter((rdn) => /^dc\s*=/i.test(rdn))
    .map((rdn) => rdn.slice(rdn.indexOf('=') + 1).trim());
  if (labels.length === 0) throw invalidInput('directory.baseDn', `${baseDn} has no DC= components to take a realm from`);
  return labels.join('.').toUpperCase();
}

/** msDS-SupportedEncryptionTypes the AD account needs for this firmware: AES (24) from AMT 8, RC4 only (4) before. */
export function directoryEncryptionTypesFor(firmwareMajor: number): number {
  return firmwareMajor >= AMT_AES_KERBEROS_SINCE ? 8 | 16 : 4;
}

export function amtKerberosSettings(input: AmtKerberosInput): AmtKerberosSettings {
  const common = {
    RealmName: input.realm.toUpperCase(),
    KeyVersion: input.keyVersion,
    KrbEnabled: true as const,
    MaximumClockTolerance: MAX_CLOCK_TOLERANCE_MINUTES,
  };
  if (input.firmwareMajor >= AMT_AES_KERBEROS_SINCE) {
    return {
      ...common,
      Passphrase: input.password,
      Salt: computerAccountSalt(input.realm, input.netbiosName),
      IterationCount: AES_DEFAULT_ITERATIONS,
      ConfiguredEncryptionAlgorithms: [AMT_KERBEROS_ALGORITHM.aes128CtsHmacSha1, AMT_KERBEROS_ALGORITHM.aes256CtsHmacSha1],
    };
  }
  return { ...common, EncryptionAlgorithm: AMT_KERBEROS_ALGORITHM.rc4Hmac, MasterKey: rc4HmacKey(input.password).toString('base64') };
}
