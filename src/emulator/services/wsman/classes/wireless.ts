// Network ports and wireless profiles (seed step 8.4): AMT_EthernetPortSettings ("Settings 0"
// wired, "Settings 1" wireless when the device has a radio, as RPS and rpc-go read them),
// CIM_WiFiPort, CIM_WiFiEndpointSettings (the stored profiles) and
// AMT_WiFiPortConfigurationService AddWiFiSettings / DeleteAllITProfiles (PT_STATUS).
import crypto from 'node:crypto';
import { PT_STATUS } from '../../../../contract/ptStatus';
import type { Firmware } from '../../../firmware/firmware';
import type { WsmanInstance as StoredInstance } from '../../../firmware/types';
import { refuse } from '../../refusal';
import { amtUri, AMT_SYSTEM, cimUri, serviceInstance, settingInstance, wsmanMethod, type ClassContext, type WsmanClass } from '../classModel';
import type { FieldSpecs, FieldValuesOf } from '../fields';
import { endpointReference } from '../response';
import { certificateHandleOf, IEEE8021X_PROFILE_FIELDS, SUPPORTED_EAP } from './certificates';

/** A stable, locally administered MAC per device and port, AMT's text form (a4-bb-6d-89-52-e4). */
export function macAddress(uuid: string, port: number): string {
  const bytes = crypto.createHash('sha256').update(`${uuid}:${port}`).digest().subarray(0, 6);
  bytes[0] = (bytes[0] | 0x02) & 0xfe;
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('-');
}

const ETHERNET = 'AMT_EthernetPortSettings';
export const WIRED_SETTINGS_ID = 'Intel(r) AMT Ethernet Port Settings 0';
export const WIRELESS_SETTINGS_ID = 'Intel(r) AMT Ethernet Port Settings 1';

export const ethernetPortSettings: WsmanClass = {
  name: ETHERNET,
  resourceUri: amtUri(ETHERNET),
  instances: ({ fw }) => {
    const common = { ElementName: 'Intel(r) AMT Ethernet Port Settings', VLANTag: 0, SharedMAC: true, SharedStaticIp: false, SharedDynamicIP: true, IpSyncEnabled: true, DHCPEnabled: true };
    const wired = settingInstance(WIRED_SETTINGS_ID, { ...common, InstanceID: WIRED_SETTINGS_ID, MACAddress: macAddress(fw.uuid, 0), LinkIsUp: true, LinkPolicy: [1, 14], PhysicalConnectionType: 0 });
    if (!fw.state.hasRadio) return [wired];
    // PhysicalConnectionType 3 = wireless LAN (wsman-messages EthernetPortSettings types).
    const wireless = settingInstance(WIRELESS_SETTINGS_ID, { ...common, InstanceID: WIRELESS_SETTINGS_ID, MACAddress: macAddress(fw.uuid, 1), LinkIsUp: false, LinkPolicy: [1, 14, 16], PhysicalConnectionType: 3 });
    return [wired, wireless];
  },
};

const WIFI_PORT = 'CIM_WiFiPort';

export const wifiPort: WsmanClass = {
  name: WIFI_PORT,
  resourceUri: cimUri(WIFI_PORT),
  instances: ({ fw }) => {
    if (!fw.state.hasRadio) return [];
    const keys = { CreationClassName: WIFI_PORT, DeviceID: 'WiFi Port 0', ...AMT_SYSTEM };
    // PortType 73 = IEEE 802.11n, LinkTechnology 11 = wireless LAN (CIM_NetworkPort value maps).
    const properties = { ...keys, ElementName: 'Intel(r) Wireless LAN', EnabledState: 3, RequestedState: 3, LinkTechnology: 11, PortType: 73, PermanentAddress: macAddress(fw.uuid, 1).replace(/-/g, '').toUpperCase() };
    return [{ keys, properties }];
  },
};

const ENDPOINT_SETTINGS = 'CIM_WiFiEndpointSettings';
const PROFILE_ID_PREFIX = 'Intel(r) AMT:WiFi Endpoint Settings ';
/** Shown through CIM_WiFiEndpointSettings; the passphrase and 802.1X details stay inside. */
const PROFILE_PROPERTIES = ['ElementName', 'InstanceID', 'Priority', 'SSID', 'BSSType', 'AuthenticationMethod', 'EncryptionMethod'];

export const wifiEndpointSettings: WsmanClass = {
  name: ENDPOINT_SETTINGS,
  resourceUri: cimUri(ENDPOINT_SETTINGS),
  instances: ({ fw }) =>
    fw.state.wirelessProfiles.map((profile) =>
      settingInstance(profile.instanceId, Object.fromEntries(PROFILE_PROPERTIES.map((name) => [name, profile.properties[name] as string | number | undefined]))),
    ),
  delete: async ({ fw }, instance) => {
    await fw.update((s) => {
      s.wirelessProfiles = s.wirelessProfiles.filter((p) => p.instanceId !== instance.keys.InstanceID);
    });
  },
};

const PORT_CONFIGURATION = 'AMT_WiFiPortConfigurationService';
/** The emulator's choice: public material gives no profile limit. */
export const MAX_WIRELESS_PROFILES = 16;
/** CIM_WiFiEndpointSettings.AuthenticationMethod: 4 WPA PSK, 5 WPA 802.1X, 6 WPA2 PSK, 7 WPA2 802.1X. */
const PSK_METHODS: ReadonlySet<number> = new Set([4, 6]);
const IEEE8021X_METHODS: ReadonlySet<number> = new Set([5, 7]);
/** EncryptionMethod: 3 TKIP, 4 CCMP. */
const ENCRYPTION_METHODS: ReadonlySet<number> = new Set([3, 4]);
/** BSSType 3 = infrastructure, the only kind AMT joins. */
const INFRASTRUCTURE = 3;

const addWiFiSettingsInput = {
  WiFiEndpoint: { type: 'epr', required: true },
  WiFiEndpointSettingsInput: {
    required: true,
    type: {
      embedded: cimUri(ENDPOINT_SETTINGS),
      fields: {
        ElementName: { type: 'string', required: true },
        InstanceID: { type: 'string' },
        Priority: { type: 'uint', required: true },
        SSID: { type: 'string', required: true },
        BSSType: { type: 'uint' },
        AuthenticationMethod: { type: 'uint', required: true },
        EncryptionMethod: { type: 'uint', required: true },
        PSKPassPhrase: { type: 'string' },
        PSKValue: { type: 'base64' },
        Keys: { type: 'string', array: true },
        KeyIndex: { type: 'uint' },
      },
    },
  },
  IEEE8021xSettingsInput: {
    type: {
      embedded: cimUri('CIM_IEEE8021xSettings'),
      fields: { ...IEEE8021X_PROFILE_FIELDS, AuthenticationProtocol: { type: 'uint', required: true } },
    },
  },
  ClientCredential: { type: 'epr' },
  CACredential: { type: 'epr' },
} as const satisfies FieldSpecs;

/** Checks an AddWiFiSettings request and returns the profile to store (PT_STATUS refusals). */
export function newWirelessProfile(fw: Firmware, input: FieldValuesOf<typeof addWiFiSettingsInput>): StoredInstance {
  const endpoint = input.WiFiEndpoint;
  if (endpoint.resourceUri !== cimUri('CIM_WiFiEndpoint') || endpoint.selectors.get('Name') !== 'WiFi Endpoint 0') refuse(PT_STATUS.INVALID_PARAMETER, 'WiFiEndpoint must reference CIM_WiFiEndpoint "WiFi Endpoint 0"');
  const s = input.WiFiEndpointSettingsInput;
  if (!/^[\x20-\x7e]{1,32}$/.test(s.ElementName)) refuse(PT_STATUS.INVALID_PARAMETER, 'ElementName must be 1-32 printable ASCII characters');
  if (Buffer.byteLength(s.SSID) < 1 || Buffer.byteLength(s.SSID) > 32) refuse(PT_STATUS.INVALID_PARAMETER, 'SSID must be 1-32 bytes');
  if (!ENCRYPTION_METHODS.has(s.EncryptionMethod)) refuse(PT_STATUS.INVALID_PARAMETER, `EncryptionMethod ${s.EncryptionMethod} is not TKIP (3) or CCMP (4)`);
  if (s.BSSType !== undefined && s.BSSType !== INFRASTRUCTURE) refuse(PT_STATUS.INVALID_PARAMETER, 'BSSType must be 3 (infrastructure)');
  if (s.PSKValue !== undefined || s.Keys !== undefined || s.KeyIndex !== undefined) refuse(PT_STATUS.INVALID_PARAMETER, 'PSKValue and WEP keys are not supported; send PSKPassPhrase');
  const instanceId = PROFILE_ID_PREFIX + s.ElementName;
  const properties: StoredInstance['properties'] = {
    ElementName: s.ElementName, InstanceID: instanceId, Priority: s.Priority, SSID: s.SSID, BSSType: INFRASTRUCTURE,
    AuthenticationMethod: s.AuthenticationMethod, EncryptionMethod: s.EncryptionMethod,
  };
  const ieee = input.IEEE8021xSettingsInput;
  if (PSK_METHODS.has(s.AuthenticationMethod)) {
    if (s.PSKPassPhrase === undefined || !/^[\x20-\x7e]{8,63}$/.test(s.PSKPassPhrase)) refuse(PT_STATUS.INVALID_PASSPHRASE, 'a PSK profile needs a PSKPassPhrase of 8-63 printable ASCII characters');
    if (ieee || input.ClientCredential || input.CACredential) refuse(PT_STATUS.INVALID_PARAMETER, 'a PSK profile takes no 802.1X settings or credentials');
    properties.PSKPassPhrase = s.PSKPassPhrase;
  } else if (IEEE8021X_METHODS.has(s.AuthenticationMethod)) {
    if (s.PSKPassPhrase !== undefined) refuse(PT_STATUS.INVALID_PARAMETER, 'an 802.1X profile takes no PSKPassPhrase');
    if (!ieee || !SUPPORTED_EAP.has(ieee.AuthenticationProtocol)) refuse(PT_STATUS.INVALID_PARAMETER, 'an 802.1X profile needs IEEE8021xSettingsInput with a supported AuthenticationProtocol');
    if (!input.CACredential) refuse(PT_STATUS.INVALID_PARAMETER, 'an 802.1X profile needs CACredential (the RADIUS server root)');
    properties.CACredential = certificateHandleOf(fw, input.CACredential, 'CACredential');
    const needsClientCertificate = ieee.AuthenticationProtocol === 0 || ieee.AuthenticationProtocol === 10;
    if (needsClientCertificate !== (input.ClientCredential !== undefined)) refuse(PT_STATUS.INVALID_PARAMETER, 'ClientCredential is required for EAP-TLS and EAP-FAST/TLS only');
    if (input.ClientCredential) {
      const client = certificateHandleOf(fw, input.ClientCredential, 'ClientCredential');
      if (fw.state.keyStore.certificates.find((c) => c.handle === client)?.keyHandle === undefined) refuse(PT_STATUS.PKI_MISSING_KEYS, 'the device holds no private key for ClientCredential');
      properties.ClientCredential = client;
    }
    if ([1, 2, 4].includes(ieee.AuthenticationProtocol) && (ieee.Username === undefined || ieee.Password === undefined)) refuse(PT_STATUS.INVALID_CREDENTIALS, 'MSCHAPv2 needs Username and Password');
    for (const [name, value] of Object.entries(ieee)) if (value !== undefined) properties[`IEEE8021x.${name}`] = value;
  } else {
    refuse(PT_STATUS.INVALID_PARAMETER, `AuthenticationMethod ${s.AuthenticationMethod} is not WPA/WPA2 PSK or 802.1X`);
  }
  const profiles = fw.state.wirelessProfiles;
  if (profiles.some((p) => p.instanceId === instanceId)) refuse(PT_STATUS.DUPLICATE, `a profile named ${s.ElementName} exists`);
  if (profiles.some((p) => p.properties.Priority === s.Priority)) refuse(PT_STATUS.DUPLICATE, `a profile with priority ${s.Priority} exists`);
  if (profiles.length >= MAX_WIRELESS_PROFILES) refuse(PT_STATUS.MAX_LIMIT_REACHED, `the device holds ${MAX_WIRELESS_PROFILES} profiles already`);
  return { instanceId, properties };
}

function assertRadio({ fw }: ClassContext): void {
  if (!fw.state.hasRadio) refuse(PT_STATUS.UNSUPPORTED, 'this device has no wireless radio');
}

export const wifiPortConfigurationService: WsmanClass = {
  name: PORT_CONFIGURATION,
  resourceUri: amtUri(PORT_CONFIGURATION),
  singleton: true,
  instances: () => [serviceInstance(PORT_CONFIGURATION, 'Intel(r) AMT WiFi Port Configuration Service', { EnabledState: 5, RequestedState: 12, localProfileSynchronizationEnabled: 0 })],
  methods: {
    AddWiFiSettings: wsmanMethod({
      input: addWiFiSettingsInput,
      run: async (ctx, input) => {
        assertRadio(ctx);
        const profile = newWirelessProfile(ctx.fw, input);
        await ctx.fw.update((s) => {
          s.wirelessProfiles.push(profile);
        });
        return { returnValue: PT_STATUS.SUCCESS, output: { SettingsData: endpointReference(cimUri(ENDPOINT_SETTINGS), { InstanceID: profile.instanceId }) } };
      },
    }),
    DeleteAllITProfiles: wsmanMethod({
      input: {},
      run: async (ctx) => {
        assertRadio(ctx);
        await ctx.fw.update((s) => {
          s.wirelessProfiles = [];
        });
        return { returnValue: PT_STATUS.SUCCESS };
      },
    }),
  },
};
