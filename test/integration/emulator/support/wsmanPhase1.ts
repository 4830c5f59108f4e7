// Phase 1 over WS-Management (docs/amt-protocol.md section 9) written by hand for the emulator's
// black-box tests: the request shapes @device-management-toolkit/wsman-messages and MeshCentral
// send, built here without either (and without the server's src/amt client), so the emulator
// is checked independently of both.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import forge from 'node-forge';
import { AMT_URI, asArray, ENUMERATION, methodRequest, okBody, putRequest, TRANSFER, wsmanEnvelope, type WsmanPost } from '../services-client';
import type { TestCert } from './testPki';

export const CIM_URI = 'http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/';
const SETUP = 'AMT_SetupAndConfigurationService';
export const REMOTE_TLS = 'Intel(r) AMT 802.3 TLS Settings';
export const LOCAL_TLS = 'Intel(r) AMT LMS TLS Settings';

/** An endpoint reference's inner XML (Address + ReferenceParameters), as a method argument or Create property. */
export function eprXml(resourceUri: string, selectors: Record<string, string>): string {
  const set = Object.entries(selectors).map(([name, value]) => `<w:Selector Name="${name}">${value}</w:Selector>`).join('');
  return `<a:Address>/wsman</a:Address><a:ReferenceParameters><w:ResourceURI>${resourceUri}</w:ResourceURI><w:SelectorSet>${set}</w:SelectorSet></a:ReferenceParameters>`;
}

function credentialContextBody(certificateId: string): string {
  return `<h:ElementInContext>${eprXml(`${AMT_URI}AMT_PublicKeyCertificate`, { InstanceID: certificateId })}</h:ElementInContext>` +
    `<h:ElementProvidingContext>${eprXml(`${AMT_URI}AMT_TLSProtocolEndpointCollection`, { ElementName: 'TLSProtocolEndpointInstances Collection' })}</h:ElementProvidingContext>`;
}

export const request = {
  enumerate: (cls: string, prefix = AMT_URI) =>
    wsmanEnvelope({ action: `${ENUMERATION}/Enumerate`, resourceUri: prefix + cls, body: `<Enumerate xmlns="${ENUMERATION}" />` }),
  pull: (cls: string, context: string, prefix = AMT_URI) =>
    wsmanEnvelope({
      action: `${ENUMERATION}/Pull`,
      resourceUri: prefix + cls,
      body: `<Pull xmlns="${ENUMERATION}"><EnumerationContext>${context}</EnumerationContext><MaxElements>999</MaxElements><MaxCharacters>99999</MaxCharacters></Pull>`,
    }),
  get: (cls: string, selectors?: Record<string, string>, prefix = AMT_URI) => wsmanEnvelope({ action: `${TRANSFER}Get`, resourceUri: prefix + cls, ...(selectors ? { selectors } : {}) }),
  delete: (cls: string, selectors: Record<string, string>) => wsmanEnvelope({ action: `${TRANSFER}Delete`, resourceUri: AMT_URI + cls, selectors }),
  create: (cls: string, inner: string) =>
    wsmanEnvelope({ action: `${TRANSFER}Create`, resourceUri: AMT_URI + cls, body: `<h:${cls} xmlns:h="${AMT_URI}${cls}">${inner}</h:${cls}>` }),
  setMebxPassword: (password: string) => methodRequest(SETUP, 'SetMEBxPassword', `<h:Password>${password}</h:Password>`),
  commitChanges: () => methodRequest(SETUP, 'CommitChanges', ''),
  unprovision: (mode = 1) => methodRequest(SETUP, 'Unprovision', `<h:ProvisioningMode>${mode}</h:ProvisioningMode>`),
  partialUnprovision: () => methodRequest(SETUP, 'PartialUnprovision', ''),
  setAdminAclEntryEx: (username: string, digestPassword: string) =>
    methodRequest('AMT_AuthorizationService', 'SetAdminAclEntryEx', `<h:Username>${username}</h:Username><h:DigestPassword>${digestPassword}</h:DigestPassword>`),
  getLowAccuracyTimeSynch: () => methodRequest('AMT_TimeSynchronizationService', 'GetLowAccuracyTimeSynch', ''),
  setHighAccuracyTimeSynch: (ta0: number, tm1: number, tm2: number) =>
    methodRequest('AMT_TimeSynchronizationService', 'SetHighAccuracyTimeSynch', `<h:Ta0>${ta0}</h:Ta0><h:Tm1>${tm1}</h:Tm1><h:Tm2>${tm2}</h:Tm2>`),
  generateKeyPair: (algorithm: number, length: number) =>
    methodRequest('AMT_PublicKeyManagementService', 'GenerateKeyPair', `<h:KeyAlgorithm>${algorithm}</h:KeyAlgorithm><h:KeyLength>${length}</h:KeyLength>`),
  addCertificate: (der: string) => methodRequest('AMT_PublicKeyManagementService', 'AddCertificate', `<h:CertificateBlob>${der}</h:CertificateBlob>`),
  /** WS-Transfer Create of the TLS credential context, the way MeshCentral and wsman-messages lay it out. */
  createTlsCredentialContext: (certificateId: string) => request.create('AMT_TLSCredentialContext', credentialContextBody(certificateId)),
  /** MeshCentral amtmanager.js: the existing context (selected by its key values) pointed at another certificate. */
  putTlsCredentialContext: (currentCertificateId: string, certificateId: string) =>
    wsmanEnvelope({
      action: `${TRANSFER}Put`,
      resourceUri: `${AMT_URI}AMT_TLSCredentialContext`,
      selectors: { ElementInContext: currentCertificateId, ElementProvidingContext: 'TLSProtocolEndpointInstances Collection' },
      body: `<h:AMT_TLSCredentialContext xmlns:h="${AMT_URI}AMT_TLSCredentialContext">${credentialContextBody(certificateId)}</h:AMT_TLSCredentialContext>`,
    }),
  putTlsSettings: (instanceId: string, enabled: boolean) =>
    wsmanEnvelope({
      action: `${TRANSFER}Put`,
      resourceUri: `${AMT_URI}AMT_TLSSettingData`,
      selectors: { InstanceID: instanceId },
      body:
        `<h:AMT_TLSSettingData xmlns:h="${AMT_URI}AMT_TLSSettingData"><h:ElementName>${instanceId}</h:ElementName><h:InstanceID>${instanceId}</h:InstanceID>` +
        `<h:Enabled>${enabled}</h:Enabled><h:MutualAuthentication>false</h:MutualAuthentication><h:AcceptNonSecureConnections>true</h:AcceptNonSecureConnections></h:AMT_TLSSettingData>`,
    }),
  putHostAndDomain: (hostName: string, domainName: string) =>
    putRequest('AMT_GeneralSettings', `<h:HostName>${hostName}</h:HostName><h:DomainName>${domainName}</h:DomainName><h:InstanceID>Intel(r) AMT: General Settings</h:InstanceID>`),
};

/** Enumerate + Pull of a class written by hand: its instances. */
export async function instancesOf(post: WsmanPost, cls: string, prefix = AMT_URI): Promise<Record<string, unknown>[]> {
  const context = okBody(await post(request.enumerate(cls, prefix)), 'EnumerateResponse').EnumerationContext as string;
  const pulled = okBody(await post(request.pull(cls, context, prefix)), 'PullResponse');
  const items = (pulled.Items || {}) as Record<string, Record<string, unknown> | Record<string, unknown>[] | undefined>;
  return asArray(items[cls]);
}

/** The selector value of a reference as the response reader gives it (`{ '@Name', '#text' }`). */
export function selectorOf(reference: unknown, name: string): string {
  const selectors = asArray((reference as { ReferenceParameters: { SelectorSet: { Selector: unknown } } }).ReferenceParameters.SelectorSet.Selector) as { '@Name': string; '#text': string }[];
  const hit = selectors.find((s) => s['@Name'] === name);
  assert.ok(hit, `no selector ${name} in ${JSON.stringify(reference)}`);
  return hit['#text'];
}

/**
 * A TLS server certificate for the device's public key as AMT_PublicPrivateKeyPair reports it
 * (DERKey: base64 PKCS#1 RSAPublicKey), signed by `ca`: what MeshCentral / RPS do in step 7.3.
 */
export function issueForDeviceKey(derKey: string, ca: TestCert, commonName: string): { der: string; sha256: string } {
  const publicKey = forge.pki.publicKeyFromAsn1(forge.asn1.fromDer(Buffer.from(derKey, 'base64').toString('binary')));
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = `0${crypto.randomBytes(8).toString('hex')}`;
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 30 * 86_400_000);
  cert.setSubject([{ name: 'commonName', value: commonName }]);
  cert.setIssuer(ca.cert.subject.attributes);
  cert.setExtensions([{ name: 'basicConstraints', cA: false }, { name: 'extKeyUsage', serverAuth: true }]);
  cert.sign(forge.pki.privateKeyFromPem(ca.keyPem), forge.md.sha256.create());
  const der = Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(cert)).getBytes(), 'binary');
  return { der: der.toString('base64'), sha256: crypto.createHash('sha256').update(der).digest('hex') };
}
