// Seed steps 8.2-8.3 and the in-band OTP read: general settings (ping), web console,
// redirection (SOL/IDE-R), Kerberos, power scheme, setup-and-configuration state.
import type { AMT } from '@device-management-toolkit/wsman-messages';
import { ENABLED_STATE } from '../contract/provisioning';
import { DeviceXmlRejected } from './errors';
import {
  enumerateAmtClass, pullAmtClass, putKerberosSettingData, setPowerScheme as setPowerSchemeMessage, webUiRequestStateChange,
  type KerberosSettingDataInput,
} from './wsmanBuilders';
import { putProperties } from './wsmanInstances';
import { booleanProperty, numberProperty, stringProperty, type WsmanClient, type WsmanInstance } from './wsmanClient';

export async function getGeneralSettings(client: WsmanClient): Promise<WsmanInstance> {
  return client.instance(client.amt.GeneralSettings.Get(), 'AMT_GeneralSettings');
}

/** The realm Digest HA1 values are computed with (`Digest:<32 hex>`). */
export async function getDigestRealm(client: WsmanClient): Promise<string> {
  const realm = stringProperty(await getGeneralSettings(client), 'DigestRealm');
  if (!realm) throw new DeviceXmlRejected('AMT_GeneralSettings.Get: no DigestRealm');
  return realm;
}

/** Seed step 8.2: answer ping / RMCP ping. Read-modify-write of AMT_GeneralSettings. */
export async function setPingResponses(client: WsmanClient, ping: { PingResponseEnabled: boolean; RmcpPingResponseEnabled: boolean }): Promise<WsmanInstance> {
  const current = await getGeneralSettings(client);
  const envelope = client.amt.GeneralSettings.Put(putProperties(current, ping));
  return client.instance(envelope, 'AMT_GeneralSettings', 'AMT_GeneralSettings.Put');
}

/** Seed step 8.2: the web console on or off (AMT_WebUIService.RequestStateChange 2/3). */
export async function setWebUiEnabled(client: WsmanClient, enabled: boolean): Promise<void> {
  const state = enabled ? ENABLED_STATE.ENABLED : ENABLED_STATE.DISABLED;
  await client.invoke(webUiRequestStateChange(client.amt.wsmanMessageCreator, state), 'AMT_WebUIService', 'RequestStateChange');
}

/** Seed step 8.2: SOL and IDE-R via AMT_RedirectionService.RequestStateChange (REDIRECTION_STATE). */
export async function setRedirectionState(client: WsmanClient, state: AMT.Types.RedirectionService.RequestedState): Promise<void> {
  await client.invoke(client.amt.RedirectionService.RequestStateChange(state), 'AMT_RedirectionService', 'RequestStateChange');
}

export async function getRedirectionService(client: WsmanClient): Promise<WsmanInstance> {
  return client.instance(client.amt.RedirectionService.Get(), 'AMT_RedirectionService');
}

/** How the device gets its Kerberos key: an RC4-HMAC master key (before AMT 8) or AES keys it derives itself (AMT 8+). */
export type KerberosKey =
  | { kind: 'rc4'; masterKey: Buffer }
  | { kind: 'aes'; passphrase: string; salt: string; iterationCount: number; algorithms: number[] };

export interface KerberosSettings {
  realmName: string;
  keyVersion: number;
  key: KerberosKey;
  /** Minutes; default 5. */
  maximumClockTolerance?: number;
  servicePrincipalNames?: string[];
  servicePrincipalProtocols?: number[];
}

export async function getKerberosSettings(client: WsmanClient): Promise<WsmanInstance> {
  return client.instance(client.amt.KerberosSettingData.Get(), 'AMT_KerberosSettingData');
}

/** Seed step 8.3: realm, key version and key material on AMT_KerberosSettingData (Put on the device's instance). */
export async function putKerberosSettings(client: WsmanClient, settings: KerberosSettings): Promise<WsmanInstance> {
  const current = await getKerberosSettings(client);
  const instanceId = stringProperty(current, 'InstanceID');
  if (!instanceId) throw new DeviceXmlRejected('AMT_KerberosSettingData.Get: no InstanceID');
  const input: KerberosSettingDataInput = {
    InstanceID: instanceId,
    ElementName: stringProperty(current, 'ElementName'),
    RealmName: settings.realmName,
    ServicePrincipalName: settings.servicePrincipalNames,
    ServicePrincipalProtocol: settings.servicePrincipalProtocols,
    KeyVersion: settings.keyVersion,
    MaximumClockTolerance: settings.maximumClockTolerance ?? 5,
    KrbEnabled: true,
    ...(settings.key.kind === 'rc4'
      ? { EncryptionAlgorithm: 0, MasterKey: settings.key.masterKey.toString('base64') }
      : { Passphrase: settings.key.passphrase, Salt: settings.key.salt, IterationCount: settings.key.iterationCount, ConfiguredEncryptionAlgorithms: settings.key.algorithms }),
  };
  return client.instance(putKerberosSettingData(client.amt.wsmanMessageCreator, input), 'AMT_KerberosSettingData', 'AMT_KerberosSettingData.Put');
}

export interface PowerScheme { instanceId: string; elementName?: string; schemeGuid?: string; description?: string }

export async function enumeratePowerSchemes(client: WsmanClient): Promise<PowerScheme[]> {
  const creator = client.amt.wsmanMessageCreator;
  const className = 'AMT_SystemPowerScheme';
  const items = await client.enumerateAll(className, enumerateAmtClass(creator, className), (context) => pullAmtClass(creator, className, context));
  return items.map((item) => ({
    instanceId: stringProperty(item, 'InstanceID') ?? '',
    elementName: stringProperty(item, 'ElementName'),
    schemeGuid: stringProperty(item, 'SchemeGUID'),
    description: stringProperty(item, 'Description'),
  }));
}

/** Seed step 8.3: AMT_SystemPowerScheme.SetPowerScheme on the scheme with this InstanceID. */
export async function setPowerScheme(client: WsmanClient, instanceId: string): Promise<void> {
  await client.invoke(setPowerSchemeMessage(client.amt.wsmanMessageCreator, instanceId), 'AMT_SystemPowerScheme', 'SetPowerScheme');
}

export interface SetupAndConfiguration {
  provisioningState?: number;
  provisioningMode?: number;
  /** The OTP the device presents in-band (docs/amt-protocol.md section 7); compare its hash, never log it. */
  provisioningServerOtp?: string;
  zeroTouchConfigurationEnabled?: boolean;
}

export async function getSetupAndConfiguration(client: WsmanClient): Promise<SetupAndConfiguration> {
  const instance = await client.instance(client.amt.SetupAndConfigurationService.Get(), 'AMT_SetupAndConfigurationService');
  return {
    provisioningState: numberProperty(instance, 'ProvisioningState'),
    provisioningMode: numberProperty(instance, 'ProvisioningMode'),
    provisioningServerOtp: stringProperty(instance, 'ProvisioningServerOTP'),
    zeroTouchConfigurationEnabled: booleanProperty(instance, 'ZeroTouchConfigurationEnabled'),
  };
}

/**
 * The firmware release, VersionString of the CIM_SoftwareIdentity instance "AMT" (what
 * MeshCentral and RPS read; served by every release with WS-Man, 3.2 on). Undefined when the
 * device lists no such identity.
 */
export async function getAmtFirmwareVersion(client: WsmanClient): Promise<string | undefined> {
  const items = await client.enumerateClass('CIM_SoftwareIdentity', client.cim.SoftwareIdentity);
  const amt = items.find((item) => stringProperty(item, 'InstanceID') === 'AMT');
  return amt && stringProperty(amt, 'VersionString');
}
