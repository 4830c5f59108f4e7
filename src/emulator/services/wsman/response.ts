// Builds WS-Management responses: the SOAP 1.2 envelope with WS-Addressing headers (To
// anonymous, RelatesTo the request's MessageID, Action, a fresh MessageID, the ResourceURI)
// and CIM instances / method outputs serialized as elements of the class namespace, the way
// AMT answers (property elements in the class namespace, arrays as repeated elements).
import crypto from 'node:crypto';
import { SOAP12_ENVELOPE_NS, WS_ADDRESSING_ANONYMOUS, WS_ADDRESSING_NS, WS_ENUMERATION_NS, WSMAN_NS } from '../../../contract/namespaces';
import { escapeXml } from '../xml/xmlTree';
import { faultBody, type WsmanFault } from './faults';

const XSI_NS = 'http://www.w3.org/2001/XMLSchema-instance';

/** A WS-Addressing endpoint reference to a CIM instance (method outputs, references in instances). */
export interface EndpointReference {
  kind: 'epr';
  resourceUri: string;
  selectors: Record<string, string>;
}

export type Scalar = string | number | boolean;
export type PropertyValue = Scalar | readonly Scalar[] | EndpointReference | null | undefined;
/** Property name -> value, written in insertion order; null / undefined are left out. */
export type Properties = Record<string, PropertyValue>;

export function endpointReference(resourceUri: string, selectors: Record<string, string>): EndpointReference {
  return { kind: 'epr', resourceUri, selectors };
}

function isEndpointReference(value: PropertyValue): value is EndpointReference {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && (value as EndpointReference).kind === 'epr';
}

export function endpointReferenceXml(ref: EndpointReference): string {
  const selectors = Object.entries(ref.selectors)
    .map(([name, value]) => `<w:Selector Name="${escapeXml(name)}">${escapeXml(value)}</w:Selector>`)
    .join('');
  return (
    `<a:Address>${WS_ADDRESSING_ANONYMOUS}</a:Address><a:ReferenceParameters><w:ResourceURI>${escapeXml(ref.resourceUri)}</w:ResourceURI>` +
    `<w:SelectorSet>${selectors}</w:SelectorSet></a:ReferenceParameters>`
  );
}

function propertyXml(name: string, value: PropertyValue): string {
  if (value === null || value === undefined) return '';
  if (isEndpointReference(value)) return `<h:${name}>${endpointReferenceXml(value)}</h:${name}>`;
  const values: readonly Scalar[] = Array.isArray(value) ? value : [value as Scalar];
  return values.map((v) => `<h:${name}>${escapeXml(String(v))}</h:${name}>`).join('');
}

/** `<h:Element xmlns:h="ns">` with one child per property (the h prefix is scoped to it). */
export function elementXml(elementName: string, ns: string, properties: Properties): string {
  const children = Object.entries(properties)
    .map(([name, value]) => propertyXml(name, value))
    .join('');
  return `<h:${elementName} xmlns:h="${escapeXml(ns)}">${children}</h:${elementName}>`;
}

export interface ResponseEnvelope {
  action: string;
  /** The request's MessageID; absent when the request could not be read that far. */
  relatesTo?: string;
  resourceUri?: string | null;
  body: string;
}

export function responseEnvelope(response: ResponseEnvelope): string {
  const relatesTo = response.relatesTo === undefined ? '' : `<a:RelatesTo>${escapeXml(response.relatesTo)}</a:RelatesTo>`;
  const resourceUri = response.resourceUri ? `<w:ResourceURI>${escapeXml(response.resourceUri)}</w:ResourceURI>` : '';
  return (
    `<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="${SOAP12_ENVELOPE_NS}" xmlns:a="${WS_ADDRESSING_NS}" ` +
    `xmlns:w="${WSMAN_NS}" xmlns:n="${WS_ENUMERATION_NS}" xmlns:xsi="${XSI_NS}"><s:Header>` +
    `<a:To>${WS_ADDRESSING_ANONYMOUS}</a:To>${relatesTo}<a:Action s:mustUnderstand="true">${escapeXml(response.action)}</a:Action>` +
    `<a:MessageID>uuid:${crypto.randomUUID()}</a:MessageID>${resourceUri}</s:Header>` +
    `<s:Body>${response.body}</s:Body></s:Envelope>`
  );
}

export function faultEnvelope(fault: WsmanFault, relatesTo?: string): string {
  return responseEnvelope({ action: fault.kind.action, ...(relatesTo === undefined ? {} : { relatesTo }), body: faultBody(fault, escapeXml) });
}
