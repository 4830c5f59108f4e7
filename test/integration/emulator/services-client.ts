// Clients for the services black-box tests: a `soap` client per project WSDL whose HTTP goes
// over real TLS with real Digest (the core's test deviceClient), a WS-Man request builder and
// poster, response readers, and a test CA that signs the device's PKCS#10 requests.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import path from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import forge from 'node-forge';
import * as soap from 'soap';
import { EOI_PATHS, EOI_WSDL_FILES, type EoiService } from '../../../src/contract/namespaces';
import { PT_STATUS, PT_STATUS_NAMES } from '../../../src/contract/ptStatus';
import { digestRequest, rawRequest, type ClientTls, type RawResponse } from './support/deviceClient';
import type { TestCert } from './support/testPki';

const WSDL_DIR = path.resolve(__dirname, '../../../src/contract/wsdl');
const customDeserializer = { unsignedInt: (text: string) => Number(text) };

export interface DeviceEndpoint {
  host: string;
  port: number;
  tls: ClientTls;
  username: string;
  password: string;
}

/** soap's HttpClient contract, over one Digest exchange (401 then credentials) per request. */
class DigestHttpClient implements soap.IHttpClient {
  constructor(private readonly device: () => DeviceEndpoint) {}

  request(rurl: string, data: unknown, callback: (error: unknown, res?: unknown, body?: unknown) => unknown, exheaders?: soap.IHeaders): never {
    const device = this.device();
    const headers = Object.fromEntries(Object.entries(exheaders ?? {}).map(([k, v]) => [k, String(v)]));
    digestRequest({ host: device.host, port: device.port, tls: device.tls, path: new URL(rurl).pathname, body: String(data), headers }, device.username, device.password).then(
      ({ response }) => callback(null, { status: response.status, headers: response.headers, data: response.body }, response.body),
      (err: unknown) => callback(err),
    );
    return undefined as never;
  }
}

export type SoapCall = (operation: string, args?: Record<string, unknown>) => Promise<Record<string, unknown>>;

/** Calls operations of one EOI service; the endpoint (credentials) is read at each call. */
export async function eoiClient(service: EoiService, device: () => DeviceEndpoint): Promise<SoapCall> {
  const client = await soap.createClientAsync(path.join(WSDL_DIR, EOI_WSDL_FILES[service]), {
    customDeserializer,
    httpClient: new DigestHttpClient(device),
  });
  return async (operation, args = {}) => {
    const d = device();
    client.setEndpoint(`https://${d.host}:${d.port}${EOI_PATHS[service]}`);
    const method = (client as unknown as Record<string, (a: unknown) => Promise<[Record<string, unknown>]>>)[`${operation}Async`];
    const [result] = await method.call(client, args);
    return result;
  };
}

/** The phase 1 part of the control API's firmware view (GET /devices/{id}). */
export interface DeviceView {
  provisioningState: string;
  phase: string;
  hostName: string;
  domainName: string;
  clockOffsetMs: number;
  stagedSettings: string[];
  mebx: { changed: boolean; passwordSha256: string };
  admin: { username: string; setByServer: boolean };
  tls: { enabled: boolean; keyHandle: number | null; certificateHandle: number | null };
  keyStore: { keyPairs: { handle: number }[]; certificates: { handle: number }[] };
}

/** Asserts a StatusCode by its PT_STATUS name. */
export function assertStatus(result: Record<string, unknown>, name: keyof typeof PT_STATUS): void {
  const status = result.StatusCode as number;
  assert.equal(PT_STATUS_NAMES.get(status) ?? status, `PT_STATUS_${name}`);
}

/** Signs a device PKCS#10 request (base64 DER) with `ca`: the site CA's job in step 7.3. */
export function issueFromRequest(requestDer: string, ca: TestCert, options: { isCa?: boolean } = {}): { der: string; pem: string } {
  const csr = forge.pki.certificationRequestFromAsn1(forge.asn1.fromDer(Buffer.from(requestDer, 'base64').toString('binary')));
  assert.ok(csr.verify(), 'the device signed its request with the requested key');
  const cert = forge.pki.createCertificate();
  cert.publicKey = csr.publicKey as forge.pki.PublicKey;
  cert.serialNumber = `0${crypto.randomBytes(8).toString('hex')}`;
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 30 * 86_400_000);
  cert.setSubject(csr.subject.attributes);
  cert.setIssuer(ca.cert.subject.attributes);
  cert.setExtensions([{ name: 'basicConstraints', cA: options.isCa ?? false }, { name: 'extKeyUsage', serverAuth: true, clientAuth: true }]);
  cert.sign(forge.pki.privateKeyFromPem(ca.keyPem), forge.md.sha256.create());
  const der = Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(cert)).getBytes(), 'binary');
  return { der: der.toString('base64'), pem: forge.pki.certificateToPem(cert) };
}

/** base64 of MD5(user:realm:password): the DigestPassword AMT takes. */
export function digestPassword(username: string, realm: string, password: string): string {
  return crypto.createHash('md5').update(`${username}:${realm}:${password}`).digest('base64');
}

// ---- WS-Management ----

const SOAP12 = 'http://www.w3.org/2003/05/soap-envelope';
const WSA = 'http://schemas.xmlsoap.org/ws/2004/08/addressing';
const WSMAN = 'http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd';
export const ANONYMOUS = `${WSA}/role/anonymous`;
let messageId = 0;

export interface HandMadeRequest {
  action: string;
  resourceUri: string;
  selectors?: Record<string, string>;
  body?: string;
  /** Replaces the whole header (for header tests). */
  header?: string;
  envelopeNs?: string;
}

/** A WS-Man request written by hand, the way wsman-messages lays it out. */
export function wsmanEnvelope(request: HandMadeRequest): string {
  const selectors = request.selectors
    ? `<w:SelectorSet>${Object.entries(request.selectors).map(([n, v]) => `<w:Selector Name="${n}">${v}</w:Selector>`).join('')}</w:SelectorSet>`
    : '';
  messageId += 1;
  const header =
    request.header ??
    `<a:Action>${request.action}</a:Action><a:To>/wsman</a:To><w:ResourceURI>${request.resourceUri}</w:ResourceURI>` +
      `<a:MessageID>${messageId}</a:MessageID><a:ReplyTo><a:Address>${ANONYMOUS}</a:Address></a:ReplyTo><w:OperationTimeout>PT60S</w:OperationTimeout>${selectors}`;
  return (
    `<?xml version="1.0" encoding="utf-8"?><Envelope xmlns:a="${WSA}" xmlns:w="${WSMAN}" xmlns="${request.envelopeNs ?? SOAP12}">` +
    `<Header>${header}</Header><Body>${request.body ?? ''}</Body></Envelope>`
  );
}

export type WsmanPost = (xml: string, headers?: Record<string, string>) => Promise<RawResponse>;

export function wsmanPoster(device: () => DeviceEndpoint): WsmanPost {
  return async (xml, headers = {}) => {
    const d = device();
    const { response } = await digestRequest(
      { host: d.host, port: d.port, tls: d.tls, path: '/wsman', body: xml, headers: { 'Content-Type': 'application/soap+xml; charset=utf-8', ...headers } },
      d.username,
      d.password,
    );
    return response;
  };
}

const reader = new XMLParser({ removeNSPrefix: true, ignoreAttributes: false, attributeNamePrefix: '@', parseTagValue: false, isArray: () => false });

/** The response Body as a plain object (namespace prefixes dropped, values as text). */
export function bodyOf(response: RawResponse): Record<string, unknown> {
  const parsed = reader.parse(response.body) as { Envelope?: { Body?: Record<string, unknown> } };
  assert.ok(parsed.Envelope?.Body, `not a SOAP envelope: ${response.body.slice(0, 200)}`);
  return parsed.Envelope.Body;
}

/** Asserts a successful response and returns its Body element `name`. */
export function okBody(response: RawResponse, name: string): Record<string, unknown> {
  assert.equal(response.status, 200, response.body);
  const body = bodyOf(response);
  assert.ok(name in body, `no ${name} in ${JSON.stringify(body).slice(0, 300)}`);
  return (body[name] ?? {}) as Record<string, unknown>;
}

/** The WS-Man fault's subcode local name (or its Code for SOAP-level faults), its reason and detail. */
export function faultOf(response: RawResponse): { name: string; reason: string; detail?: string; status: number } {
  const fault = bodyOf(response).Fault as Record<string, Record<string, unknown>> | undefined;
  assert.ok(fault, `expected a fault, got ${response.status} ${response.body.slice(0, 300)}`);
  const code = fault.Code as { Value: string; Subcode?: { Value: string } };
  const value = code.Subcode?.Value ?? code.Value;
  const reason = (fault.Reason.Text as Record<string, string>)['#text'];
  const detail = (fault.Detail as { FaultDetail?: string } | undefined)?.FaultDetail;
  return { name: value.slice(value.indexOf(':') + 1), reason, status: response.status, ...(detail ? { detail: detail.slice(detail.lastIndexOf('/') + 1) } : {}) };
}

/** Asserts a method's ReturnValue by PT_STATUS name and returns the output element. */
export function methodOutput(response: RawResponse, method: string, expected: keyof typeof PT_STATUS = 'SUCCESS'): Record<string, unknown> {
  const output = okBody(response, `${method}_OUTPUT`);
  const value = Number(output.ReturnValue);
  assert.equal(PT_STATUS_NAMES.get(value) ?? value, `PT_STATUS_${expected}`, `${method} ReturnValue`);
  return output;
}

export const asArray = <T>(value: T | T[] | undefined): T[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

/**
 * Asserts the device at `host` serves TLS with the certificate whose DER has this SHA-256. The
 * device switches its identity in place at commit, so the first handshake after the answer
 * must already see it (no waiting for a re-listen).
 */
export async function assertServedCertificate(host: string, sha256: string): Promise<void> {
  const served = await rawRequest({ host, port: 16993, tls: {}, path: '/', body: '' });
  assert.equal(served.serverCertSha256, sha256, `device ${host} serves another certificate`);
}

export const AMT_URI = 'http://intel.com/wbem/wscim/1/amt-schema/1/';
export const TRANSFER = 'http://schemas.xmlsoap.org/ws/2004/09/transfer/';
export const ENUMERATION = 'http://schemas.xmlsoap.org/ws/2004/09/enumeration';

/** A method call `<Class>_INPUT` written by hand (classes or shapes wsman-messages lacks). */
export function methodRequest(cls: string, name: string, inner: string, selectors?: Record<string, string>, prefix = AMT_URI): string {
  const resourceUri = prefix + cls;
  return wsmanEnvelope({
    action: `${resourceUri}/${name}`,
    resourceUri,
    ...(selectors ? { selectors } : {}),
    body: `<h:${name}_INPUT xmlns:h="${resourceUri}">${inner}</h:${name}_INPUT>`,
  });
}

/** A WS-Transfer Put of `<Class>` written by hand. */
export function putRequest(cls: string, inner: string, prefix = AMT_URI): string {
  const resourceUri = prefix + cls;
  return wsmanEnvelope({ action: `${TRANSFER}Put`, resourceUri, body: `<h:${cls} xmlns:h="${resourceUri}">${inner}</h:${cls}>` });
}

/** Enumerate + Pull (wsman-messages asks for 999 items) of a class, as its instances. */
export async function enumerateAll(post: WsmanPost, request: { Enumerate: () => string; Pull: (ctx: string) => string }, className: string): Promise<Record<string, unknown>[]> {
  const context = okBody(await post(request.Enumerate()), 'EnumerateResponse').EnumerationContext as string;
  const pulled = okBody(await post(request.Pull(context)), 'PullResponse');
  assert.ok('EndOfSequence' in pulled);
  const items = (pulled.Items || {}) as Record<string, Record<string, unknown> | Record<string, unknown>[] | undefined>;
  return asArray(items[className]);
}

/** The InstanceID selector of an endpoint reference in a method output. */
export function referencedInstanceId(reference: unknown): string {
  const selector = (reference as { ReferenceParameters: { SelectorSet: { Selector: { '#text': string; '@Name': string } } } }).ReferenceParameters.SelectorSet.Selector;
  assert.equal(selector['@Name'], 'InstanceID');
  return selector['#text'];
}

/** An AMT_PublicKeyCertificate endpoint reference as RPS passes it to SetCertificates. */
export function certificateReference(instanceId: string): string {
  return (
    `<a:Address>default</a:Address><a:ReferenceParameters><w:ResourceURI>${AMT_URI}AMT_PublicKeyCertificate</w:ResourceURI>` +
    `<w:SelectorSet><w:Selector Name="InstanceID">${instanceId}</w:Selector></w:SelectorSet></a:ReferenceParameters>`
  );
}
