// A namespace-resolved element tree over fast-xml-parser, for the device's SOAP and WS-Man
// endpoints. AMT's parser refuses DTDs, so this one does too: any `<!DOCTYPE`/`<!ENTITY` (or
// other markup declaration) is refused before parsing, and the only entity references
// accepted are XML's five predefined ones and character references, decoded here (fast-xml-
// parser runs with entity processing off, so nothing it does can expand an entity).
import { XMLParser, XMLValidator } from 'fast-xml-parser';

export const XML_NS = 'http://www.w3.org/XML/1998/namespace';
const XMLNS_NS = 'http://www.w3.org/2000/xmlns/';

export interface XmlAttribute {
  ns: string;
  name: string;
  value: string;
}

export interface XmlElement {
  /** Namespace URI, '' when the element is in no namespace. */
  ns: string;
  /** Local name (no prefix). */
  name: string;
  attributes: XmlAttribute[];
  children: XmlElement[];
  /** Character data directly inside this element (text and CDATA, in order, untrimmed). */
  text: string;
}

export type XmlRefusal = 'declaration' | 'malformed';

/** Why a body was not accepted as XML; `kind` 'declaration' = DOCTYPE/ENTITY (refused by policy). */
export class XmlRefusedError extends Error {
  constructor(
    readonly kind: XmlRefusal,
    message: string,
  ) {
    super(message);
    this.name = 'XmlRefusedError';
  }
}

/** Nesting limit: WS-Man bodies are a handful of levels deep; this stops pathological nesting early. */
const MAX_DEPTH = 32;

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  processEntities: false,
  cdataPropName: '#cdata',
  commentPropName: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  maxNestedTags: MAX_DEPTH,
});

/** Markup declarations (`<!DOCTYPE`, `<!ENTITY`, `<!ELEMENT`, ...): anything `<!` but comments and CDATA. */
const DECLARATION = /<!(?!--|\[CDATA\[)/;
const REFERENCE = /&([^;&\s<]*);?/g;
const PREDEFINED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Replaces the predefined entities and character references; refuses every other reference. */
export function decodeReferences(raw: string): string {
  return raw.replace(REFERENCE, (whole, name: string) => {
    if (!whole.endsWith(';')) throw new XmlRefusedError('malformed', 'unterminated entity reference');
    const predefined = PREDEFINED[name];
    if (predefined !== undefined) return predefined;
    const code = /^#x[0-9a-f]+$/i.test(name) ? parseInt(name.slice(2), 16) : /^#[0-9]+$/.test(name) ? parseInt(name.slice(1), 10) : NaN;
    if (Number.isNaN(code)) throw new XmlRefusedError('declaration', `reference to undeclared entity "${name.slice(0, 32)}"`);
    const isXmlChar = code === 0x9 || code === 0xa || code === 0xd || (code >= 0x20 && code <= 0xd7ff) || (code >= 0xe000 && code <= 0x10ffff && code !== 0xfffe && code !== 0xffff);
    if (!isXmlChar) throw new XmlRefusedError('malformed', `character reference ${name} is not an XML character`);
    return String.fromCodePoint(code);
  });
}

type RawNode = Record<string, unknown>;

function splitQName(qname: string): [prefix: string, local: string] {
  const colon = qname.indexOf(':');
  return colon < 0 ? ['', qname] : [qname.slice(0, colon), qname.slice(colon + 1)];
}

function resolve(prefix: string, scope: ReadonlyMap<string, string>, what: string): string {
  if (prefix === 'xml') return XML_NS;
  const uri = scope.get(prefix);
  if (uri === undefined) {
    if (prefix === '') return '';
    throw new XmlRefusedError('malformed', `${what} uses unbound namespace prefix "${prefix.slice(0, 32)}"`);
  }
  return uri;
}

function buildElement(qname: string, node: RawNode, parentScope: ReadonlyMap<string, string>, depth: number): XmlElement {
  if (depth > MAX_DEPTH) throw new XmlRefusedError('malformed', `elements nested deeper than ${MAX_DEPTH}`);
  const rawAttributes = (node[':@'] ?? {}) as Record<string, string>;
  const scope = new Map(parentScope);
  for (const [name, value] of Object.entries(rawAttributes)) {
    if (name === 'xmlns') scope.set('', decodeReferences(value));
    else if (name.startsWith('xmlns:')) scope.set(name.slice(6), decodeReferences(value));
  }
  const [prefix, local] = splitQName(qname);
  const element: XmlElement = { ns: resolve(prefix, scope, `element ${qname}`), name: local, attributes: [], children: [], text: '' };
  for (const [name, value] of Object.entries(rawAttributes)) {
    if (name === 'xmlns' || name.startsWith('xmlns:')) continue;
    const [attrPrefix, attrLocal] = splitQName(name);
    // Unprefixed attributes are in no namespace (XML Namespaces 1.0, section 6.2).
    const ns = attrPrefix === '' ? '' : resolve(attrPrefix, scope, `attribute ${name}`);
    if (ns === XMLNS_NS) continue;
    element.attributes.push({ ns, name: attrLocal, value: decodeReferences(value) });
  }
  for (const child of (node[qname] ?? []) as RawNode[]) {
    const key = Object.keys(child).find((k) => k !== ':@');
    if (key === undefined) continue;
    if (key === '#text') element.text += decodeReferences(String(child[key]));
    else if (key === '#cdata') element.text += ((child[key] as { '#text'?: string }[]) ?? []).map((t) => t['#text'] ?? '').join('');
    else element.children.push(buildElement(key, child, scope, depth + 1));
  }
  return element;
}

/**
 * Parses one XML document into its root element. Refuses (XmlRefusedError) markup
 * declarations, undeclared entity references, unbound prefixes and anything not well-formed.
 */
export function parseXmlDocument(xml: string): XmlElement {
  if (DECLARATION.test(xml)) throw new XmlRefusedError('declaration', 'XML with DOCTYPE or other markup declarations is refused');
  const validation = XMLValidator.validate(xml);
  if (validation !== true) throw new XmlRefusedError('malformed', `not well-formed XML: ${validation.err.msg.slice(0, 200)}`);
  let nodes: RawNode[];
  try {
    nodes = parser.parse(xml) as RawNode[];
  } catch (err) {
    throw new XmlRefusedError('malformed', `not well-formed XML: ${err instanceof Error ? err.message.slice(0, 200) : 'parse error'}`);
  }
  const roots = nodes.filter((n) => !('#text' in n) || String(n['#text']).trim() !== '');
  if (roots.length !== 1 || '#text' in roots[0] || '#cdata' in roots[0]) throw new XmlRefusedError('malformed', 'a document needs exactly one root element');
  const qname = Object.keys(roots[0]).find((k) => k !== ':@') ?? '';
  return buildElement(qname, roots[0], new Map(), 1);
}

/** Child elements with this namespace and local name. */
export function childrenNamed(parent: XmlElement, ns: string, name: string): XmlElement[] {
  return parent.children.filter((c) => c.ns === ns && c.name === name);
}

/** The single child with this name, undefined when absent; throws when repeated (caller maps to its fault). */
export function childNamed(parent: XmlElement, ns: string, name: string): XmlElement | undefined {
  const found = childrenNamed(parent, ns, name);
  if (found.length > 1) throw new XmlRefusedError('malformed', `element ${name} appears ${found.length} times`);
  return found[0];
}

export function attributeValue(element: XmlElement, name: string, ns = ''): string | undefined {
  return element.attributes.find((a) => a.ns === ns && a.name === name)?.value;
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/** Escapes text or an attribute value for XML output. */
export function escapeXml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}
