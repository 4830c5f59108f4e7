// Properties of both XML readers: the server's device-XML reader (src/amt/deviceXml.ts) and the
// emulator's namespace tree (src/emulator/services/xml/xmlTree.ts). Any string is either parsed
// or refused with the module's own error (never another throw); any DOCTYPE/ENTITY declaration
// is refused (docs/amt-protocol.md section 6); escaped text and attribute values read back as
// written.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { escapeXml as escapeDeviceXml, parseDeviceXml, path, text } from '../../../src/amt/deviceXml';
import { DeviceXmlRejected } from '../../../src/amt/errors';
import { escapeXml as escapeTreeXml, parseXmlDocument, XmlRefusedError, type XmlElement } from '../../../src/emulator/services/xml/xmlTree';
import { runs } from './propertyRuns';

// XML 1.0 characters only (no C0 controls but tab/LF, no CR, which parsers may normalise),
// weighted towards the characters that need escaping.
const xmlChar = fc.oneof(
  fc.constantFrom('&', '<', '>', '"', "'", ';', '#', 'amp', 'lt', '&amp;', '&#60;', ']]>', '\t', '\n', ' '),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 3 }).filter((s) => [...s].every((c) => c === '\t' || c === '\n' || (c >= ' ' && c !== '\ufffe' && c !== '\uffff'))),
);
const xmlText = fc.array(xmlChar, { maxLength: 20 }).map((parts) => parts.join(''));
const name = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_.-]{0,8}$/).filter((n) => !/^xml/i.test(n));

// Strings shaped like XML: fragments of markup, declarations and references mixed with noise.
const xmlish = fc.array(fc.oneof(
  fc.constantFrom('<a>', '</a>', '<b x="1">', '</b>', '<a/>', '<!DOCTYPE a [<!ENTITY e "x">]>', '<!ENTITY', '<!--', '-->',
    '<![CDATA[', ']]>', '&e;', '&amp;', '&#0;', '&#x110000;', '&#xD800;', '&', '<?xml version="1.0"?>', '<p:a xmlns:p="urn:x">',
    '</p:a>', '<q:b>', 'xmlns=""', '"', "'", '=', ' ', '\u0000', '<', '>'),
  fc.string({ maxLength: 6 }),
), { maxLength: 30 }).map((parts) => parts.join(''));
const anyString = fc.oneof(xmlish, fc.string({ maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 100 }));

function deviceOutcome(input: string): 'parsed' | 'refused' {
  try {
    parseDeviceXml(input, 'property');
    return 'parsed';
  } catch (error) {
    if (error instanceof DeviceXmlRejected) return 'refused';
    throw new Error(`parseDeviceXml threw a non-DeviceXmlRejected error on ${JSON.stringify(input)}`, { cause: error });
  }
}

function treeOutcome(input: string): XmlElement | 'refused' {
  try {
    return parseXmlDocument(input);
  } catch (error) {
    if (error instanceof XmlRefusedError) return 'refused';
    throw new Error(`parseXmlDocument threw a non-XmlRefusedError on ${JSON.stringify(input)}`, { cause: error });
  }
}

const declaration = fc.constantFrom('<!DOCTYPE r>', '<!DOCTYPE r [<!ENTITY e "x">]>', '<!doctype r SYSTEM "file:///etc/passwd">', '<!ENTITY e "x">');

describe('device XML reader properties (src/amt/deviceXml.ts)', () => {
  it('any string is parsed or refused with DeviceXmlRejected, nothing else', () => {
    fc.assert(fc.property(anyString, (input) => { deviceOutcome(input); }), runs());
  });

  it('a DOCTYPE or ENTITY declaration anywhere before the root is refused', () => {
    fc.assert(fc.property(declaration, name, xmlText, (decl, root, body) => {
      assert.equal(deviceOutcome(`<?xml version="1.0"?>${decl}<${root}>${escapeDeviceXml(body)}</${root}>`), 'refused');
    }), runs(0.5));
  });

  it('escaped text and attribute values read back as written (this reader trims both)', () => {
    fc.assert(fc.property(name, name, xmlText, xmlText, (root, leaf, value, attribute) => {
      const doc = parseDeviceXml(`<${root}><${leaf} a="${escapeDeviceXml(attribute)}">${escapeDeviceXml(value)}</${leaf}></${root}>`, 'property');
      const node = path(doc, root, leaf);
      assert.equal(text(node) ?? '', value.trim());
      assert.equal((node as Record<string, unknown>)['@a'], attribute.trim());
    }), runs());
  });
});

/** Serialises an element tree (no namespaces) with the emulator's escaper. */
function serialise(element: XmlElement): string {
  const attributes = element.attributes.map((a) => ` ${a.name}="${escapeTreeXml(a.value)}"`).join('');
  return `<${element.name}${attributes}>${escapeTreeXml(element.text)}${element.children.map(serialise).join('')}</${element.name}>`;
}

/** Element trees up to `depth` levels below the root, without namespaces. */
function treeOf(depth: number): fc.Arbitrary<XmlElement> {
  return fc.record({
    ns: fc.constant(''),
    name,
    attributes: fc.uniqueArray(fc.record({ ns: fc.constant(''), name, value: xmlText }, { noNullPrototype: true }), { maxLength: 3, selector: (a) => a.name }),
    children: depth === 0 ? fc.constant([]) : fc.array(treeOf(depth - 1), { maxLength: 3 }),
    text: xmlText,
  }, { noNullPrototype: true });
}
const tree = treeOf(3);

describe('emulator XML tree properties (src/emulator/services/xml/xmlTree.ts)', () => {
  it('any string is parsed or refused with XmlRefusedError, nothing else', () => {
    fc.assert(fc.property(anyString, (input) => { treeOutcome(input); }), runs());
  });

  it('a DOCTYPE or ENTITY declaration is refused as a declaration', () => {
    fc.assert(fc.property(declaration, name, xmlText, (decl, root, body) => {
      assert.throws(() => parseXmlDocument(`<?xml version="1.0"?>${decl}<${root}>${escapeTreeXml(body)}</${root}>`),
        (error) => error instanceof XmlRefusedError && error.kind === 'declaration');
    }), runs(0.5));
  });

  it('a generated element tree serialised with escapeXml parses back to the same tree', () => {
    // Text before, between and after children is concatenated by the reader, as here.
    fc.assert(fc.property(tree, (element) => {
      assert.deepEqual(parseXmlDocument(serialise(element)), element);
    }), runs());
  });

  it('a default namespace reaches every unprefixed descendant', () => {
    fc.assert(fc.property(name, name, fc.webUrl(), (root, leaf, uri) => {
      const parsed = parseXmlDocument(`<${root} xmlns="${escapeTreeXml(uri)}"><${leaf}/></${root}>`);
      assert.equal(parsed.ns, uri);
      assert.equal(parsed.children[0]?.ns, uri);
    }), runs(0.3));
  });
});
