// POST /wsman (docs/amt-protocol.md section 6): parses the envelope, finds the class by ResourceURI
// and the operation by Action (WS-Transfer, WS-Enumeration, or `<ResourceURI>/<Method>`), both
// as this firmware release has them (`since`), consults the fault plan
// (`<Class>.<Get|Put|Create|Delete|Enumerate|Pull|Release|Method>`), checks rights and
// selectors, runs it and answers the response envelope or a WS-Man fault.
import type http from 'node:http';
import { PT_STATUS_NAMES } from '../../../contract/ptStatus';
import { WS_ENUMERATION_NS, WS_TRANSFER_NS, WSMAN_ACTIONS, WSMAN_NS } from '../../../contract/namespaces';
import { FirmwareError, PowerLossError } from '../../firmware/errors';
import { servesSince } from '../../firmware/releaseRules';
import type { ServiceContext, ServiceHandler, ServiceRequest } from '../../http/serviceRouter';
import { mayAdminister } from '../authorization';
import { childNamed, type XmlElement } from '../xml/xmlTree';
import type { ClassContext, WsmanClass, WsmanInstance } from './classModel';
import { parseWsmanRequest, type WsmanRequest } from './envelope';
import { EnumerationContexts } from './enumeration';
import { WsmanFault } from './faults';
import { readFields } from './fields';
import { elementXml, endpointReference, endpointReferenceXml, faultEnvelope, responseEnvelope } from './response';

const RELEASE_ACTION = `${WS_ENUMERATION_NS}/Release`;
const TRANSFER_OPERATIONS = new Map<string, string>([
  [WSMAN_ACTIONS.GET, 'Get'],
  [WSMAN_ACTIONS.PUT, 'Put'],
  [WSMAN_ACTIONS.CREATE, 'Create'],
  [WSMAN_ACTIONS.DELETE, 'Delete'],
  [WSMAN_ACTIONS.ENUMERATE, 'Enumerate'],
  [WSMAN_ACTIONS.PULL, 'Pull'],
  [RELEASE_ACTION, 'Release'],
]);
const READ_OPERATIONS = new Set(['Get', 'Enumerate', 'Pull', 'Release']);
/** Pull without MaxElements hands out one item (WS-Enumeration default). */
const DEFAULT_MAX_ELEMENTS = 1;

interface Answer {
  action: string;
  body: string;
}

export function statusName(status: number): string {
  return PT_STATUS_NAMES.get(status) ?? `status ${status}`;
}

/** The operation name of an action on `cls` in release `version`: Get, Put, ..., or a method name. */
function operationOf(cls: WsmanClass, action: string, version: string): string {
  const transfer = TRANSFER_OPERATIONS.get(action);
  const optional: Record<string, boolean> = { Put: !!cls.put, Create: !!cls.create, Delete: cls.delete !== undefined };
  if (transfer !== undefined && optional[transfer] !== false) return transfer;
  const method = action.startsWith(`${cls.resourceUri}/`) ? action.slice(cls.resourceUri.length + 1) : undefined;
  if (method !== undefined && cls.methods && Object.hasOwn(cls.methods, method) && servesSince(version, cls.methods[method].since)) return method;
  throw new WsmanFault('ActionNotSupported', `${cls.name} does not support action ${action}`);
}

/** The instance the selectors name (or the singleton when there are none). */
function selectInstance(cls: WsmanClass, ctx: ClassContext, selectors: Map<string, string>): WsmanInstance {
  const instances = cls.instances(ctx);
  if (selectors.size === 0) {
    if (cls.singleton && instances.length === 1) return instances[0];
    throw new WsmanFault('InvalidSelectors', `${cls.name} needs selectors to name an instance`, 'InsufficientSelectors');
  }
  const keyNames = new Set(instances.flatMap((i) => Object.keys(i.keys)));
  for (const name of selectors.keys()) {
    if (instances.length > 0 && !keyNames.has(name)) throw new WsmanFault('InvalidSelectors', `${name} is not a key of ${cls.name}`, 'UnexpectedSelectors');
  }
  const matches = instances.filter((i) => [...selectors].every(([name, value]) => i.keys[name] === value));
  if (matches.length === 1) return matches[0];
  if (matches.length === 0) throw new WsmanFault('InvalidSelectors', `no ${cls.name} instance matches the selectors`, 'InvalidValue');
  throw new WsmanFault('InvalidSelectors', `the selectors match ${matches.length} ${cls.name} instances`, 'AmbiguousSelectors');
}

function onlyChild(body: XmlElement, ns: string, name: string): XmlElement {
  if (body.children.length !== 1 || body.children[0].ns !== ns || body.children[0].name !== name) {
    throw new WsmanFault('SchemaValidationError', `the Body must hold exactly one ${name} element in namespace "${ns}"`);
  }
  return body.children[0];
}

function emptyBody(body: XmlElement, operation: string): void {
  if (body.children.length > 0) throw new WsmanFault('SchemaValidationError', `a ${operation} request has an empty Body`);
}

function instanceXml(cls: WsmanClass, instance: WsmanInstance): string {
  return elementXml(cls.name, cls.resourceUri, instance.properties);
}

function singleChild(parent: XmlElement, ns: string, name: string): XmlElement | undefined {
  try {
    return childNamed(parent, ns, name);
  } catch {
    throw new WsmanFault('SchemaValidationError', `${name} appears more than once`);
  }
}

export class WsmanEndpoint {
  private readonly classes: Map<string, WsmanClass>;
  private readonly enumerations = new EnumerationContexts();

  constructor(classes: readonly WsmanClass[]) {
    this.classes = new Map(classes.map((c) => [c.resourceUri, c]));
  }

  readonly handler: ServiceHandler = async (req: ServiceRequest, res: http.ServerResponse, service: ServiceContext) => {
    if (req.method !== 'POST') {
      res.writeHead(405, { Allow: 'POST', 'Content-Length': 0 });
      res.end();
      return;
    }
    let request: WsmanRequest | undefined;
    let status = 200;
    let xml: string;
    try {
      if (!/^application\/soap\+xml\b/i.test(req.headers['content-type'] ?? '')) {
        throw new WsmanFault('SchemaValidationError', 'WS-Management requests are sent as application/soap+xml');
      }
      request = parseWsmanRequest(req.body.toString('utf8'));
      const answer = await this.dispatch(request, service);
      xml = responseEnvelope({ action: answer.action, relatesTo: request.messageId, resourceUri: request.resourceUri, body: answer.body });
    } catch (err) {
      if (err instanceof PowerLossError) throw err;
      // No detail for unexpected errors: they may quote what they were given.
      const fault = err instanceof WsmanFault ? err : new WsmanFault('InternalError', 'internal error');
      status = fault.httpStatus;
      xml = faultEnvelope(fault, request?.messageId);
    }
    res.writeHead(status, { 'Content-Type': 'application/soap+xml; charset=UTF-8', 'Content-Length': Buffer.byteLength(xml) });
    res.end(xml);
  };

  private async dispatch(request: WsmanRequest, service: ServiceContext): Promise<Answer> {
    const version = service.firmware.state.firmwareVersion;
    const cls = request.resourceUri === null ? undefined : this.classes.get(request.resourceUri);
    if (!cls || !servesSince(version, cls.since)) {
      throw new WsmanFault('DestinationUnreachable', `no resource ${request.resourceUri ?? '(no ResourceURI header)'}`, 'InvalidResourceURI');
    }
    const operation = operationOf(cls, request.action, version);
    const ctx: ClassContext = { fw: service.firmware, service, mayAdminister: mayAdminister(service) };
    const method = cls.methods?.[operation];
    const injected = ctx.fw.faults.takeFailure(`${cls.name}.${operation}`);
    if (injected !== undefined) {
      if (method) return this.methodAnswer(cls, operation, injected);
      throw new WsmanFault('InternalError', `${cls.name}.${operation} failed: ${statusName(injected)}`);
    }
    const readOnly = method ? method.readOnly === true : READ_OPERATIONS.has(operation);
    if (!readOnly && !ctx.mayAdminister) throw new WsmanFault('AccessDenied', `${service.username} may not change ${cls.name}`);
    try {
      return await this.run(cls, operation, request, ctx);
    } catch (err) {
      // A refusal from Put / Create / Delete (methods answer theirs as ReturnValue).
      if (err instanceof FirmwareError) throw new WsmanFault('InvalidRepresentation', `${err.message} (${statusName(err.status)})`, 'InvalidValues');
      throw err;
    }
  }

  private methodAnswer(cls: WsmanClass, method: string, returnValue: number, output = {}): Answer {
    return { action: `${cls.resourceUri}/${method}Response`, body: elementXml(`${method}_OUTPUT`, cls.resourceUri, { ...output, ReturnValue: returnValue }) };
  }

  private async run(cls: WsmanClass, operation: string, request: WsmanRequest, ctx: ClassContext): Promise<Answer> {
    const { body, selectors } = request;
    switch (operation) {
      case 'Get':
        emptyBody(body, 'Get');
        return { action: `${WSMAN_ACTIONS.GET}Response`, body: instanceXml(cls, selectInstance(cls, ctx, selectors)) };
      case 'Put': {
        const instance = selectInstance(cls, ctx, selectors);
        const representation = onlyChild(body, cls.resourceUri, cls.name);
        const put = cls.put as NonNullable<WsmanClass['put']>;
        const keys = await put.apply(ctx, readFields(representation, cls.resourceUri, put.fields, cls.name), instance) ?? instance.keys;
        return { action: `${WSMAN_ACTIONS.PUT}Response`, body: instanceXml(cls, selectInstance(cls, ctx, new Map(Object.entries(keys)))) };
      }
      case 'Create': {
        // WS-Transfer: the answer is a ResourceCreated endpoint reference to the new instance.
        const create = cls.create as NonNullable<WsmanClass['create']>;
        const values = readFields(onlyChild(body, cls.resourceUri, cls.name), cls.resourceUri, create.fields, cls.name);
        const created = endpointReference(cls.resourceUri, await create.create(ctx, values));
        return { action: `${WSMAN_ACTIONS.CREATE}Response`, body: `<t:ResourceCreated xmlns:t="${WS_TRANSFER_NS}">${endpointReferenceXml(created)}</t:ResourceCreated>` };
      }
      case 'Delete': {
        emptyBody(body, 'Delete');
        await cls.delete?.(ctx, selectInstance(cls, ctx, selectors));
        return { action: `${WSMAN_ACTIONS.DELETE}Response`, body: '' };
      }
      case 'Enumerate':
        return this.enumerate(cls, body, ctx);
      case 'Pull':
        return this.pull(cls, body, ctx);
      case 'Release':
        return this.release(cls, body, ctx);
      default:
        return this.invoke(cls, operation, request, ctx);
    }
  }

  private async invoke(cls: WsmanClass, name: string, request: WsmanRequest, ctx: ClassContext): Promise<Answer> {
    const method = cls.methods?.[name];
    if (!method) throw new WsmanFault('ActionNotSupported', `${cls.name} has no method ${name}`);
    const instance = method.onInstance || request.selectors.size > 0 ? selectInstance(cls, ctx, request.selectors) : undefined;
    const input = onlyChild(request.body, cls.resourceUri, `${name}_INPUT`);
    const values = readFields(input, cls.resourceUri, method.input, `${name}_INPUT`);
    try {
      const result = await method.run(ctx, values, instance);
      return this.methodAnswer(cls, name, result.returnValue, result.returnValue === 0 ? result.output : {});
    } catch (err) {
      if (err instanceof FirmwareError) return this.methodAnswer(cls, name, err.status);
      throw err;
    }
  }

  private enumerate(cls: WsmanClass, body: XmlElement, ctx: ClassContext): Answer {
    const enumerate = onlyChild(body, WS_ENUMERATION_NS, 'Enumerate');
    for (const option of enumerate.children) {
      const known = (option.ns === WS_ENUMERATION_NS && option.name === 'Expires') || (option.ns === WSMAN_NS && ['OptimizeEnumeration', 'MaxElements'].includes(option.name));
      if (option.name === 'Filter') throw new WsmanFault('CannotProcessFilter', 'the device does not filter enumerations');
      if (!known) throw new WsmanFault('UnsupportedFeature', `Enumerate option ${option.name} is not supported`, option.name === 'EnumerationMode' ? 'EnumerationMode' : undefined);
    }
    const items = cls.instances(ctx).map((instance) => instanceXml(cls, instance));
    const context = this.enumerations.open(ctx.fw, cls.resourceUri, items);
    let optimized = '';
    if (singleChild(enumerate, WSMAN_NS, 'OptimizeEnumeration')) {
      const max = this.maxElements(singleChild(enumerate, WSMAN_NS, 'MaxElements'));
      const first = this.enumerations.pull(ctx.fw, context, cls.resourceUri, max);
      optimized = `<w:Items>${first?.items.join('') ?? ''}</w:Items>${first?.endOfSequence ? '<w:EndOfSequence/>' : ''}`;
    }
    return { action: `${WSMAN_ACTIONS.ENUMERATE}Response`, body: `<n:EnumerateResponse><n:EnumerationContext>${context}</n:EnumerationContext>${optimized}</n:EnumerateResponse>` };
  }

  private maxElements(element: XmlElement | undefined): number {
    if (!element) return DEFAULT_MAX_ELEMENTS;
    const text = element.text.trim();
    if (!/^[0-9]{1,9}$/.test(text) || Number(text) === 0) throw new WsmanFault('SchemaValidationError', 'MaxElements must be a positive integer');
    return Number(text);
  }

  private contextOf(element: XmlElement): string {
    const context = singleChild(element, WS_ENUMERATION_NS, 'EnumerationContext')?.text.trim();
    if (!context) throw new WsmanFault('SchemaValidationError', `${element.name} needs an EnumerationContext`);
    return context;
  }

  private pull(cls: WsmanClass, body: XmlElement, ctx: ClassContext): Answer {
    const pull = onlyChild(body, WS_ENUMERATION_NS, 'Pull');
    const unknown = pull.children.find((c) => c.ns !== WS_ENUMERATION_NS || !['EnumerationContext', 'MaxElements', 'MaxCharacters', 'MaxTime'].includes(c.name));
    if (unknown) throw new WsmanFault('SchemaValidationError', `Pull does not take ${unknown.name}`);
    const context = this.contextOf(pull);
    const result = this.enumerations.pull(ctx.fw, context, cls.resourceUri, this.maxElements(singleChild(pull, WS_ENUMERATION_NS, 'MaxElements')));
    if (!result) throw new WsmanFault('InvalidEnumerationContext', 'the enumeration context is unknown, expired or finished');
    const next = result.endOfSequence ? '<n:EndOfSequence/>' : '';
    const contextXml = result.endOfSequence ? '' : `<n:EnumerationContext>${context}</n:EnumerationContext>`;
    return { action: `${WSMAN_ACTIONS.PULL}Response`, body: `<n:PullResponse>${contextXml}<n:Items>${result.items.join('')}</n:Items>${next}</n:PullResponse>` };
  }

  private release(cls: WsmanClass, body: XmlElement, ctx: ClassContext): Answer {
    const context = this.contextOf(onlyChild(body, WS_ENUMERATION_NS, 'Release'));
    if (!this.enumerations.release(ctx.fw, context, cls.resourceUri)) throw new WsmanFault('InvalidEnumerationContext', 'the enumeration context is unknown or finished');
    return { action: `${RELEASE_ACTION}Response`, body: '' };
  }
}
