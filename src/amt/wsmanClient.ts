// WS-Management over a device's Digest session (docs/amt-protocol.md section 6): sends request
// bodies built by @device-management-toolkit/wsman-messages (or wsmanBuilders.ts), parses
// answers with deviceXml.ts, and turns SOAP faults and non-zero ReturnValues into typed errors.
import { AMT, CIM, IPS } from '@device-management-toolkit/wsman-messages';
import { WSMAN_PATH } from '../contract/namespaces';
import { CIM_RETURN_VALUE, PT_STATUS_NAMES } from '../contract/ptStatus';
import type { DigestSession } from './digestClient';
import { child, children, escapeXml, parseDeviceXml, path, text, type XmlNode, type XmlValue } from './deviceXml';
import { AmtSoapFault, AmtStatusError, DeviceXmlRejected, UnexpectedHttpStatus } from './errors';

/** One WS-Man instance: property name -> text, nested node, or repeated values. */
export type WsmanInstance = XmlNode;

const CIM_RETURN_VALUE_NAMES = new Map<number, string>(Object.entries(CIM_RETURN_VALUE).map(([name, code]) => [code, name]));
/** Methods defined by the DMTF CIM schema answer CIM return codes; AMT's own answer PT_STATUS. */
const CIM_METHODS = new Set(['RequestStateChange', 'RequestPowerStateChange']);

export function returnValueName(method: string, value: number): string {
  const names = CIM_METHODS.has(method) ? CIM_RETURN_VALUE_NAMES : PT_STATUS_NAMES;
  return names.get(value) ?? `UNKNOWN_${value}`;
}

export class WsmanClient {
  /** Message builders; one set per client so MessageIDs count per session. */
  readonly amt = new AMT.Messages();
  readonly cim = new CIM.Messages();
  readonly ips = new IPS.Messages();

  constructor(readonly session: DigestSession) {}

  /** POSTs one WS-Man envelope and returns the parsed SOAP Body; faults become AmtSoapFault. */
  async send(envelope: string, label: string): Promise<XmlNode> {
    const response = await this.session.post(WSMAN_PATH, envelope, 'application/soap+xml;charset=UTF-8');
    const looksLikeXml = /^\s*</.test(response.body);
    if (response.status !== 200 && !looksLikeXml) throw new UnexpectedHttpStatus(response.status, `${WSMAN_PATH} (${label})`);
    const document = parseDeviceXml(response.body, `WS-Man ${label}`);
    const rawBody = path(document, 'Envelope', 'Body');
    // An empty <Body/> (e.g. the answer to a WS-Transfer Delete) parses as ''.
    const body = rawBody === '' ? {} : rawBody;
    if (body === undefined || typeof body === 'string' || Array.isArray(body)) {
      if (response.status !== 200) throw new UnexpectedHttpStatus(response.status, `${WSMAN_PATH} (${label})`);
      throw new DeviceXmlRejected(`WS-Man ${label}: the answer has no SOAP Body`);
    }
    const fault = child(body, 'Fault');
    if (fault !== undefined) {
      throw new AmtSoapFault(
        label,
        text(path(fault, 'Code', 'Value')) ?? 'unknown',
        text(path(fault, 'Code', 'Subcode', 'Value')),
        text(path(fault, 'Reason', 'Text')) ?? '',
      );
    }
    if (response.status !== 200) throw new UnexpectedHttpStatus(response.status, `${WSMAN_PATH} (${label})`);
    return body;
  }

  /** WS-Transfer Get (or the Put echo): the instance of `className` in the answer. */
  async instance(envelope: string, className: string, label = `${className}.Get`): Promise<WsmanInstance> {
    const node = child(await this.send(envelope, label), className);
    if (node === undefined || typeof node === 'string' || Array.isArray(node)) {
      throw new DeviceXmlRejected(`WS-Man ${label}: the answer carries no ${className}`);
    }
    return node;
  }

  /** WS-Enumeration: Enumerate, then Pull until EndOfSequence; every item of `className`. `pull` gets the context XML-escaped. */
  async enumerateAll(className: string, enumerate: string, pull: (context: string) => string): Promise<WsmanInstance[]> {
    let context = text(path(await this.send(enumerate, `${className}.Enumerate`), 'EnumerateResponse', 'EnumerationContext'));
    const items: WsmanInstance[] = [];
    // A device that never ends the sequence would loop forever; 1,000 pages is far beyond AMT's tables.
    for (let page = 0; context !== undefined && page < 1000; page++) {
      const pulled = child(await this.send(pull(escapeXml(context)), `${className}.Pull`), 'PullResponse');
      for (const item of children(child(pulled, 'Items'), className)) {
        if (typeof item !== 'string' && !Array.isArray(item)) items.push(item);
      }
      if (child(pulled, 'EndOfSequence') !== undefined) return items;
      context = text(child(pulled, 'EnumerationContext')) ?? context;
    }
    throw new DeviceXmlRejected(`WS-Man ${className}.Pull: the enumeration did not end`);
  }

  /** enumerateAll with the Enumerate / Pull bodies of a wsman-messages class builder. */
  async enumerateClass(className: string, messages: { Enumerate(): string; Pull(context: string): string }): Promise<WsmanInstance[]> {
    return this.enumerateAll(className, messages.Enumerate(), (context) => messages.Pull(context));
  }

  /** Invokes a method; returns its `<Method>_OUTPUT` and throws AmtStatusError on a non-zero ReturnValue. */
  async invoke(envelope: string, className: string, method: string): Promise<WsmanInstance> {
    const label = `${className}.${method}`;
    const output = child(await this.send(envelope, label), `${method}_OUTPUT`);
    if (output === undefined || typeof output === 'string' || Array.isArray(output)) {
      throw new DeviceXmlRejected(`WS-Man ${label}: the answer carries no ${method}_OUTPUT`);
    }
    const returnValue = Number(text(child(output, 'ReturnValue')));
    if (!Number.isInteger(returnValue)) throw new DeviceXmlRejected(`WS-Man ${label}: ReturnValue missing or not a number`);
    if (returnValue !== 0) throw new AmtStatusError(label, returnValue, returnValueName(method, returnValue));
    return output;
  }
}

/** Reads a numeric property; undefined when absent. */
export function numberProperty(instance: XmlValue | undefined, name: string): number | undefined {
  const value = text(child(instance, name));
  if (value === undefined || value === '') return undefined;
  const parsed = Number(value);
  if (!Number.isFinite(parsed)) throw new DeviceXmlRejected(`WS-Man property ${name} is not a number: ${value}`);
  return parsed;
}

export function booleanProperty(instance: XmlValue | undefined, name: string): boolean | undefined {
  const value = text(child(instance, name));
  return value === undefined ? undefined : value === 'true';
}

export function stringProperty(instance: XmlValue | undefined, name: string): string | undefined {
  return text(child(instance, name));
}

/** The value of selector `name` in an endpoint reference (e.g. CreatedCertificate, ElementInContext). */
export function referenceSelector(reference: XmlValue | undefined, name: string): string | undefined {
  const selectors = children(path(reference, 'ReferenceParameters', 'SelectorSet'), 'Selector');
  const selector = selectors.find((node) => typeof node === 'object' && !Array.isArray(node) && node['@Name'] === name);
  return text(selector);
}
