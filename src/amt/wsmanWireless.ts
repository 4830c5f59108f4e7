// Seed step 8.4 (ConfigMgr SP2): wireless profiles and wired 802.1X (docs/amt-protocol.md section 6).
import type { CIM, IPS } from '@device-management-toolkit/wsman-messages';
import { escapeXml } from './deviceXml';
import { deleteAllItProfiles, publicKeyCertificateReference } from './wsmanBuilders';
import { putProperties, type PutValue } from './wsmanInstances';
import { stringProperty, type WsmanClient, type WsmanInstance } from './wsmanClient';

/** The wireless port's settings instance is "... Settings 1" (RPS and AMT SDK convention; "Settings 0" is wired). */
const WIRELESS_SETTINGS_SUFFIX = 'Settings 1';

export async function enumerateWiFiEndpointSettings(client: WsmanClient): Promise<WsmanInstance[]> {
  const settings = client.cim.WiFiEndpointSettings;
  return client.enumerateAll('CIM_WiFiEndpointSettings', settings.Enumerate(), (context) => settings.Pull(context));
}

/** Deletes one wireless profile (CIM_WiFiEndpointSettings Delete by InstanceID). */
export async function deleteWiFiEndpointSettings(client: WsmanClient, instanceId: string): Promise<void> {
  await client.send(client.cim.WiFiEndpointSettings.Delete({ name: 'InstanceID', value: escapeXml(instanceId) }), 'CIM_WiFiEndpointSettings.Delete');
}

/** Deletes every IT profile in one call (AMT_WiFiPortConfigurationService.DeleteAllITProfiles). */
export async function deleteAllWiFiItProfiles(client: WsmanClient): Promise<void> {
  await client.invoke(deleteAllItProfiles(client.amt.wsmanMessageCreator), 'AMT_WiFiPortConfigurationService', 'DeleteAllITProfiles');
}

export interface WirelessPort {
  /** CIM_WiFiPort instances: the device has a radio when there is one. */
  wifiPorts: WsmanInstance[];
  /** AMT_EthernetPortSettings of the wireless interface ("Settings 1"), when present. */
  ethernetPortSettings?: WsmanInstance;
}

export async function detectWirelessPort(client: WsmanClient): Promise<WirelessPort> {
  const wifiPort = client.cim.WiFiPort;
  const wifiPorts = await client.enumerateAll('CIM_WiFiPort', wifiPort.Enumerate(), (context) => wifiPort.Pull(context));
  const ethernet = client.amt.EthernetPortSettings;
  const ports = await client.enumerateAll('AMT_EthernetPortSettings', ethernet.Enumerate(), (context) => ethernet.Pull(context));
  const ethernetPortSettings = ports.find((port) => stringProperty(port, 'InstanceID')?.endsWith(WIRELESS_SETTINGS_SUFFIX));
  return { wifiPorts, ethernetPortSettings };
}

export interface WiFiProfile {
  elementName: string;
  ssid: string;
  priority: number;
  /** CIM_WiFiEndpointSettings: 4 WPA-PSK, 5 WPA-IEEE802.1x, 6 WPA2-PSK, 7 WPA2-IEEE802.1x. */
  authenticationMethod: number;
  /** 3 TKIP, 4 CCMP. */
  encryptionMethod: number;
  /** For the PSK methods; wsman-messages escapes it itself. */
  pskPassphrase?: string;
}

/**
 * AMT_WiFiPortConfigurationService.AddWiFiSettings on the device's WiFi endpoint
 * (selector Name, e.g. "WiFi Endpoint 0"). 802.1X profiles pass their settings and
 * certificate handles (AMT_PublicKeyCertificate InstanceIDs) too.
 */
export async function addWiFiSettings(
  client: WsmanClient,
  wifiEndpointName: string,
  profile: WiFiProfile,
  ieee8021x?: { settings: CIM.Models.IEEE8021xSettings; clientCredential?: string; caCredential?: string },
): Promise<WsmanInstance> {
  const settings = {
    ElementName: escapeXml(profile.elementName),
    InstanceID: escapeXml(`Intel(r) AMT:WiFi Endpoint Settings ${profile.elementName}`),
    AuthenticationMethod: profile.authenticationMethod,
    EncryptionMethod: profile.encryptionMethod,
    SSID: escapeXml(profile.ssid),
    Priority: profile.priority,
    ...(profile.pskPassphrase !== undefined ? { PSKPassPhrase: profile.pskPassphrase } : {}),
  } as CIM.Models.WiFiEndpointSettings;
  const ieee8021xSettings = ieee8021x && (Object.fromEntries(Object.entries(ieee8021x.settings)
    .map(([name, value]) => [name, typeof value === 'string' ? escapeXml(value) : value as unknown])) as unknown as CIM.Models.IEEE8021xSettings);
  const envelope = client.amt.WiFiPortConfigurationService.AddWiFiSettings(
    settings, { name: 'Name', value: escapeXml(wifiEndpointName) },
    ieee8021xSettings, ieee8021x?.clientCredential && escapeXml(ieee8021x.clientCredential), ieee8021x?.caCredential && escapeXml(ieee8021x.caCredential),
  );
  return client.invoke(envelope, 'AMT_WiFiPortConfigurationService', 'AddWiFiSettings');
}

export async function getIeee8021xSettings(client: WsmanClient): Promise<WsmanInstance> {
  return client.instance(client.ips.IEEE8021xSettings.Get(), 'IPS_IEEE8021xSettings');
}

/**
 * Wired 802.1X (what RPS and rpc-go do): Put of IPS_IEEE8021xSettings with exactly `settings`
 * and the device's own ElementName and InstanceID. WS-Transfer Put replaces the instance, so
 * nothing of an earlier profile (user name, domain, server name) survives.
 */
export async function putIeee8021xSettings(client: WsmanClient, settings: Record<string, PutValue>): Promise<WsmanInstance> {
  const current = await getIeee8021xSettings(client);
  const identity: WsmanInstance = {};
  for (const name of ['ElementName', 'InstanceID']) {
    const value = stringProperty(current, name);
    if (value !== undefined) identity[name] = value;
  }
  const envelope = client.ips.IEEE8021xSettings.Put(putProperties(identity, settings) as unknown as IPS.Models.IEEE8021xSettings);
  return client.instance(envelope, 'IPS_IEEE8021xSettings', 'IPS_IEEE8021xSettings.Put');
}

/**
 * IPS_IEEE8021xSettings.SetCertificates: the RADIUS server's root and (EAP-TLS) the client
 * certificate, by AMT_PublicKeyCertificate InstanceID; sent as endpoint references (REF parameters).
 */
export async function setIeee8021xCertificates(client: WsmanClient, serverCertificateIssuerId: string, clientCertificateId?: string): Promise<void> {
  const envelope = client.ips.IEEE8021xSettings.SetCertificates(
    publicKeyCertificateReference(serverCertificateIssuerId),
    clientCertificateId === undefined ? (undefined as unknown as string) : publicKeyCertificateReference(clientCertificateId),
  );
  await client.invoke(envelope, 'IPS_IEEE8021xSettings', 'SetCertificates');
}
