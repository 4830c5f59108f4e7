// WS-Man request bodies for the section 6 calls @device-management-toolkit/wsman-messages
// does not offer, written the way it writes its own (same header, same envelope).
// Values are XML-escaped here; wsman-messages writes values verbatim.
import type { AMT } from '@device-management-toolkit/wsman-messages';
import type { WSManMessageCreator } from '@device-management-toolkit/wsman-messages/WSMan';
import { AMT_RESOURCE_URI_PREFIX, WSMAN_ACTIONS } from '../contract/namespaces';
import { escapeXml } from './deviceXml';

type AmtClass = AMT.Classes;
const asClass = (name: string) => name as unknown as AmtClass;
const methodAction = (className: string, method: string) => `${AMT_RESOURCE_URI_PREFIX}${className}/${method}`;
const instanceSelector = (instanceId: string) => ({ name: 'InstanceID', value: escapeXml(instanceId) });

/**
 * Endpoint reference to an AMT_PublicKeyCertificate, the REF parameter type of
 * IPS_IEEE8021xSettings.SetCertificates (prefixes a: and w: are declared by the envelope).
 */
export function publicKeyCertificateReference(instanceId: string): string {
  return `<a:Address>/wsman</a:Address><a:ReferenceParameters><w:ResourceURI>${AMT_RESOURCE_URI_PREFIX}AMT_PublicKeyCertificate</w:ResourceURI>` +
    `<w:SelectorSet><w:Selector Name="InstanceID">${escapeXml(instanceId)}</w:Selector></w:SelectorSet></a:ReferenceParameters>`;
}

/** WS-Enumeration Enumerate / Pull for an AMT class wsman-messages does not list (AMT_SystemPowerScheme). */
export function enumerateAmtClass(creator: WSManMessageCreator, className: string): string {
  return creator.createXml(creator.createHeader(WSMAN_ACTIONS.ENUMERATE, asClass(className)), creator.createCommonBody.Enumerate());
}

/** `enumerationContext` must be XML-escaped already (WsmanClient.enumerateAll does it). */
export function pullAmtClass(creator: WSManMessageCreator, className: string, enumerationContext: string): string {
  return creator.createXml(creator.createHeader(WSMAN_ACTIONS.PULL, asClass(className)), creator.createCommonBody.Pull(enumerationContext));
}

/** AMT_WebUIService.RequestStateChange: 2 enables the web console, 3 disables it. */
export function webUiRequestStateChange(creator: WSManMessageCreator, requestedState: number): string {
  const className = 'AMT_WebUIService';
  const header = creator.createHeader(methodAction(className, 'RequestStateChange'), asClass(className));
  return creator.createXml(header, creator.createCommonBody.RequestStateChange(`${AMT_RESOURCE_URI_PREFIX}${className}`, requestedState));
}

/** AMT_SystemPowerScheme.SetPowerScheme on the scheme instance named by its InstanceID selector. */
export function setPowerScheme(creator: WSManMessageCreator, instanceId: string): string {
  const className = 'AMT_SystemPowerScheme';
  const header = creator.createHeader(methodAction(className, 'SetPowerScheme'), asClass(className), instanceSelector(instanceId));
  return creator.createXml(header, `<Body><h:SetPowerScheme_INPUT xmlns:h="${AMT_RESOURCE_URI_PREFIX}${className}"></h:SetPowerScheme_INPUT></Body>`);
}

/** AMT_WiFiPortConfigurationService.DeleteAllITProfiles: removes every IT-set wireless profile. */
export function deleteAllItProfiles(creator: WSManMessageCreator): string {
  const className = 'AMT_WiFiPortConfigurationService';
  const header = creator.createHeader(methodAction(className, 'DeleteAllITProfiles'), asClass(className));
  return creator.createXml(header, `<Body><h:DeleteAllITProfiles_INPUT xmlns:h="${AMT_RESOURCE_URI_PREFIX}${className}"></h:DeleteAllITProfiles_INPUT></Body>`);
}

/**
 * AMT_SetupAndConfigurationService.PartialUnprovision (no input; Intel guide, "Unconfigure an
 * Intel AMT Device"). wsman-messages has Unprovision but not this one.
 */
export function partialUnprovision(creator: WSManMessageCreator): string {
  const className = 'AMT_SetupAndConfigurationService';
  const header = creator.createHeader(methodAction(className, 'PartialUnprovision'), asClass(className));
  return creator.createXml(header, `<Body><h:PartialUnprovision_INPUT xmlns:h="${AMT_RESOURCE_URI_PREFIX}${className}"></h:PartialUnprovision_INPUT></Body>`);
}

export interface KerberosSettingDataInput {
  InstanceID: string;
  ElementName?: string;
  RealmName: string;
  ServicePrincipalName?: string[];
  /** 0 HTTP, 1 HTTPS, 2 SOL/IDER, 3 SOL/IDER over TLS (AMT_KerberosSettingData). */
  ServicePrincipalProtocol?: number[];
  KeyVersion: number;
  /** Before AMT 8: 0 = RC4 (HMAC-MD5), with MasterKey. */
  EncryptionAlgorithm?: number;
  /** Before AMT 8: 16-byte RC4-HMAC master key, base64. */
  MasterKey?: string;
  MaximumClockTolerance: number;
  KrbEnabled: boolean;
  /** AMT 8 and later: the firmware derives AES keys from the account password, salt and iteration count. */
  Passphrase?: string;
  Salt?: string;
  IterationCount?: number;
  /** 0 RC4, 1 AES128-CTS-HMAC-SHA1-96, 2 AES256-CTS-HMAC-SHA1-96. */
  ConfiguredEncryptionAlgorithms?: number[];
}

// Property order of the AMT_KerberosSettingData MOF (AMT SDK; go-wsman-messages kerberos package).
const KERBEROS_PROPERTY_ORDER: Array<keyof KerberosSettingDataInput> = [
  'ElementName', 'InstanceID', 'RealmName', 'ServicePrincipalName', 'ServicePrincipalProtocol', 'KeyVersion',
  'EncryptionAlgorithm', 'MasterKey', 'MaximumClockTolerance', 'KrbEnabled', 'Passphrase', 'Salt', 'IterationCount',
  'ConfiguredEncryptionAlgorithms',
];

/** WS-Transfer Put of AMT_KerberosSettingData (seed step 8.3), selected by its InstanceID. */
export function putKerberosSettingData(creator: WSManMessageCreator, settings: KerberosSettingDataInput): string {
  const className = 'AMT_KerberosSettingData';
  const header = creator.createHeader(WSMAN_ACTIONS.PUT, asClass(className), instanceSelector(settings.InstanceID));
  const properties = KERBEROS_PROPERTY_ORDER.flatMap((name) => {
    const value = settings[name];
    if (value === undefined) return [];
    const values = Array.isArray(value) ? value : [value];
    return values.map((item) => `<h:${name}>${escapeXml(String(item))}</h:${name}>`);
  });
  return creator.createXml(header, `<Body><h:${className} xmlns:h="${AMT_RESOURCE_URI_PREFIX}${className}">${properties.join('')}</h:${className}></Body>`);
}
