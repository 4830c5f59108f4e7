// Read-modify-write of WS-Man instances: WS-Transfer Put replaces the whole instance, so a
// Put sends back every property the Get returned, with our changes, XML-escaped.
import { escapeXml, text, type XmlValue } from './deviceXml';
import type { WsmanInstance } from './wsmanClient';

export type PutValue = string | number | boolean | Array<string | number>;
export type PutProperties = Record<string, string | string[]>;

/** The instance's leaf properties (escaped, ready for wsman-messages) overlaid with `changes`. */
export function putProperties(instance: WsmanInstance, changes: Record<string, PutValue>): PutProperties {
  const properties: PutProperties = {};
  for (const [name, value] of Object.entries(instance)) {
    if (name.startsWith('@') || name === '#text') continue;
    const leaf = leafValue(value);
    if (leaf !== undefined) properties[name] = leaf;
  }
  for (const [name, value] of Object.entries(changes)) {
    properties[name] = Array.isArray(value) ? value.map((item) => escapeXml(String(item))) : escapeXml(String(value));
  }
  return properties;
}

function leafValue(value: XmlValue): string | string[] | undefined {
  if (Array.isArray(value)) {
    const items = value.map((item) => text(item));
    return items.every((item) => item !== undefined) ? (items).map(escapeXml) : undefined;
  }
  const single = text(value);
  return single === undefined ? undefined : escapeXml(single);
}
