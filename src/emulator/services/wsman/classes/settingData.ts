// AMT_GeneralSettings (seed step 8.2: ping responses; DigestRealm readable) and
// AMT_KerberosSettingData (seed step 8.3). Property lists: wsman-messages GeneralSettings
// model; Intel's AMT_KerberosSettingData MOF (RealmName ... ConfiguredEncryptionAlgorithms).
import type { Firmware } from '../../../firmware/firmware';
import { decodeBase64 } from '../../validation/credentials';
import { domainNameProblem, fqdnProblem, hostNameProblem } from '../../validation/dnsNames';
import { amtUri, settingInstance, wsmanPut, type WsmanClass } from '../classModel';
import { WsmanFault } from '../faults';
import type { FieldSpecs } from '../fields';

const GENERAL = 'AMT_GeneralSettings';
const GENERAL_ID = 'Intel(r) AMT: General Settings';

function badValue(reason: string): never {
  throw new WsmanFault('InvalidRepresentation', reason, 'InvalidValues');
}

/** A read-only property a client sends back must carry the value the device reported. */
function unchanged(name: string, given: string | undefined, actual: string): void {
  if (given !== undefined && given !== actual) badValue(`${name} is read-only`);
}

const generalFields = {
  AMTNetworkEnabled: { type: 'uint' },
  DDNSPeriodicUpdateInterval: { type: 'uint' },
  DDNSTTL: { type: 'uint' },
  DDNSUpdateByDHCPServerEnabled: { type: 'boolean' },
  DDNSUpdateEnabled: { type: 'boolean' },
  DHCPv6ConfigurationTimeout: { type: 'uint' },
  DigestRealm: { type: 'string' },
  DomainName: { type: 'string' },
  ElementName: { type: 'string' },
  HostName: { type: 'string' },
  HostOSFQDN: { type: 'string' },
  IdleWakeTimeout: { type: 'uint' },
  InstanceID: { type: 'string' },
  NetworkInterfaceEnabled: { type: 'boolean' },
  PingResponseEnabled: { type: 'boolean' },
  PowerSource: { type: 'uint' },
  PreferredAddressFamily: { type: 'uint' },
  PresenceNotificationInterval: { type: 'uint' },
  PrivacyLevel: { type: 'uint' },
  RmcpPingResponseEnabled: { type: 'boolean' },
  SharedFQDN: { type: 'boolean' },
  ThunderboltDockEnabled: { type: 'uint' },
  WsmanOnlyMode: { type: 'boolean' },
} as const satisfies FieldSpecs;

/**
 * Properties the firmware keeps: DigestRealm, HostName, DomainName, PingResponseEnabled,
 * RmcpPingResponseEnabled. The others report AMT-like defaults; a Put may send them (clients
 * put back what they got) but the emulator does not keep changes to them (its choice).
 */
export const generalSettings: WsmanClass = {
  name: GENERAL,
  resourceUri: amtUri(GENERAL),
  singleton: true,
  instances: ({ fw }) => {
    const settings = fw.settings();
    return [
      settingInstance(GENERAL_ID, {
        AMTNetworkEnabled: 1,
        DDNSPeriodicUpdateInterval: 1440,
        DDNSTTL: 900,
        DDNSUpdateByDHCPServerEnabled: true,
        DDNSUpdateEnabled: false,
        DHCPv6ConfigurationTimeout: 0,
        DigestRealm: fw.state.digestRealm,
        DomainName: settings.domainName,
        ElementName: GENERAL_ID,
        HostName: settings.hostName,
        HostOSFQDN: '',
        IdleWakeTimeout: 65535,
        InstanceID: GENERAL_ID,
        NetworkInterfaceEnabled: true,
        PingResponseEnabled: fw.state.features.ping,
        PowerSource: 0,
        PreferredAddressFamily: 0,
        PresenceNotificationInterval: 0,
        PrivacyLevel: 0,
        RmcpPingResponseEnabled: fw.state.features.rmcpPing,
        SharedFQDN: true,
        ThunderboltDockEnabled: 0,
        WsmanOnlyMode: false,
      }),
    ];
  },
  put: wsmanPut({
    fields: generalFields,
    apply: async ({ fw }, values) => {
      unchanged('InstanceID', values.InstanceID, GENERAL_ID);
      unchanged('DigestRealm', values.DigestRealm, fw.state.digestRealm);
      const settings = fw.settings();
      const hostName = values.HostName ?? settings.hostName;
      const domainName = values.DomainName ?? settings.domainName;
      if (hostName !== settings.hostName) {
        const problem = hostNameProblem(hostName) ?? fqdnProblem(hostName, domainName);
        if (problem) badValue(problem);
      }
      if (domainName !== settings.domainName) {
        const problem = domainNameProblem(domainName) ?? fqdnProblem(hostName, domainName);
        if (problem) badValue(problem);
      }
      await fw.update((s) => {
        s.features.ping = values.PingResponseEnabled ?? s.features.ping;
        s.features.rmcpPing = values.RmcpPingResponseEnabled ?? s.features.rmcpPing;
      });
      if (hostName !== settings.hostName) await fw.applySetting('hostName', hostName);
      if (domainName !== settings.domainName) await fw.applySetting('domainName', domainName);
    },
  }),
};

const KERBEROS = 'AMT_KerberosSettingData';
const KERBEROS_ID = 'Intel(r) AMT: Kerberos Settings';
/** EncryptionAlgorithm 0 = RC4 encryption and HMAC authentication (go-wsman-messages kerberos). */
const RC4_HMAC = 0;
/** ServicePrincipalProtocol: 0 HTTP, 1 HTTPS, 2 SOL/IDE-R, 3 SOL/IDE-R over TLS, on ports 16992-16995. */
const SPN_PORTS = [16992, 16993, 16994, 16995];

/** The SPNs AMT registers for its FQDN; the emulator derives them (not kept in the firmware model). */
export function servicePrincipalNames(fw: Firmware): string[] {
  const { hostName, domainName } = fw.settings();
  if (hostName === '' || domainName === '') return [];
  return SPN_PORTS.map((port) => `HTTP/${hostName}.${domainName}:${port}`);
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

/** Kerberos realm: DNS-style labels, case kept (AD realms are upper case). */
const REALM = /^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,253}[A-Za-z0-9])?$/;

/**
 * The emulator models RC4-HMAC master keys (16 bytes, the NT hash of the computer account
 * password) as ConfigMgr 2007 used them; AES keys from Passphrase/Salt are refused.
 * MasterKey and Passphrase are write-only: Get never returns them.
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
        MaximumClockTolerance: 5,
        KrbEnabled: k?.enabled ?? false,
        SupportedEncryptionAlgorithms: [RC4_HMAC],
        ConfiguredEncryptionAlgorithms: [RC4_HMAC],
      }),
    ];
  },
  put: wsmanPut({
    fields: kerberosFields,
    apply: async ({ fw }, values) => {
      unchanged('InstanceID', values.InstanceID, KERBEROS_ID);
      if (values.EncryptionAlgorithm !== undefined && values.EncryptionAlgorithm !== RC4_HMAC) badValue('only EncryptionAlgorithm 0 (RC4-HMAC) is supported');
      if (values.Passphrase !== undefined || values.Salt !== undefined || values.IterationCount !== undefined) {
        badValue('AES keys from Passphrase/Salt are not supported; send MasterKey');
      }
      if ((values.ServicePrincipalName?.length ?? 0) !== (values.ServicePrincipalProtocol?.length ?? 0)) {
        badValue('ServicePrincipalName and ServicePrincipalProtocol must pair up');
      }
      const current = fw.state.kerberos;
      const realm = values.RealmName ?? current?.realm ?? '';
      const masterKey = values.MasterKey ?? current?.masterKey;
      if (values.KrbEnabled) {
        if (!REALM.test(realm)) badValue('KrbEnabled needs a RealmName of DNS-style labels');
        if (masterKey === undefined) badValue('KrbEnabled needs a MasterKey');
        if (decodeBase64(masterKey)?.length !== 16) badValue('MasterKey must be 16 bytes (RC4-HMAC)');
      }
      if (values.KeyVersion === 0) badValue('KeyVersion starts at 1');
      await fw.update((s) => {
        s.kerberos =
          realm === '' && !values.KrbEnabled
            ? null
            : { realm, keyVersion: values.KeyVersion ?? current?.keyVersion ?? 1, masterKey: masterKey ?? '', enabled: values.KrbEnabled };
      });
    },
  }),
};
