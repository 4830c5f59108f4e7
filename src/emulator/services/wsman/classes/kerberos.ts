// AMT_KerberosSettingData (seed step 8.3): realm, key version and the device's Kerberos key.
// Property list: Intel's AMT_KerberosSettingData MOF (RealmName ... ConfiguredEncryptionAlgorithms),
// as go-wsman-messages documents it: "MasterKey cannot be used if the key generation method is
// used (using the Passphrase property)"; Passphrase needs Salt; AES from AMT 8.
import { aesKerberosKey, AES_KERBEROS_KEY_BYTES, computerAccountSaltFor, type AesKerberosAlgorithm } from '../../../crypto/kerberosKeys';
import { firmwareMajor as majorOf } from '../../../../contract/firmwareFamilies';
import type { DeepReadonly, Firmware } from '../../../firmware/firmware';
import type { KerberosAlgorithm, KerberosKeyMaterial, KerberosSettings } from '../../../firmware/types';
import { decodeBase64 } from '../../validation/credentials';
import { amtUri, settingInstance, wsmanPut, type WsmanClass } from '../classModel';
import { badValue } from '../faults';
import type { FieldSpecs, FieldValuesOf } from '../fields';

const KERBEROS = 'AMT_KerberosSettingData';
const KERBEROS_ID = 'Intel(r) AMT: Kerberos Settings';
/** EncryptionAlgorithm 0 = RC4 encryption and HMAC authentication (the MOF's only value). */
const RC4_HMAC = 0;
/** First AMT major release that derives AES keys from a pass phrase (Intel: "Release 8.0 and later"). */
export const AES_KERBEROS_SINCE_MAJOR = 8;
/** RFC 3962's default, taken when IterationCount is absent (the MOF marks it optional). */
const DEFAULT_ITERATIONS = 4096;
/**
 * The emulator's bound (docs/amt-protocol.md is silent): AD uses 4096; a device has little CPU, and
 * an unbounded count would let one Put keep the firmware busy for hours.
 */
const MAX_ITERATIONS = 100_000;
/** Minutes; AMT's default and the MOF's "typically 5 minutes". */
const DEFAULT_CLOCK_TOLERANCE = 5;
/** ServicePrincipalProtocol: 0 HTTP, 1 HTTPS, 2 SOL/IDE-R, 3 SOL/IDE-R over TLS, on ports 16992-16995. */
const SPN_PORTS = [16992, 16993, 16994, 16995];

const firmwareMajor = (fw: Firmware): number => majorOf(fw.state.firmwareVersion);

/** The SPNs AMT registers for its FQDN; the emulator derives them (not kept in the firmware model). */
function servicePrincipalNames(fw: Firmware): string[] {
  const { hostName, domainName } = fw.settings();
  if (hostName === '' || domainName === '') return [];
  return SPN_PORTS.map((port) => `HTTP/${hostName}.${domainName}:${port}`);
}

/** The algorithms a key serves, as ConfiguredEncryptionAlgorithms reports them. */
function configuredAlgorithms(key: DeepReadonly<KerberosKeyMaterial> | null): KerberosAlgorithm[] {
  if (!key) return [];
  return key.kind === 'rc4-hmac' ? [RC4_HMAC] : key.keys.map((k) => k.algorithm);
}

const kerberosFields = {
  ElementName: { type: 'string' },
  InstanceID: { type: 'string' },
  RealmName: { type: 'string' },
  ServicePrincipalName: { type: 'string', array: true },
  ServicePrincipalProtocol: { type: 'uint', array: true },
  KeyVersion: { type: 'uint' },
  EncryptionAlgorithm: { type: 'uint' },
  MasterKey: { type: 'base64' },
  MaximumClockTolerance: { type: 'uint' },
  KrbEnabled: { type: 'boolean', required: true },
  Passphrase: { type: 'string' },
  Salt: { type: 'string' },
  IterationCount: { type: 'uint' },
  SupportedEncryptionAlgorithms: { type: 'uint', array: true },
  ConfiguredEncryptionAlgorithms: { type: 'uint', array: true },
} as const satisfies FieldSpecs;
type KerberosPut = FieldValuesOf<typeof kerberosFields>;

/** Kerberos realm: DNS-style labels, case kept (AD realms are upper case). */
const REALM = /^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,253}[A-Za-z0-9])?$/;

/**
 * The AES form (AMT 8+): the device checks the salt against the one AD gives its computer
 * account (it can compute it from the realm and its own host name), then derives one key per
 * configured algorithm. The pass phrase is used here and never kept.
 */
async function deriveAesKeys(fw: Firmware, realm: string, put: KerberosPut): Promise<KerberosKeyMaterial> {
  if (firmwareMajor(fw) < AES_KERBEROS_SINCE_MAJOR) {
    badValue(`firmware ${fw.state.firmwareVersion} takes an RC4-HMAC MasterKey; Passphrase/Salt (AES) need AMT ${AES_KERBEROS_SINCE_MAJOR} or later`);
  }
  const { Passphrase: passphrase, Salt: salt } = put;
  if (!passphrase) badValue('the AES key needs a non-empty Passphrase');
  if (salt === undefined) badValue('a Passphrase needs its Salt');
  if (!REALM.test(realm)) badValue('the AES key needs a RealmName of DNS-style labels (the salt is made from it)');
  const hostName = fw.settings().hostName;
  if (hostName === '') badValue('the device has no host name yet: it cannot check the salt of its computer account');
  const expectedSalt = computerAccountSaltFor(realm, hostName);
  if (salt !== expectedSalt) badValue(`Salt is not the AD salt of this device's computer account (${expectedSalt})`);
  const iterations = put.IterationCount ?? DEFAULT_ITERATIONS;
  if (iterations < 1 || iterations > MAX_ITERATIONS) badValue(`IterationCount must be 1-${MAX_ITERATIONS}`);
  const algorithms = put.ConfiguredEncryptionAlgorithms ?? [];
  const valid = (a: number): a is AesKerberosAlgorithm => a in AES_KERBEROS_KEY_BYTES;
  if (algorithms.length === 0 || !algorithms.every(valid) || new Set(algorithms).size !== algorithms.length) {
    badValue('ConfiguredEncryptionAlgorithms must list 1 (AES128) and/or 2 (AES256), each once');
  }
  const keys = await Promise.all(
    algorithms.map(async (algorithm) => ({
      algorithm,
      key: (await aesKerberosKey(passphrase, salt, AES_KERBEROS_KEY_BYTES[algorithm], iterations)).toString('base64'),
    })),
  );
  return { kind: 'aes', salt, iterationCount: iterations, keys };
}

/** The key material a Put leaves the device with (new, or the current one kept). */
async function keyAfterPut(fw: Firmware, realm: string, put: KerberosPut): Promise<KerberosKeyMaterial | null> {
  const current = fw.state.kerberos;
  if (put.EncryptionAlgorithm !== undefined && put.EncryptionAlgorithm !== RC4_HMAC) badValue('EncryptionAlgorithm has one value: 0 (RC4-HMAC)');
  const aesForm = put.Passphrase !== undefined || put.Salt !== undefined || put.IterationCount !== undefined;
  if (aesForm && put.MasterKey !== undefined) badValue('MasterKey cannot be used with Passphrase/Salt');
  if (aesForm) return deriveAesKeys(fw, realm, put);
  if (put.MasterKey !== undefined) {
    if (decodeBase64(put.MasterKey)?.length !== 16) badValue('MasterKey must be 16 bytes (RC4-HMAC)');
    return { kind: 'rc4-hmac', masterKey: put.MasterKey };
  }
  const kept = (current?.key ?? null) as KerberosKeyMaterial | null;
  // A client putting back what it read may repeat the algorithms; changing them needs new key material.
  const configured = put.ConfiguredEncryptionAlgorithms;
  if (configured && [...configured].sort().join() !== [...configuredAlgorithms(kept)].sort().join()) {
    badValue('ConfiguredEncryptionAlgorithms change only with new key material (MasterKey, or Passphrase and Salt)');
  }
  if (kept?.kind === 'aes' && current && realm !== current.realm) badValue('a new RealmName needs a new Passphrase: the AES keys are salted with the realm');
  return kept;
}

/**
 * MasterKey (RC4-HMAC, 16 bytes: every release) or Passphrase + Salt + IterationCount +
 * ConfiguredEncryptionAlgorithms (AES, AMT 8+; see deriveAesKeys). Neither the key nor the
 * pass phrase nor the salt inputs are ever returned by Get; the control API shows hashes.
 */
export const kerberosSettingData: WsmanClass = {
  name: KERBEROS,
  resourceUri: amtUri(KERBEROS),
  singleton: true,
  instances: ({ fw }) => {
    const k = fw.state.kerberos;
    const spns = servicePrincipalNames(fw);
    return [
      settingInstance(KERBEROS_ID, {
        ElementName: KERBEROS_ID,
        InstanceID: KERBEROS_ID,
        RealmName: k?.realm ?? '',
        ServicePrincipalName: spns,
        ServicePrincipalProtocol: spns.map((_, i) => i),
        KeyVersion: k?.keyVersion ?? 0,
        EncryptionAlgorithm: RC4_HMAC,
        MaximumClockTolerance: k?.maximumClockTolerance ?? DEFAULT_CLOCK_TOLERANCE,
        KrbEnabled: k?.enabled ?? false,
        SupportedEncryptionAlgorithms: firmwareMajor(fw) >= AES_KERBEROS_SINCE_MAJOR ? [0, 1, 2] : [RC4_HMAC],
        ConfiguredEncryptionAlgorithms: configuredAlgorithms(k?.key ?? null),
      }),
    ];
  },
  put: wsmanPut({
    fields: kerberosFields,
    apply: async ({ fw }, values) => {
      if (values.InstanceID !== undefined && values.InstanceID !== KERBEROS_ID) badValue('InstanceID is read-only');
      if ((values.ServicePrincipalName?.length ?? 0) !== (values.ServicePrincipalProtocol?.length ?? 0)) {
        badValue('ServicePrincipalName and ServicePrincipalProtocol must pair up');
      }
      if (values.KeyVersion === 0) badValue('KeyVersion starts at 1');
      const current = fw.state.kerberos;
      const realm = values.RealmName ?? current?.realm ?? '';
      const key = await keyAfterPut(fw, realm, values);
      if (values.KrbEnabled) {
        if (!REALM.test(realm)) badValue('KrbEnabled needs a RealmName of DNS-style labels');
        if (!key) badValue(`KrbEnabled needs a key: MasterKey, or Passphrase and Salt (AMT ${AES_KERBEROS_SINCE_MAJOR}+)`);
      }
      const next: KerberosSettings | null =
        realm === '' && !values.KrbEnabled
          ? null
          : {
              realm,
              keyVersion: values.KeyVersion ?? current?.keyVersion ?? 1,
              enabled: values.KrbEnabled,
              maximumClockTolerance: values.MaximumClockTolerance ?? current?.maximumClockTolerance ?? DEFAULT_CLOCK_TOLERANCE,
              key,
            };
      await fw.update((s) => {
        s.kerberos = next;
      });
    },
  }),
};
