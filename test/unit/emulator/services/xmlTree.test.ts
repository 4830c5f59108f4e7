// The services' XML reader: namespaces resolved, DTDs and undeclared entities refused.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { attributeValue, childNamed, decodeReferences, escapeXml, parseXmlDocument, XmlRefusedError } from '../../../../src/emulator/services/xml/xmlTree';

const refusal = (kind: string) => (err: unknown) => err instanceof XmlRefusedError && err.kind === kind;

void describe('parseXmlDocument', () => {
  void it('resolves default and prefixed namespaces per scope, attributes and mixed text/CDATA', () => {
    const root = parseXmlDocument('<?xml version="1.0"?><a:Root xmlns:a="urn:a" xmlns="urn:d" x="1&amp;2"><Child b:at="v" xmlns:b="urn:b"> t&lt;<![CDATA[<raw>&amp;]]></Child><a:Other xmlns="urn:e"><In/></a:Other></a:Root>');
    assert.deepEqual([root.ns, root.name, attributeValue(root, 'x')], ['urn:a', 'Root', '1&2']);
    const child = childNamed(root, 'urn:d', 'Child');
    assert.equal(child?.text, ' t<<raw>&amp;');
    assert.equal(child && attributeValue(child, 'at', 'urn:b'), 'v');
    assert.equal(root.children[1].children[0].ns, 'urn:e');
  });

  void it('refuses any DOCTYPE or markup declaration, used or not', () => {
    assert.throws(() => parseXmlDocument('<!DOCTYPE a [<!ENTITY e "x">]><a>&e;</a>'), refusal('declaration'));
    assert.throws(() => parseXmlDocument('<!DOCTYPE a><a/>'), refusal('declaration'));
    assert.throws(() => parseXmlDocument('<a><!ELEMENT b ANY></a>'), refusal('declaration'));
    assert.throws(() => parseXmlDocument('<!doctype a SYSTEM "file:///etc/passwd"><a/>'), refusal('declaration'));
  });

  void it('refuses references to undeclared entities but decodes character references', () => {
    assert.throws(() => parseXmlDocument('<a>&xxe;</a>'), refusal('declaration'));
    assert.equal(parseXmlDocument('<a>&#65;&#x42;&quot;&apos;</a>').text, 'AB"\'');
    assert.throws(() => parseXmlDocument('<a>&#0;</a>'), refusal('malformed'));
    assert.throws(() => parseXmlDocument('<a>& b</a>'), refusal('malformed'));
  });

  void it('refuses documents that are not well-formed, unbound prefixes and several roots', () => {
    for (const bad of ['<a><b></a>', '<a x=1/>', 'text', '<a/><b/>', '<p:a/>', '<a p:x="1"/>', '']) {
      assert.throws(() => parseXmlDocument(bad), refusal('malformed'), bad);
    }
  });

  void it('refuses pathological nesting', () => {
    assert.throws(() => parseXmlDocument('<a>'.repeat(200) + '</a>'.repeat(200)), XmlRefusedError);
  });

  void it('childNamed refuses a repeated element', () => {
    const root = parseXmlDocument('<r><x/><x/></r>');
    assert.throws(() => childNamed(root, '', 'x'), XmlRefusedError);
  });
});

void describe('escapeXml / decodeReferences', () => {
  void it('round-trip the five special characters', () => {
    const text = `a&b<c>d"e'f`;
    assert.equal(decodeReferences(escapeXml(text)), text);
    assert.equal(escapeXml(text), 'a&amp;b&lt;c&gt;d&quot;e&apos;f');
  });
});
