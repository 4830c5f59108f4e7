// WS-Management faults (DMTF DSP0226 1.x, SOAP 1.2 fault structure): a Code with Value
// s:Sender or s:Receiver and one Subcode naming the fault in its own namespace, a Reason, and
// an optional wsman:FaultDetail URI. Sender faults answer HTTP 400, Receiver faults 500 (SOAP
// 1.2 HTTP binding). Fault names, subcode namespaces and actions follow DSP0226's fault table.
import { WS_ADDRESSING_NS, WS_ENUMERATION_NS, WSMAN_NS } from '../../../contract/namespaces';

const WSA_FAULT_ACTION = `${WS_ADDRESSING_NS}/fault`;
const WSMAN_FAULT_ACTION = 'http://schemas.dmtf.org/wbem/wsman/1/wsman/fault';
const WSEN_FAULT_ACTION = `${WS_ENUMERATION_NS}/fault`;
export const FAULT_DETAIL_PREFIX = 'http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/';

interface FaultKind {
  code: 'Sender' | 'Receiver' | 'VersionMismatch' | 'MustUnderstand';
  /** Namespace of the subcode QName; null for the SOAP-level codes without a subcode. */
  subcodeNs: string | null;
  action: string;
}

const KINDS = {
  DestinationUnreachable: { code: 'Sender', subcodeNs: WS_ADDRESSING_NS, action: WSA_FAULT_ACTION },
  ActionNotSupported: { code: 'Sender', subcodeNs: WS_ADDRESSING_NS, action: WSA_FAULT_ACTION },
  MessageInformationHeaderRequired: { code: 'Sender', subcodeNs: WS_ADDRESSING_NS, action: WSA_FAULT_ACTION },
  InvalidMessageInformationHeader: { code: 'Sender', subcodeNs: WS_ADDRESSING_NS, action: WSA_FAULT_ACTION },
  InvalidSelectors: { code: 'Sender', subcodeNs: WSMAN_NS, action: WSMAN_FAULT_ACTION },
  SchemaValidationError: { code: 'Sender', subcodeNs: WSMAN_NS, action: WSMAN_FAULT_ACTION },
  InvalidRepresentation: { code: 'Sender', subcodeNs: WSMAN_NS, action: WSMAN_FAULT_ACTION },
  UnsupportedFeature: { code: 'Sender', subcodeNs: WSMAN_NS, action: WSMAN_FAULT_ACTION },
  CannotProcessFilter: { code: 'Sender', subcodeNs: WSMAN_NS, action: WSMAN_FAULT_ACTION },
  AccessDenied: { code: 'Sender', subcodeNs: WSMAN_NS, action: WSMAN_FAULT_ACTION },
  AlreadyExists: { code: 'Sender', subcodeNs: WSMAN_NS, action: WSMAN_FAULT_ACTION },
  InternalError: { code: 'Receiver', subcodeNs: WSMAN_NS, action: WSMAN_FAULT_ACTION },
  InvalidEnumerationContext: { code: 'Receiver', subcodeNs: WS_ENUMERATION_NS, action: WSEN_FAULT_ACTION },
  VersionMismatch: { code: 'VersionMismatch', subcodeNs: null, action: WSA_FAULT_ACTION },
  MustUnderstand: { code: 'MustUnderstand', subcodeNs: null, action: WSA_FAULT_ACTION },
} as const satisfies Record<string, FaultKind>;

export type WsmanFaultName = keyof typeof KINDS;

/** A request the endpoint refuses with a WS-Man fault. `detail` is a DSP0226 faultDetail name. */
export class WsmanFault extends Error {
  constructor(
    readonly fault: WsmanFaultName,
    readonly reason: string,
    readonly detail?: string,
  ) {
    super(`${fault}: ${reason}`);
    this.name = 'WsmanFault';
  }

  get kind(): FaultKind {
    return KINDS[this.fault];
  }

  get httpStatus(): number {
    return this.kind.code === 'Receiver' ? 500 : 400;
  }
}

/** A value a Put / Create representation cannot take: wsman:InvalidRepresentation, detail InvalidValues. */
export function badValue(reason: string): never {
  throw new WsmanFault('InvalidRepresentation', reason, 'InvalidValues');
}

/**
 * The SOAP 1.2 Fault element (without envelope). Prefixes s, a, w, n are declared by the
 * response envelope (response.ts).
 */
export function faultBody(fault: WsmanFault, escape: (text: string) => string): string {
  const kind = fault.kind;
  const prefix = kind.subcodeNs === WS_ADDRESSING_NS ? 'a' : kind.subcodeNs === WS_ENUMERATION_NS ? 'n' : 'w';
  const subcode = kind.subcodeNs === null ? '' : `<s:Subcode><s:Value>${prefix}:${fault.fault}</s:Value></s:Subcode>`;
  const detail = fault.detail === undefined ? '' : `<s:Detail><w:FaultDetail>${escape(FAULT_DETAIL_PREFIX + fault.detail)}</w:FaultDetail></s:Detail>`;
  return (
    `<s:Fault><s:Code><s:Value>s:${kind.code}</s:Value>${subcode}</s:Code>` +
    `<s:Reason><s:Text xml:lang="en-US">${escape(fault.reason)}</s:Text></s:Reason>${detail}</s:Fault>`
  );
}
