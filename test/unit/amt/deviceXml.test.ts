import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkDeviceXml, children, escapeXml, parseDeviceXml, path, text } from '../../../src/amt/deviceXml';
import { DeviceXmlRejected } from '../../../src/amt/errors';
import { putProperties } from '../../../src/amt/wsmanInstances';

const rejected = (pattern: RegExp) => (error: unknown) => {
  assert.ok(error instanceof DeviceXmlRejected, `expected DeviceXmlRejected, got ${String(error)}`);
  assert.equal(error.retryable, false);
  assert.match(error.message, pattern);
  return true;
};

void describe('parseDeviceXml', () => {
  void it('drops namespace prefixes, keeps text as strings and decodes the predefined entities', () => {
    const document = parseDeviceXml('<a:Envelope xmlns:a="urn:x"><a:Body><g:Out xmlns:g="urn:g"><g:V>007</g:V><g:V>&lt;b&amp;c&gt;</g:V></g:Out></a:Body></a:Envelope>', 'test');
    const out = path(document, 'Envelope', 'Body', 'Out');
    assert.deepEqual(children(out, 'V').map((value) => text(value)), ['007', '<b&c>']);
  });

  void it('refuses a DOCTYPE with an internal entity (billion laughs shape) without expanding it', () => {
    const bomb = '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]><r>&lol2;</r>';
    assert.throws(() => parseDeviceXml(bomb, 'test'), rejected(/DOCTYPE or entity/));
  });

  void it('refuses an external entity and a bare DOCTYPE, in any case', () => {
    assert.throws(() => parseDeviceXml('<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>', 'test'), DeviceXmlRejected);
    assert.throws(() => parseDeviceXml('<!doctype r><r/>', 'test'), DeviceXmlRejected);
  });

  void it('refuses XML over the size cap', () => {
    assert.throws(() => checkDeviceXml(`<r>${'x'.repeat(100)}</r>`, 'test', 64), rejected(/exceeds 64 bytes/));
  });

  void it('refuses malformed XML with the parser reason', () => {
    assert.throws(() => parseDeviceXml('<r><a></r>', 'test'), rejected(/not well-formed/));
    assert.throws(() => parseDeviceXml('<r>&undefined;</r>', 'test'), DeviceXmlRejected);
  });
});

void describe('escapeXml and putProperties', () => {
  void it('escapes the five XML special characters', () => {
    assert.equal(escapeXml(`a&b<c>d"e'f`), 'a&amp;b&lt;c&gt;d&quot;e&apos;f');
  });

  void it('sends every leaf property back, escaped, with the changes overlaid', () => {
    const instance = path(parseDeviceXml('<g:S xmlns:g="urn:g"><g:InstanceID>Intel(r) AMT: General Settings</g:InstanceID>' +
      '<g:HostName>a&amp;b</g:HostName><g:PingResponseEnabled>false</g:PingResponseEnabled><g:List>1</g:List><g:List>2</g:List></g:S>', 'test'), 'S');
    assert.ok(instance && typeof instance === 'object' && !Array.isArray(instance));
    assert.deepEqual(putProperties(instance, { PingResponseEnabled: true, ElementName: 'x<y' }), {
      InstanceID: 'Intel(r) AMT: General Settings',
      HostName: 'a&amp;b',
      PingResponseEnabled: 'true',
      List: ['1', '2'],
      ElementName: 'x&lt;y',
    });
  });
});
