// What a WS-Man class served by the device looks like to the endpoint (wsmanEndpoint.ts):
// its instances for Get / Enumerate, and optionally Put, Create, Delete and methods (invoked by
// action `<ResourceURI>/<Method>`), and the first release serving the class or a method
// (`since`, checked by the endpoint: the one place a class's release history lives). Each
// class module under classes/ exports one or more of these.
import { AMT_RESOURCE_URI_PREFIX, CIM_RESOURCE_URI_PREFIX, IPS_RESOURCE_URI_PREFIX } from '../../../contract/namespaces';
import type { Firmware } from '../../firmware/firmware';
import type { ServiceContext } from '../../http/serviceRouter';
import type { FieldSpecs, FieldValuesOf } from './fields';
import type { Properties } from './response';

export interface ClassContext {
  fw: Firmware;
  service: ServiceContext;
  /** The caller may change things (see ../authorization.ts). */
  mayAdminister: boolean;
}

export interface WsmanInstance {
  /** Key properties (selector name -> value) identifying the instance. */
  keys: Record<string, string>;
  properties: Properties;
}

export interface MethodResult {
  /** PT_STATUS for AMT methods, CIM ReturnValue for CIM methods (RequestStateChange). */
  returnValue: number;
  output?: Properties;
}

export interface WsmanMethod<S extends FieldSpecs = FieldSpecs> {
  input: S;
  /** Invoked on one instance picked by selectors (e.g. SetPowerScheme); otherwise on the class / singleton. */
  onInstance?: boolean;
  /** May be called by users without administration rights. */
  readOnly?: boolean;
  /** First release with this method (e.g. [6, 2]); older ones answer wsa:ActionNotSupported. Absent: every release. */
  since?: readonly number[];
  run(ctx: ClassContext, input: FieldValuesOf<S>, instance: WsmanInstance | undefined): Promise<MethodResult> | MethodResult;
}

export interface WsmanPut<S extends FieldSpecs = FieldSpecs> {
  /** Every property a client may send back (read-only ones too: clients Put what they got). */
  fields: S;
  /** Returns the instance's new keys when the Put moved them (an association now pointing elsewhere). */
  apply(ctx: ClassContext, values: FieldValuesOf<S>, instance: WsmanInstance): Promise<void | Record<string, string>>;
}

/** WS-Transfer Create: the representation's fields, and the work, which returns the new instance's keys. */
export interface WsmanCreate<S extends FieldSpecs = FieldSpecs> {
  fields: S;
  create(ctx: ClassContext, values: FieldValuesOf<S>): Promise<Record<string, string>>;
}

export interface WsmanClass {
  name: string;
  resourceUri: string;
  /** First release with this class (e.g. [6]); older ones answer wsa:DestinationUnreachable (InvalidResourceURI). Absent: every release. */
  since?: readonly number[];
  /** Exactly one instance, addressed without selectors. */
  singleton?: boolean;
  instances(ctx: ClassContext): WsmanInstance[];
  put?: WsmanPut;
  create?: WsmanCreate;
  delete?(ctx: ClassContext, instance: WsmanInstance): Promise<void>;
  methods?: Record<string, WsmanMethod>;
}

/** Typed constructors: infer the field types of a method / put from its spec. */
export function wsmanMethod<S extends FieldSpecs>(method: WsmanMethod<S>): WsmanMethod {
  return method;
}
export function wsmanPut<S extends FieldSpecs>(put: WsmanPut<S>): WsmanPut {
  return put;
}
export function wsmanCreate<S extends FieldSpecs>(create: WsmanCreate<S>): WsmanCreate {
  return create;
}

export const amtUri = (className: string): string => AMT_RESOURCE_URI_PREFIX + className;
export const cimUri = (className: string): string => CIM_RESOURCE_URI_PREFIX + className;
export const ipsUri = (className: string): string => IPS_RESOURCE_URI_PREFIX + className;

/** The hosting system every AMT service names (AMT's own values). */
export const AMT_SYSTEM = { SystemCreationClassName: 'CIM_ComputerSystem', SystemName: 'Intel(r) AMT' } as const;

/** A CIM_Service singleton: keys CreationClassName, Name, SystemCreationClassName, SystemName. */
export function serviceInstance(className: string, name: string, properties: Properties = {}): WsmanInstance {
  const keys = { CreationClassName: className, Name: name, ...AMT_SYSTEM };
  return { keys, properties: { CreationClassName: className, ElementName: name, Name: name, ...AMT_SYSTEM, ...properties } };
}

/** A CIM_SettingData instance: key InstanceID. */
export function settingInstance(instanceId: string, properties: Properties): WsmanInstance {
  return { keys: { InstanceID: instanceId }, properties: { ...properties, InstanceID: instanceId } };
}
