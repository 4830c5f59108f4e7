// The firmware state as the control API shows it: secrets redacted unless explicitly asked for
// with `?secrets=reveal` (tests compare the admin HA1 / MEBx password with the server's vault).
// Private keys are never shown.
import crypto from 'node:crypto';
import type { Firmware } from '../firmware/firmware';
import type { FirmwareState, KerberosAlgorithm, KerberosSettings, WsmanInstance } from '../firmware/types';

const REDACTED = '[redacted]';
/** WS-Man property names that carry secrets (PSK passphrases, keys, passwords). */
const SECRET_PROPERTY = /pass|psk|secret|key$/i;

const sha256 = (text: string): string => crypto.createHash('sha256').update(text, 'utf8').digest('hex');

/** Names the view shows Kerberos keys under (IANA enctype names). */
const KERBEROS_KEY_NAMES: Record<KerberosAlgorithm, string> = { 0: 'rc4-hmac', 1: 'aes128-cts-hmac-sha1-96', 2: 'aes256-cts-hmac-sha1-96' };

const keySha256 = (base64: string): string => crypto.createHash('sha256').update(Buffer.from(base64, 'base64')).digest('hex');

/**
 * Kerberos settings without the key: realm, key version, algorithms, the salt inputs, and the
 * SHA-256 of each key by enctype name, so a test can derive the key from the directory's
 * password and compare. The RC4 master key itself shows only when secrets are revealed; the
 * derived AES keys never do.
 */
function kerberosView(k: KerberosSettings, revealSecrets: boolean): Record<string, unknown> {
  const key = k.key;
  const common = { realm: k.realm, keyVersion: k.keyVersion, enabled: k.enabled, maximumClockTolerance: k.maximumClockTolerance };
  if (!key) return { ...common, encryption: null, algorithms: [], keys: {} };
  if (key.kind === 'rc4-hmac') {
    return {
      ...common,
      encryption: key.kind,
      algorithms: [0],
      keys: { [KERBEROS_KEY_NAMES[0]]: keySha256(key.masterKey) },
      masterKey: revealSecrets ? key.masterKey : REDACTED,
    };
  }
  return {
    ...common,
    encryption: key.kind,
    algorithms: key.keys.map((entry) => entry.algorithm),
    salt: key.salt,
    iterationCount: key.iterationCount,
    keys: Object.fromEntries(key.keys.map((entry) => [KERBEROS_KEY_NAMES[entry.algorithm], keySha256(entry.key)])),
  };
}

function redactInstance(instance: WsmanInstance): WsmanInstance {
  const properties = Object.fromEntries(
    Object.entries(instance.properties).map(([name, value]) => [name, SECRET_PROPERTY.test(name) ? REDACTED : value]),
  );
  return { instanceId: instance.instanceId, properties };
}

export function firmwareView(fw: Firmware, revealSecrets: boolean): Record<string, unknown> {
  const s = structuredClone(fw.state) as FirmwareState;
  const hide = (secret: string): string => (revealSecrets ? secret : REDACTED);
  return {
    ...s,
    phase: fw.phase,
    stagedSettings: fw.stagedSettingNames(),
    mebx: { changed: s.mebx.changed, passwordSha256: sha256(s.mebx.password), ...(revealSecrets ? { password: s.mebx.password } : {}) },
    admin: { ...s.admin, ha1: hide(s.admin.ha1) },
    userAcl: s.userAcl.map((entry) => ({ ...entry, ...(entry.digestHa1 !== undefined ? { digestHa1: hide(entry.digestHa1) } : {}) })),
    tls: { ...s.tls, selfSigned: { certificatePem: s.tls.selfSigned.certificatePem } },
    keyStore: { ...s.keyStore, keyPairs: s.keyStore.keyPairs.map(({ handle, publicKeyDer }) => ({ handle, publicKeyDer })) },
    otp: s.otp === null ? null : { sha256: sha256(s.otp), ...(revealSecrets ? { value: s.otp } : {}) },
    kerberos: s.kerberos && kerberosView(s.kerberos, revealSecrets),
    wirelessProfiles: revealSecrets ? s.wirelessProfiles : s.wirelessProfiles.map(redactInstance),
    ieee8021x: s.ieee8021x && (revealSecrets ? s.ieee8021x : redactInstance(s.ieee8021x)),
  };
}
