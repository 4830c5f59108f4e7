// One EOI SOAP operation as the firmware runs it (docs/amt-protocol.md section 5): consult the
// fault plan first, check the arguments against the WSDL's types, run, and turn every refusal
// into a non-zero StatusCode. The response always carries every field the WSDL declares:
// on refusal the non-status fields hold zero / empty values (the emulator's choice; the
// WSDL makes them required).
import { PT_STATUS } from '../../../contract/ptStatus';
import { FirmwareError } from '../../firmware/errors';
import type { Firmware } from '../../firmware/firmware';
import type { ServiceContext } from '../../http/serviceRouter';
import { mayAdminister } from '../authorization';

export type ArgType = 'string' | 'uint' | 'boolean' | 'base64';
type ArgValue<T extends ArgType> = T extends 'uint' ? number : T extends 'boolean' ? boolean : string;
export type Args<S extends Record<string, ArgType>> = { [K in keyof S]: ArgValue<S[K]> };
export type ResponseFields = Record<string, string | number | boolean>;

export interface EoiOperation<S extends Record<string, ArgType> = Record<string, ArgType>> {
  /** Request fields and their WSDL types (all required, as the WSDLs declare them). */
  args: S;
  /** Response fields besides StatusCode, with the values sent when the operation refuses. */
  emptyResponse: ResponseFields;
  /** Get* operations may be called by any authenticated user; the rest need administration rights. */
  readOnly?: boolean;
  run(args: Args<S>, fw: Firmware, ctx: ServiceContext): Promise<ResponseFields> | ResponseFields;
}

/** Builds an operation with its argument types inferred (keeps the tables below type-checked). */
export function eoiOperation<S extends Record<string, ArgType>>(operation: EoiOperation<S>): EoiOperation {
  return operation;
}

/** A malformed request: answered as a SOAP Client fault, not a status (the body broke the WSDL). */
export class SchemaViolation extends Error {}

const UINT_MAX = 0xffff_ffff;

function checkArg(name: string, type: ArgType, value: unknown): unknown {
  // soap hands an empty element as {} or undefined; for strings that is the empty string.
  const isEmpty = value === undefined || (typeof value === 'object' && value !== null && Object.keys(value).length === 0);
  switch (type) {
    case 'string':
    case 'base64':
      if (typeof value === 'string') return value;
      if (isEmpty && value !== undefined) return '';
      break;
    case 'uint':
      if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= UINT_MAX) return value;
      break;
    case 'boolean':
      if (typeof value === 'boolean') return value;
      break;
  }
  throw new SchemaViolation(value === undefined ? `missing element ${name}` : `element ${name} is not a valid xs:${type === 'uint' ? 'unsignedInt' : type}`);
}

export function checkArgs(spec: Record<string, ArgType>, raw: unknown): Record<string, unknown> {
  const given = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const unexpected = Object.keys(given).filter((k) => !(k in spec) && k !== 'attributes');
  if (unexpected.length > 0) throw new SchemaViolation(`unexpected element ${unexpected[0]}`);
  return Object.fromEntries(Object.entries(spec).map(([name, type]) => [name, checkArg(name, type, given[name])]));
}

/**
 * Runs `operation` for one request: fault plan, rights, arguments, work. Returns the response
 * fields (StatusCode first). A PowerLossError propagates (the device is already off); a
 * SchemaViolation propagates for the caller to answer as a SOAP fault.
 */
export async function runEoiOperation(name: string, operation: EoiOperation, rawArgs: unknown, ctx: ServiceContext): Promise<ResponseFields> {
  const fw = ctx.firmware;
  const refused = (status: number): ResponseFields => ({ StatusCode: status, ...operation.emptyResponse });
  const injected = fw.faults.takeFailure(name);
  if (injected !== undefined) return refused(injected);
  const args = checkArgs(operation.args, rawArgs);
  if (!operation.readOnly && !mayAdminister(ctx)) return refused(PT_STATUS.NOT_PERMITTED);
  try {
    return { StatusCode: PT_STATUS.SUCCESS, ...(await operation.run(args as never, fw, ctx)) };
  } catch (err) {
    if (err instanceof FirmwareError) return refused(err.status);
    throw err;
  }
}
