// WS-Man envelope parsing and fault building, typed field reading, enumeration contexts, and
// the EOI request guard: pure functions, no sockets.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AMT } from '@device-management-toolkit/wsman-messages';
import { XMLParser } from 'fast-xml-parser';
import { EOI_NAMESPACES } from '../../../../src/contract/namespaces';
import type { Firmware } from '../../../../src/emulator/firmware/firmware';
import { checkEoiRequest } from '../../../../src/emulator/services/soap/eoiEndpoint';
import { parseWsmanRequest } from '../../../../src/emulator/services/wsman/envelope';
import { EnumerationContexts, MAX_OPEN_ENUMERATIONS } from '../../../../src/emulator/services/wsman/enumeration';
import { WsmanFault } from '../../../../src/emulator/services/wsman/faults';
import { readFields } from '../../../../src/emulator/services/wsman/fields';
import { elementXml, endpointReference, faultEnvelope, responseEnvelope } from '../../../../src/emulator/services/wsman/response';
import { parseXmlDocument } from '../../../../src/emulator/services/xml/xmlTree';

const amt = new AMT.Messages();
const faultNamed = (name: string, detail?: string) => (err: unknown) =>
  err instanceof WsmanFault && err.fault === name && (detail === undefined || err.detail === detail);
const SOAP12 = 'http://www.w3.org/2003/05/soap-envelope';
const WSA = 'http://schemas.xmlsoap.org/ws/2004/08/addressing';
const WSMAN = 'http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd';
const header = (inner: string) => `<s:Envelope xmlns:s="${SOAP12}" xmlns:a="${WSA}" xmlns:w="${WSMAN}"><s:Header>${inner}</s:Header><s:Body/></s:Envelope>`;
const required = `<a:Action>x</a:Action><a:To>/wsman</a:To><a:MessageID>1</a:MessageID><a:ReplyTo><a:Address>${WSA}/role/anonymous</a:Address></a:ReplyTo>`;

void describe('parseWsmanRequest', () => {
  void it('reads action, resource URI, message id and selectors of a wsman-messages request', () => {
    const request = parseWsmanRequest(amt.EthernetPortSettings.Get({ name: 'InstanceID', value: 'Intel(r) AMT Ethernet Port Settings 1' }));
    assert.equal(request.action, 'http://schemas.xmlsoap.org/ws/2004/09/transfer/Get');
    assert.equal(request.resourceUri, 'http://intel.com/wbem/wscim/1/amt-schema/1/AMT_EthernetPortSettings');
    assert.equal(request.messageId, '0');
    assert.deepEqual([...request.selectors], [['InstanceID', 'Intel(r) AMT Ethernet Port Settings 1']]);
    assert.equal(request.body.name, 'Body');
  });

  void it('refuses SOAP 1.1 with VersionMismatch and non-envelopes or malformed XML with SchemaValidationError', () => {
    assert.throws(() => parseWsmanRequest('<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Header/><s:Body/></s:Envelope>'), faultNamed('VersionMismatch'));
    assert.throws(() => parseWsmanRequest('<Envelope/>'), faultNamed('SchemaValidationError'));
    assert.throws(() => parseWsmanRequest('<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body/></s:Envelope>'), faultNamed('SchemaValidationError'));
    assert.throws(() => parseWsmanRequest('<!DOCTYPE x><x/>'), faultNamed('SchemaValidationError'));
  });

  void it('requires Action, MessageID, To and an anonymous ReplyTo', () => {
    assert.doesNotThrow(() => parseWsmanRequest(header(required)));
    assert.throws(() => parseWsmanRequest(header(required.replace('<a:Action>x</a:Action>', ''))), faultNamed('MessageInformationHeaderRequired'));
    assert.throws(() => parseWsmanRequest(header(required.replace('<a:MessageID>1</a:MessageID>', ''))), faultNamed('MessageInformationHeaderRequired'));
    assert.throws(() => parseWsmanRequest(header(required.replace('<a:To>/wsman</a:To>', ''))), faultNamed('MessageInformationHeaderRequired'));
    assert.throws(() => parseWsmanRequest(header(`${required}<a:Action>y</a:Action>`)), faultNamed('InvalidMessageInformationHeader'));
    assert.throws(() => parseWsmanRequest(header(required.replace('/role/anonymous', '/elsewhere'))), faultNamed('UnsupportedFeature', 'AddressingMode'));
  });

  void it('refuses headers marked mustUnderstand that it does not know, and accepts known ones so marked', () => {
    assert.throws(() => parseWsmanRequest(header(`${required}<x:H xmlns:x="urn:x" s:mustUnderstand="true"/>`)), faultNamed('MustUnderstand'));
    assert.doesNotThrow(() => parseWsmanRequest(header(`${required}<w:OperationTimeout s:mustUnderstand="true">PT1S</w:OperationTimeout>`)));
  });

  void it('refuses duplicate, nameless and element-valued selectors', () => {
    const selectors = (inner: string) => header(`${required}<w:SelectorSet>${inner}</w:SelectorSet>`);
    assert.throws(() => parseWsmanRequest(selectors('<w:Selector Name="A">1</w:Selector><w:Selector Name="A">2</w:Selector>')), faultNamed('InvalidSelectors', 'DuplicateSelectors'));
    assert.throws(() => parseWsmanRequest(selectors('<w:Selector>1</w:Selector>')), faultNamed('InvalidSelectors'));
    assert.throws(() => parseWsmanRequest(selectors('<w:Selector Name="A"><x/></w:Selector>')), faultNamed('InvalidSelectors', 'TypeMismatch'));
  });
});

const reader = new XMLParser({ removeNSPrefix: true, ignoreAttributes: false, attributeNamePrefix: '@', parseTagValue: false });

void describe('responses and faults', () => {
  void it('builds a SOAP 1.2 fault with Sender code, the subcode in its namespace, reason and DSP0226 detail', () => {
    const fault = new WsmanFault('InvalidSelectors', 'no <such> instance', 'InvalidValue');
    const xml = faultEnvelope(fault, '42');
    const envelope = parseXmlDocument(xml);
    const body = envelope.children[1].children[0];
    assert.deepEqual([body.ns, body.name], [SOAP12, 'Fault']);
    const parsed = reader.parse(xml) as { Envelope: { Header: Record<string, unknown>; Body: { Fault: Record<string, Record<string, unknown>> } } };
    const code = parsed.Envelope.Body.Fault.Code as { Value: string; Subcode: { Value: string } };
    assert.deepEqual([code.Value, code.Subcode.Value], ['s:Sender', 'w:InvalidSelectors']);
    assert.equal((parsed.Envelope.Body.Fault.Reason.Text as Record<string, string>)['#text'], 'no <such> instance');
    assert.equal(parsed.Envelope.Body.Fault.Detail.FaultDetail, 'http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/InvalidValue');
    assert.equal(parsed.Envelope.Header.RelatesTo, '42');
    assert.equal((parsed.Envelope.Header.Action as Record<string, string>)['#text'], 'http://schemas.dmtf.org/wbem/wsman/1/wsman/fault');
    assert.equal(fault.httpStatus, 400);
  });

  void it('puts wsa and wsen faults in their namespaces, with their fault actions and HTTP status', () => {
    const unreachable = reader.parse(faultEnvelope(new WsmanFault('DestinationUnreachable', 'x'))) as { Envelope: { Header: { Action: Record<string, string> } } };
    assert.equal(unreachable.Envelope.Header.Action['#text'], `${WSA}/fault`);
    assert.match(faultEnvelope(new WsmanFault('DestinationUnreachable', 'x')), new RegExp(`xmlns:a="${WSA}".*<s:Value>a:DestinationUnreachable</s:Value>`));
    const context = new WsmanFault('InvalidEnumerationContext', 'x');
    assert.match(faultEnvelope(context), /<s:Value>s:Receiver<\/s:Value><s:Subcode><s:Value>n:InvalidEnumerationContext<\/s:Value>/);
    assert.equal(context.httpStatus, 500);
    assert.doesNotMatch(faultEnvelope(new WsmanFault('VersionMismatch', 'x')), /Subcode/);
  });

  void it('serializes instances with arrays as repeated elements, escaped text and endpoint references', () => {
    const xml = responseEnvelope({
      action: 'a',
      relatesTo: '1',
      body: elementXml('C', 'urn:c', { S: 'a<b', L: [1, 2], N: null, R: endpointReference('urn:r', { InstanceID: 'x&y' }) }),
    });
    assert.match(xml, /<h:C xmlns:h="urn:c"><h:S>a&lt;b<\/h:S><h:L>1<\/h:L><h:L>2<\/h:L><h:R><a:Address>/);
    assert.match(xml, /<w:Selector Name="InstanceID">x&amp;y<\/w:Selector>/);
    assert.doesNotMatch(xml, /<h:N>/);
    assert.doesNotThrow(() => parseXmlDocument(xml));
  });
});

void describe('readFields', () => {
  const spec = { Name: { type: 'string', required: true }, Count: { type: 'uint' }, On: { type: 'boolean' }, Tags: { type: 'uint', array: true }, Key: { type: 'base64' }, Ref: { type: 'epr' } } as const;
  const element = (inner: string) => parseXmlDocument(`<h:X xmlns:h="urn:x" xmlns:a="${WSA}" xmlns:w="${WSMAN}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">${inner}</h:X>`);

  void it('reads typed values, arrays and references; xsi:nil counts as absent', () => {
    const values = readFields(
      element(`<h:Name> n </h:Name><h:Count>7</h:Count><h:On>1</h:On><h:Tags>2</h:Tags><h:Tags>3</h:Tags><h:Key>AAEC</h:Key><h:Ref><a:Address>x</a:Address><a:ReferenceParameters><w:ResourceURI>urn:r</w:ResourceURI><w:SelectorSet><w:Selector Name="InstanceID">i</w:Selector></w:SelectorSet></a:ReferenceParameters></h:Ref>`),
      'urn:x',
      spec,
      'X',
    );
    assert.deepEqual({ ...values, Ref: undefined }, { Name: ' n ', Count: 7, On: true, Tags: [2, 3], Key: 'AAEC', Ref: undefined });
    assert.equal(values.Ref?.resourceUri, 'urn:r');
    assert.equal(values.Ref?.selectors.get('InstanceID'), 'i');
    assert.equal(readFields(element('<h:Name>n</h:Name><h:Count xsi:nil="true"/>'), 'urn:x', spec, 'X').Count, undefined);
  });

  void it('refuses foreign namespaces, unknown, repeated, missing and ill-typed fields with SchemaValidationError', () => {
    const cases = [
      '<Name xmlns="urn:other">n</Name>',
      '<h:Name>n</h:Name><h:Nope>1</h:Nope>',
      '<h:Name>n</h:Name><h:Name>m</h:Name>',
      '<h:Count>1</h:Count>',
      '<h:Name>n</h:Name><h:Count>-1</h:Count>',
      '<h:Name>n</h:Name><h:Count>4294967296</h:Count>',
      '<h:Name>n</h:Name><h:On>yes</h:On>',
      '<h:Name>n</h:Name><h:Key>AA=</h:Key>',
      '<h:Name>n</h:Name><h:Ref><a:Address>x</a:Address></h:Ref>',
      '<h:Name><b>n</b></h:Name>',
    ];
    for (const inner of cases) assert.throws(() => readFields(element(inner), 'urn:x', spec, 'X'), faultNamed('SchemaValidationError'), inner);
  });
});

void describe('EnumerationContexts', () => {
  const fw = {} as Firmware;

  void it('pages through a snapshot and forgets the context at EndOfSequence', () => {
    const contexts = new EnumerationContexts();
    const id = contexts.open(fw, 'urn:c', ['a', 'b', 'c']);
    assert.deepEqual(contexts.pull(fw, id, 'urn:c', 2), { items: ['a', 'b'], endOfSequence: false });
    assert.equal(contexts.pull(fw, id, 'urn:other', 1), null, 'bound to its class');
    assert.deepEqual(contexts.pull(fw, id, 'urn:c', 2), { items: ['c'], endOfSequence: true });
    assert.equal(contexts.pull(fw, id, 'urn:c', 2), null);
  });

  void it('keeps contexts per device, releases on request and drops the oldest beyond the limit', () => {
    const contexts = new EnumerationContexts();
    const other = {} as Firmware;
    const first = contexts.open(fw, 'urn:c', ['a']);
    assert.equal(contexts.pull(other, first, 'urn:c', 1), null);
    assert.equal(contexts.release(fw, first, 'urn:c'), true);
    assert.equal(contexts.release(fw, first, 'urn:c'), false);
    const ids = Array.from({ length: MAX_OPEN_ENUMERATIONS + 1 }, () => contexts.open(fw, 'urn:c', ['a']));
    assert.equal(contexts.pull(fw, ids[0], 'urn:c', 1), null);
    assert.notEqual(contexts.pull(fw, ids[MAX_OPEN_ENUMERATIONS], 'urn:c', 1), null);
  });
});

void describe('checkEoiRequest', () => {
  const ns = EOI_NAMESPACES.NetworkTime;
  const envelope = (inner: string, header = '') => `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/">${header}<s:Body>${inner}</s:Body></s:Envelope>`;
  const get = `<GetLowAccuracyTimeSynch xmlns="${ns}"/>`;

  void it('passes a well-formed request with or without a matching SOAPAction', () => {
    assert.equal(checkEoiRequest('NetworkTime', envelope(get), undefined), null);
    assert.equal(checkEoiRequest('NetworkTime', envelope(get), `"${ns}#GetLowAccuracyTimeSynch"`), null);
    assert.equal(checkEoiRequest('NetworkTime', envelope(get), '""'), null);
  });

  void it('refuses everything a careless client might send, each with its fault code', () => {
    const cases: [string, string | undefined, string][] = [
      [envelope(get), `"${ns}#SetHighAccuracyTimeSynch"`, 'Client'],
      [envelope(`<GetLowAccuracyTimeSynch xmlns="urn:x"/>`), undefined, 'Client'],
      [envelope(`<GetCoreVersion xmlns="${ns}"/>`), undefined, 'Client'],
      [envelope(get + get), undefined, 'Client'],
      [`<!DOCTYPE s><s/>`, undefined, 'Client'],
      [`<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body>${get}</s:Body></s:Envelope>`, undefined, 'VersionMismatch'],
      [envelope(get, '<s:Header><x:T xmlns:x="urn:x" s:mustUnderstand="1"/></s:Header>'), undefined, 'MustUnderstand'],
    ];
    for (const [body, action, code] of cases) assert.equal(checkEoiRequest('NetworkTime', body, action)?.code, code, body);
  });
});
