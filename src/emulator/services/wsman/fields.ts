// Reads the typed fields of a WS-Man body element (a Put representation or a method's _INPUT)
// against a declared field list: every child in the expected namespace, no unknown or repeated
// fields, values of the declared XML Schema type. Anything else is wsman:SchemaValidationError.
import { WS_ADDRESSING_NS, WSMAN_NS } from '../../../contract/namespaces';
import { decodeBase64 } from '../validation/credentials';
import { attributeValue, childNamed, type XmlElement } from '../xml/xmlTree';
import { WsmanFault } from './faults';

const XSI_NS = 'http://www.w3.org/2001/XMLSchema-instance';

export interface EmbeddedType {
  /** Namespace of the embedded instance's properties (e.g. CIM_WiFiEndpointSettings). */
  embedded: string;
  fields: FieldSpecs;
}
export type FieldType = 'string' | 'uint' | 'boolean' | 'base64' | 'epr' | EmbeddedType;

export interface FieldSpec {
  type: FieldType;
  required?: boolean;
  array?: boolean;
}
export type FieldSpecs = Readonly<Record<string, FieldSpec>>;

/** An endpoint reference given as a method argument (a:Address + a:ReferenceParameters). */
export interface ReferenceInput {
  resourceUri: string;
  selectors: Map<string, string>;
}

type Base<T extends FieldType> = T extends 'uint' ? number : T extends 'boolean' ? boolean : T extends 'epr' ? ReferenceInput : T extends EmbeddedType ? FieldValuesOf<T['fields']> : string;
type ValueOf<F extends FieldSpec> = F['array'] extends true ? Base<F['type']>[] : Base<F['type']>;
export type FieldValuesOf<S extends FieldSpecs> = {
  [K in keyof S]: S[K]['required'] extends true ? ValueOf<S[K]> : ValueOf<S[K]> | undefined;
};

const UINT32_MAX = 0xffff_ffff;

function invalid(reason: string): never {
  throw new WsmanFault('SchemaValidationError', reason);
}

function readReference(element: XmlElement, name: string): ReferenceInput {
  let address: XmlElement | undefined;
  let parameters: XmlElement | undefined;
  let resource: XmlElement | undefined;
  try {
    address = childNamed(element, WS_ADDRESSING_NS, 'Address');
    parameters = childNamed(element, WS_ADDRESSING_NS, 'ReferenceParameters');
    resource = parameters && childNamed(parameters, WSMAN_NS, 'ResourceURI');
  } catch {
    invalid(`${name} repeats a reference element`);
  }
  if (!address || !parameters || !resource) invalid(`${name} is not an endpoint reference (Address, ReferenceParameters, ResourceURI)`);
  const selectors = new Map<string, string>();
  const set = parameters.children.find((c) => c.ns === WSMAN_NS && c.name === 'SelectorSet');
  for (const selector of set?.children ?? []) {
    const selectorName = attributeValue(selector, 'Name');
    if (selector.ns !== WSMAN_NS || selector.name !== 'Selector' || !selectorName) invalid(`${name} has a malformed selector`);
    selectors.set(selectorName, selector.text.trim());
  }
  return { resourceUri: resource.text.trim(), selectors };
}

function readValue(element: XmlElement, name: string, type: FieldType): unknown {
  if (typeof type === 'object') return readFields(element, type.embedded, type.fields, name);
  if (type === 'epr') return readReference(element, name);
  if (element.children.length > 0) invalid(`${name} must hold text, not elements`);
  const text = element.text;
  switch (type) {
    case 'string':
      return text;
    case 'uint': {
      const trimmed = text.trim();
      if (!/^[0-9]{1,10}$/.test(trimmed) || Number(trimmed) > UINT32_MAX) invalid(`${name} is not an unsigned integer`);
      return Number(trimmed);
    }
    case 'boolean': {
      const trimmed = text.trim();
      if (trimmed === 'true' || trimmed === '1') return true;
      if (trimmed === 'false' || trimmed === '0') return false;
      return invalid(`${name} is not a boolean`);
    }
    case 'base64':
      if (decodeBase64(text) === null) invalid(`${name} is not base64`);
      return text.replace(/\s+/g, '');
  }
}

/** Reads `element`'s children in namespace `ns` as `spec` declares; `what` names the element in faults. */
export function readFields<S extends FieldSpecs>(element: XmlElement, ns: string, spec: S, what: string): FieldValuesOf<S> {
  const values: Record<string, unknown> = {};
  for (const child of element.children) {
    const field = spec[child.name];
    if (child.ns !== ns) invalid(`${what}: ${child.name} is in namespace "${child.ns}", expected "${ns}"`);
    if (!field) invalid(`${what}: ${child.name} is not a field of ${what}`);
    const nil = attributeValue(child, 'nil', XSI_NS);
    if (nil === 'true' || nil === '1') continue;
    const value = readValue(child, child.name, field.type);
    if (field.array) values[child.name] = [...((values[child.name] as unknown[] | undefined) ?? []), value];
    else if (child.name in values) invalid(`${what}: ${child.name} appears more than once`);
    else values[child.name] = value;
  }
  for (const [name, field] of Object.entries(spec)) {
    if (field.required && !(name in values)) invalid(`${what}: ${name} is required`);
  }
  return values as FieldValuesOf<S>;
}
