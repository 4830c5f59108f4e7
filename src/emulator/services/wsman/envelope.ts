// Parses a WS-Management request (docs/amt-protocol.md section 6): SOAP 1.2 envelope with
// WS-Addressing 2004/08 headers and the wsman ResourceURI / SelectorSet. Anything a careful
// client would not send is refused here with its DSP0226 fault, before a class sees it.
import { SOAP11_ENVELOPE_NS, SOAP12_ENVELOPE_NS, WS_ADDRESSING_ANONYMOUS, WS_ADDRESSING_NS, WSMAN_NS } from '../../../contract/namespaces';
import { attributeValue, childNamed, parseXmlDocument, XmlRefusedError, type XmlElement } from '../xml/xmlTree';
import { WsmanFault } from './faults';

export interface WsmanRequest {
  action: string;
  /** wsman:ResourceURI; null when the header is absent. */
  resourceUri: string | null;
  messageId: string;
  /** wsman:SelectorSet as name -> value. */
  selectors: Map<string, string>;
  /** The s:Body element. */
  body: XmlElement;
}

/** Headers this endpoint understands; any other header marked mustUnderstand is refused. */
const UNDERSTOOD = new Map<string, readonly string[]>([
  [WS_ADDRESSING_NS, ['Action', 'To', 'MessageID', 'ReplyTo', 'FaultTo', 'From']],
  [WSMAN_NS, ['ResourceURI', 'SelectorSet', 'OperationTimeout', 'MaxEnvelopeSize', 'Locale', 'OptionSet']],
]);

function single(parent: XmlElement, ns: string, name: string): XmlElement | undefined {
  try {
    return childNamed(parent, ns, name);
  } catch {
    throw new WsmanFault('InvalidMessageInformationHeader', `header ${name} appears more than once`, name === 'SelectorSet' ? 'DuplicateSelectors' : undefined);
  }
}

function requiredText(header: XmlElement, name: string): string {
  const element = single(header, WS_ADDRESSING_NS, name);
  if (!element) throw new WsmanFault('MessageInformationHeaderRequired', `the wsa:${name} header is required`);
  const value = element.text.trim();
  if (value === '' || element.children.length > 0) throw new WsmanFault('InvalidMessageInformationHeader', `the wsa:${name} header is empty or not text`);
  return value;
}

function isTrue(value: string | undefined): boolean {
  return value === 'true' || value === '1';
}

/**
 * An EPR-valued selector (DSP0226 8.2: a selector whose value is an endpoint reference, how
 * MeshCentral and wsman-messages address an association such as AMT_TLSCredentialContext)
 * stands for the instance it references; the device keys associations by that instance's
 * one key value (its InstanceID or ElementName), which is what it compares with. Decision:
 * the referenced ResourceURI is not compared.
 */
function referencedKey(name: string, selector: XmlElement): string {
  const reference = selector.children.length === 1 && selector.children[0].ns === WS_ADDRESSING_NS && selector.children[0].name === 'EndpointReference'
    ? selector.children[0] : undefined;
  const parameters = reference && childNamed(reference, WS_ADDRESSING_NS, 'ReferenceParameters');
  const inner = parameters && childNamed(parameters, WSMAN_NS, 'SelectorSet');
  const values = inner?.children.filter((c) => c.ns === WSMAN_NS && c.name === 'Selector' && c.children.length === 0) ?? [];
  if (values.length !== 1) {
    throw new WsmanFault('InvalidSelectors', `selector ${name} must hold text or one endpoint reference naming one instance by one selector`, 'TypeMismatch');
  }
  return values[0].text.trim();
}

function readSelectors(header: XmlElement): Map<string, string> {
  const selectors = new Map<string, string>();
  const set = single(header, WSMAN_NS, 'SelectorSet');
  if (!set) return selectors;
  for (const selector of set.children) {
    if (selector.ns !== WSMAN_NS || selector.name !== 'Selector') throw new WsmanFault('InvalidSelectors', `unexpected ${selector.name} in SelectorSet`, 'UnexpectedSelectors');
    const name = attributeValue(selector, 'Name');
    if (!name) throw new WsmanFault('InvalidSelectors', 'a Selector has no Name attribute', 'InsufficientSelectors');
    if (selectors.has(name)) throw new WsmanFault('InvalidSelectors', `selector ${name} appears more than once`, 'DuplicateSelectors');
    selectors.set(name, selector.children.length > 0 ? referencedKey(name, selector) : selector.text.trim());
  }
  return selectors;
}

/** Parses and checks the envelope; throws WsmanFault for anything refused. */
export function parseWsmanRequest(xml: string): WsmanRequest {
  let envelope: XmlElement;
  try {
    envelope = parseXmlDocument(xml);
  } catch (err) {
    if (err instanceof XmlRefusedError) throw new WsmanFault('SchemaValidationError', err.message);
    throw err;
  }
  if (envelope.name !== 'Envelope' || envelope.ns !== SOAP12_ENVELOPE_NS) {
    if (envelope.ns === SOAP11_ENVELOPE_NS) throw new WsmanFault('VersionMismatch', 'WS-Management is served over SOAP 1.2 only');
    throw new WsmanFault('SchemaValidationError', 'the document is not a SOAP 1.2 envelope');
  }
  const headers = envelope.children.filter((c) => c.ns === SOAP12_ENVELOPE_NS && c.name === 'Header');
  const bodies = envelope.children.filter((c) => c.ns === SOAP12_ENVELOPE_NS && c.name === 'Body');
  if (headers.length !== 1 || bodies.length !== 1 || envelope.children.length !== 2) {
    throw new WsmanFault('SchemaValidationError', 'the envelope needs exactly one Header and one Body');
  }
  const header = headers[0];
  for (const h of header.children) {
    if (isTrue(attributeValue(h, 'mustUnderstand', SOAP12_ENVELOPE_NS)) && !UNDERSTOOD.get(h.ns)?.includes(h.name)) {
      throw new WsmanFault('MustUnderstand', `header ${h.name} in "${h.ns}" is not understood`);
    }
  }
  const action = requiredText(header, 'Action');
  const messageId = requiredText(header, 'MessageID');
  requiredText(header, 'To');
  const replyTo = single(header, WS_ADDRESSING_NS, 'ReplyTo');
  if (!replyTo) throw new WsmanFault('MessageInformationHeaderRequired', 'the wsa:ReplyTo header is required');
  const address = single(replyTo, WS_ADDRESSING_NS, 'Address')?.text.trim();
  if (address !== WS_ADDRESSING_ANONYMOUS) {
    // AMT answers on the request's own connection only (the emulator's reading of DSP0226 "AddressingMode").
    throw new WsmanFault('UnsupportedFeature', 'ReplyTo must be the anonymous address', 'AddressingMode');
  }
  const resourceElement = single(header, WSMAN_NS, 'ResourceURI');
  return {
    action,
    resourceUri: resourceElement ? resourceElement.text.trim() : null,
    messageId,
    selectors: readSelectors(header),
    body: bodies[0],
  };
}
