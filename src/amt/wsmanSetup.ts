// Seed steps 7.1-7.6 over WS-Management, the way modern firmware (AMT 6 and later) takes them
// (docs/amt-protocol.md section 9): clock, host and domain name, the TLS key pair, certificate
// and credential context, the admin account, the MEBx password and the commit. Request
// bodies come from @device-management-toolkit/wsman-messages; values are XML-escaped here.
import { AMT } from '@device-management-toolkit/wsman-messages';
import { BaseActions, type Selector } from '@device-management-toolkit/wsman-messages/WSMan';
import { DEVICE_TLS_KEY_BITS, KEY_ALGORITHM_RSA, PROVISIONING_MODE } from '../contract/provisioning';
import { child, escapeXml } from './deviceXml';
import { digestHa1 } from './digestAuth';
import { DeviceXmlRejected } from './errors';
import { partialUnprovision } from './wsmanBuilders';
import { getGeneralSettings } from './wsmanSettings';
import { putProperties } from './wsmanInstances';
import { booleanProperty, numberProperty, referenceSelector, stringProperty, type WsmanClient, type WsmanInstance } from './wsmanClient';

const SETUP = 'AMT_SetupAndConfigurationService';
const TIME = 'AMT_TimeSynchronizationService';
const KEYS = 'AMT_PublicKeyManagementService';
const KEY_PAIR = 'AMT_PublicPrivateKeyPair';
const CREDENTIAL_CONTEXT = 'AMT_TLSCredentialContext';
const TLS_SETTINGS = 'AMT_TLSSettingData';
/** The TLS settings of the local (LMS) interface; the other instance is the network one. */
const LMS_TLS_SETTINGS_ID = 'Intel(r) AMT LMS TLS Settings';

/** Seed step 7.1: Ta0 from the device, Tm1 when it arrived, Tm2 just before setting (server clock, seconds). */
export async function synchronizeClock(client: WsmanClient, nowSeconds: () => number): Promise<{ ta0: number; tm1: number; tm2: number }> {
  const output = await client.invoke(client.amt.TimeSynchronizationService.GetLowAccuracyTimeSynch(), TIME, 'GetLowAccuracyTimeSynch');
  const ta0 = numberProperty(output, 'Ta0');
  if (ta0 === undefined) throw new DeviceXmlRejected(`${TIME}.GetLowAccuracyTimeSynch: no Ta0 in the answer`);
  const tm1 = nowSeconds();
  const tm2 = nowSeconds();
  await client.invoke(client.amt.TimeSynchronizationService.SetHighAccuracyTimeSynch(ta0, tm1, tm2), TIME, 'SetHighAccuracyTimeSynch');
  return { ta0, tm1, tm2 };
}

/** Seed step 7.2: HostName and DomainName on AMT_GeneralSettings (read-modify-write). */
export async function setHostAndDomainName(client: WsmanClient, hostName: string, domainName: string): Promise<void> {
  const current = await getGeneralSettings(client);
  const envelope = client.amt.GeneralSettings.Put(putProperties(current, { HostName: hostName, DomainName: domainName }));
  await client.instance(envelope, 'AMT_GeneralSettings', 'AMT_GeneralSettings.Put');
}

/** Seed step 7.4: the admin account; DigestPassword is base64 of the binary MD5(username:realm:password). */
export async function setAdminAclEntryEx(client: WsmanClient, username: string, password: string, digestRealm: string): Promise<void> {
  const digest = digestHa1(username, digestRealm, password).toString('base64');
  await client.invoke(client.amt.AuthorizationService.SetAdminACLEntryEx(escapeXml(username), digest), 'AMT_AuthorizationService', 'SetAdminAclEntryEx');
}

/** Seed step 7.5; NOT_PERMITTED / UNSUPPORTED when the MEBx policy or firmware does not allow it. */
export async function setMebxPassword(client: WsmanClient, password: string): Promise<void> {
  await client.invoke(client.amt.SetupAndConfigurationService.SetMEBXPassword(escapeXml(password)), SETUP, 'SetMEBxPassword');
}

/** Seed step 7.6: the device moves to post-provisioning. */
export async function commitChanges(client: WsmanClient): Promise<void> {
  await client.invoke(client.amt.SetupAndConfigurationService.CommitChanges(), SETUP, 'CommitChanges');
}

/** What an unprovision removes: full (back to factory, admin account reset) or partial (admin account, host and domain name kept). */
export type UnprovisionMode = 'full' | 'partial';

/**
 * Back to pre-provisioning (docs/amt-protocol.md section 9, "Unprovision"): full is
 * Unprovision with ProvisioningMode 1 (enterprise, the only effective value from AMT 6; rpc-go
 * sends 1), partial is PartialUnprovision.
 */
export async function unprovisionDevice(client: WsmanClient, mode: UnprovisionMode): Promise<void> {
  if (mode === 'full') {
    await client.invoke(client.amt.SetupAndConfigurationService.Unprovision(PROVISIONING_MODE.ENTERPRISE), SETUP, 'Unprovision');
  } else {
    await client.invoke(partialUnprovision(client.amt.wsmanMessageCreator), SETUP, 'PartialUnprovision');
  }
}

export interface DeviceKeyPair {
  instanceId: string;
  /** The public key as AMT exports it: PKCS#1 RSAPublicKey, DER. */
  rsaPublicKeyDer: Buffer;
}

export async function enumerateKeyPairs(client: WsmanClient): Promise<DeviceKeyPair[]> {
  const items = await client.enumerateClass(KEY_PAIR, client.amt.PublicPrivateKeyPair);
  return items.map((item) => {
    const instanceId = stringProperty(item, 'InstanceID');
    const derKey = stringProperty(item, 'DERKey');
    if (!instanceId || !derKey) throw new DeviceXmlRejected(`${KEY_PAIR}.Pull: a key pair without InstanceID or DERKey`);
    return { instanceId, rsaPublicKeyDer: Buffer.from(derKey, 'base64') };
  });
}

/** Seed step 7.3: the device makes an RSA key pair; returns its InstanceID. */
export async function generateKeyPair(client: WsmanClient, keyLength = DEVICE_TLS_KEY_BITS): Promise<string> {
  const parameters = { KeyAlgorithm: KEY_ALGORITHM_RSA, KeyLength: keyLength } as AMT.Models.GenerateKeyPairParameters;
  const output = await client.invoke(client.amt.PublicKeyManagementService.GenerateKeyPair(parameters), KEYS, 'GenerateKeyPair');
  const instanceId = referenceSelector(child(output, 'KeyPair'), 'InstanceID');
  if (!instanceId) throw new DeviceXmlRejected(`${KEYS}.GenerateKeyPair: no KeyPair InstanceID in the answer`);
  return instanceId;
}

export async function deleteKeyPair(client: WsmanClient, instanceId: string): Promise<void> {
  await client.send(client.amt.PublicPrivateKeyPair.Delete({ name: 'InstanceID', value: escapeXml(instanceId) }), `${KEY_PAIR}.Delete`);
}

/** An AMT_TLSCredentialContext: which certificate (InstanceID) the TLS endpoints present. */
export interface TlsCredentialContext {
  certificateId: string;
  /** The instance's ElementProvidingContext reference, as enumerated (needed to delete it). */
  providingContext: WsmanInstance;
}

export async function enumerateTlsCredentialContexts(client: WsmanClient): Promise<TlsCredentialContext[]> {
  const items = await client.enumerateClass(CREDENTIAL_CONTEXT, client.amt.TLSCredentialContext);
  return items.map((item) => {
    const certificateId = referenceSelector(child(item, 'ElementInContext'), 'InstanceID');
    const providing = child(item, 'ElementProvidingContext');
    if (!certificateId || providing === undefined || typeof providing === 'string' || Array.isArray(providing)) {
      throw new DeviceXmlRejected(`${CREDENTIAL_CONTEXT}.Pull: a context without its certificate or endpoint collection reference`);
    }
    return { certificateId, providingContext: providing };
  });
}

/** WS-Transfer Create of the context binding the certificate to the TLS endpoints. */
export async function createTlsCredentialContext(client: WsmanClient, certificateId: string): Promise<void> {
  await client.send(client.amt.TLSCredentialContext.Create(escapeXml(certificateId)), `${CREDENTIAL_CONTEXT}.Create`);
}

/** A context's two references as EPR-valued selectors: it is an association, selected by them. */
function contextSelectors(client: WsmanClient, context: TlsCredentialContext): Selector {
  const base = client.amt.wsmanMessageCreator.resourceUriBase;
  const reference = (resourceUri: string, name: string, value: string) => ({
    Address: '/wsman',
    ReferenceParameters: { ResourceURI: resourceUri, SelectorSet: { Selector: { $: { Name: name }, _: escapeXml(value) } } },
  });
  const providing = context.providingContext;
  const providingUri = stringProperty(child(providing, 'ReferenceParameters'), 'ResourceURI') ?? `${base}AMT_TLSProtocolEndpointCollection`;
  const providingName = referenceSelector(providing, 'ElementName') ?? 'TLSProtocolEndpointInstances Collection';
  return {
    ElementInContext: reference(`${base}AMT_PublicKeyCertificate`, 'InstanceID', context.certificateId),
    ElementProvidingContext: reference(providingUri, 'ElementName', providingName),
  } as unknown as Selector;
}

/** WS-Transfer Delete of a context. */
export async function deleteTlsCredentialContext(client: WsmanClient, context: TlsCredentialContext): Promise<void> {
  await client.send(client.amt.TLSCredentialContext.Delete(contextSelectors(client, context)), `${CREDENTIAL_CONTEXT}.Delete`);
}

/**
 * WS-Transfer Put of the existing context with ElementInContext pointing at another certificate:
 * how a provisioned device switches its TLS certificate (MeshCentral amtmanager.js modifies the
 * current context this way, then commits; docs/amt-protocol.md section 12). The representation
 * is the one wsman-messages writes for Create; wsman-messages has no Put for this class.
 */
export async function switchTlsCredentialContext(client: WsmanClient, context: TlsCredentialContext, certificateId: string): Promise<void> {
  const creator = client.amt.wsmanMessageCreator;
  const created = client.amt.TLSCredentialContext.Create(escapeXml(certificateId));
  const body = /<Body>[\s\S]*<\/Body>/.exec(created)?.[0];
  if (!body) throw new Error('wsman-messages wrote no Body for TLSCredentialContext.Create');
  const header = creator.createHeader(BaseActions.PUT, AMT.Classes.TLS_CREDENTIAL_CONTEXT, contextSelectors(client, context));
  await client.send(creator.createXml(header, body), `${CREDENTIAL_CONTEXT}.Put`);
}

/** TLS on the network interface on or off: Put of the AMT_TLSSettingData that is not the LMS one (unless it already is). */
export async function setNetworkTlsEnabled(client: WsmanClient, enabled: boolean): Promise<void> {
  const settings = client.amt.TLSSettingData;
  const items = await client.enumerateClass(TLS_SETTINGS, settings);
  const network = items.find((item) => stringProperty(item, 'InstanceID') !== LMS_TLS_SETTINGS_ID);
  if (!network) throw new DeviceXmlRejected(`${TLS_SETTINGS}.Pull: no network TLS settings instance`);
  if (booleanProperty(network, 'Enabled') === enabled) return;
  const envelope = settings.Put(putProperties(network, { Enabled: enabled }) as unknown as AMT.Models.TLSSettingData);
  await client.send(envelope, `${TLS_SETTINGS}.Put`);
}
