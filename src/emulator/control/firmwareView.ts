// The firmware state as the control API shows it: secrets redacted unless explicitly asked for
// with `?secrets=reveal` (tests compare the admin HA1 / MEBx password with the server's vault).
// Private keys are never shown.
import crypto from 'node:crypto';
import type { Firmware } from '../firmware/firmware';
import type { FirmwareState, WsmanInstance } from '../firmware/types';

const REDACTED = '[redacted]';
/** WS-Man property names that carry secrets (PSK passphrases, keys, passwords). */
const SECRET_PROPERTY = /pass|psk|secret|key$/i;

const sha256 = (text: string): string => crypto.createHash('sha256').update(text, 'utf8').digest('hex');

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
    kerberos: s.kerberos && { ...s.kerberos, masterKey: hide(s.kerberos.masterKey) },
    wirelessProfiles: revealSecrets ? s.wirelessProfiles : s.wirelessProfiles.map(redactInstance),
    ieee8021x: s.ieee8021x && (revealSecrets ? s.ieee8021x : redactInstance(s.ieee8021x)),
  };
}
