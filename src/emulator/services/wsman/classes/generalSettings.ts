// AMT_GeneralSettings (seed step 8.2: ping responses; DigestRealm readable). Property list:
// wsman-messages GeneralSettings model. AMT_KerberosSettingData is in kerberos.ts.
import { domainNameProblem, fqdnProblem, hostNameProblem } from '../../validation/dnsNames';
import { amtUri, settingInstance, wsmanPut, type WsmanClass } from '../classModel';
import { badValue } from '../faults';
import type { FieldSpecs } from '../fields';

const GENERAL = 'AMT_GeneralSettings';
const GENERAL_ID = 'Intel(r) AMT: General Settings';

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
