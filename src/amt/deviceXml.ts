// Parsing of XML that comes from a device: size-capped, DOCTYPE/entity declarations refused
// before any parser sees them (docs/amt-protocol.md section 6), well-formedness checked, namespace
// prefixes dropped. Leaf values stay strings; typed helpers convert what they read.
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { DeviceXmlRejected } from './errors';

export const MAX_DEVICE_XML_BYTES = 1024 * 1024;

export type XmlNode = { [name: string]: XmlValue };
export type XmlValue = string | XmlNode | XmlValue[];

const parser = new XMLParser({
  removeNSPrefix: true,
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  // Only the five predefined XML entities remain possible once DOCTYPE is refused.
  processEntities: true,
  htmlEntities: false,
});

/** Throws DeviceXmlRejected unless the text is small, free of DTDs and well-formed. */
export function checkDeviceXml(text: string, where: string, maxBytes = MAX_DEVICE_XML_BYTES): void {
  if (Buffer.byteLength(text) > maxBytes) throw new DeviceXmlRejected(`${where}: XML exceeds ${maxBytes} bytes`);
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) throw new DeviceXmlRejected(`${where}: XML with a DOCTYPE or entity declaration is refused`);
  // fast-xml-parser would keep an undeclared `&name;` as literal text; it is not well-formed XML.
  const undeclared = /&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)[^;\s<]{0,32};?/.exec(text);
  if (undeclared) throw new DeviceXmlRejected(`${where}: XML refers to an undeclared entity (${undeclared[0]})`);
  const valid = XMLValidator.validate(text);
  if (valid !== true) throw new DeviceXmlRejected(`${where}: XML is not well-formed (${valid.err.msg}, line ${valid.err.line})`);
}

export function parseDeviceXml(text: string, where: string, maxBytes = MAX_DEVICE_XML_BYTES): XmlNode {
  checkDeviceXml(text, where, maxBytes);
  return parser.parse(text) as XmlNode;
}

/** The child node `name`; a repeated element yields its first occurrence. */
export function child(node: XmlValue | undefined, name: string): XmlValue | undefined {
  if (node === undefined || typeof node === 'string' || Array.isArray(node)) return undefined;
  const value = node[name];
  return Array.isArray(value) ? value[0] : value;
}

/** All occurrences of `name` under node (zero, one or many) as an array. */
export function children(node: XmlValue | undefined, name: string): XmlValue[] {
  if (node === undefined || typeof node === 'string' || Array.isArray(node)) return [];
  const value = node[name];
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** Text of a leaf (an element with attributes keeps its text under `#text`). */
export function text(node: XmlValue | undefined): string | undefined {
  if (typeof node === 'string') return node;
  if (node !== undefined && !Array.isArray(node)) {
    const inner = node['#text'];
    if (typeof inner === 'string') return inner;
    if (Object.keys(node).every((key) => key.startsWith('@'))) return '';
  }
  return undefined;
}

export function path(node: XmlValue | undefined, ...names: string[]): XmlValue | undefined {
  return names.reduce<XmlValue | undefined>((current, name) => child(current, name), node);
}

const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/** Escapes text for an XML element or attribute (wsman-messages writes values verbatim). */
export function escapeXml(value: string): string {
  return value.replace(/[&<>"']/g, (character) => XML_ESCAPES[character]);
}
