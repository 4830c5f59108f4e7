// The phase 1 SOAP endpoints (docs/amt-protocol.md section 5): one `soap` server per project WSDL,
// mounted on the device's HTTP layer through the service router. `soap` itself dispatches on
// SOAPAction (an unknown one makes it throw) and accepts a DOCTYPE, so every request passes
// `checkEoiRequest` first: well-formed XML without declarations, a SOAP 1.1 envelope, one body
// element naming an operation of this service in its namespace, a matching SOAPAction.
import { readFileSync } from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import * as soap from 'soap';
import { EOI_OPERATIONS } from '../../../contract/eoiOperations';
import { EOI_NAMESPACES, EOI_PATHS, EOI_SERVICES, EOI_WSDL_FILES, SOAP11_ENVELOPE_NS, SOAP12_ENVELOPE_NS, type EoiService } from '../../../contract/namespaces';
import { AMT_HTTPS_PORT } from '../../../contract/ports';
import { PowerLossError } from '../../firmware/errors';
import { servesEoi } from '../../firmware/releaseRules';
import { serviceContextOf, type ServedBy, type ServiceHandler, type ServiceRequest, type ServiceRouter } from '../../http/serviceRouter';
import { attributeValue, escapeXml, parseXmlDocument, XmlRefusedError, type XmlElement } from '../xml/xmlTree';
import { certStore } from './certStore';
import { runEoiOperation, SchemaViolation, type EoiOperation } from './eoiOperation';
import { networkAdministration, networkTime } from './networkServices';
import { securityAdministration } from './securityAdministration';

const WSDL_DIR = path.resolve(__dirname, '../../../contract/wsdl');

const OPERATIONS: Record<EoiService, Record<string, EoiOperation>> = {
  SecurityAdministration: securityAdministration,
  NetworkTime: networkTime,
  NetworkAdministration: networkAdministration,
  CertStore: certStore,
};

type FaultCode = 'Client' | 'Server' | 'VersionMismatch' | 'MustUnderstand';

/** A SOAP 1.1 fault in the shape `soap`'s server serializes when a service method rejects with it. */
class SoapFault extends Error {
  readonly Fault: { faultcode: string; faultstring: string; statusCode: number };
  constructor(code: FaultCode, text: string) {
    super(text);
    this.Fault = { faultcode: `soap:${code}`, faultstring: text, statusCode: 500 };
  }
}

function sendFault(res: http.ServerResponse, code: FaultCode, text: string, status = 500): void {
  const body =
    `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="${SOAP11_ENVELOPE_NS}"><soap:Body><soap:Fault>` +
    `<faultcode>soap:${code}</faultcode><faultstring>${escapeXml(text)}</faultstring></soap:Fault></soap:Body></soap:Envelope>`;
  res.writeHead(status, { 'Content-Type': 'text/xml; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

/** Why a request cannot reach the operation, as a SOAP fault; null when it may pass to `soap`. */
export function checkEoiRequest(service: EoiService, body: string, soapAction: string | undefined): { code: FaultCode; text: string } | null {
  let envelope: XmlElement;
  try {
    envelope = parseXmlDocument(body);
  } catch (err) {
    if (err instanceof XmlRefusedError) return { code: 'Client', text: err.message };
    throw err;
  }
  if (envelope.name !== 'Envelope' || envelope.ns !== SOAP11_ENVELOPE_NS) {
    return envelope.ns === SOAP12_ENVELOPE_NS
      ? { code: 'VersionMismatch', text: 'this service speaks SOAP 1.1' }
      : { code: 'Client', text: 'the document is not a SOAP 1.1 envelope' };
  }
  const parts = envelope.children.filter((c) => c.ns === SOAP11_ENVELOPE_NS);
  const header = parts.find((c) => c.name === 'Header');
  const understood = header?.children.find((h) => attributeValue(h, 'mustUnderstand', SOAP11_ENVELOPE_NS) === '1');
  if (understood) return { code: 'MustUnderstand', text: `header ${understood.name} is not understood` };
  const bodies = parts.filter((c) => c.name === 'Body');
  if (bodies.length !== 1 || envelope.children.length !== parts.length) return { code: 'Client', text: 'the envelope needs exactly one Body (and at most one Header)' };
  const request = bodies[0].children;
  const namespace = EOI_NAMESPACES[service];
  const operations: readonly string[] = EOI_OPERATIONS[service];
  if (request.length !== 1) return { code: 'Client', text: 'the Body must hold exactly one request element' };
  if (request[0].ns !== namespace || !operations.includes(request[0].name)) {
    return { code: 'Client', text: `${request[0].name} in namespace "${request[0].ns}" is not an operation of ${service}` };
  }
  const action = soapAction?.replace(/^"(.*)"$/, '$1');
  if (action !== undefined && action !== '' && action !== `${namespace}#${request[0].name}`) {
    return { code: 'Client', text: `SOAPAction "${action.slice(0, 200)}" does not match the ${request[0].name} request` };
  }
  return null;
}

function serviceMethod(name: string, operation: EoiOperation): soap.ISoapServiceMethod {
  return async (args: unknown, _callback?: unknown, _headers?: unknown, req?: http.IncomingMessage) => {
    if (!req) throw new SoapFault('Server', 'no request');
    try {
      return await runEoiOperation(name, operation, args, serviceContextOf(req));
    } catch (err) {
      if (err instanceof SchemaViolation) throw new SoapFault('Client', err.message);
      // Power is gone: no answer at all. Otherwise no detail: an internal error may quote its input.
      if (err instanceof PowerLossError) req.socket.destroy();
      throw new SoapFault('Server', 'internal error');
    }
  };
}

type RequestListener = (req: http.IncomingMessage, res: http.ServerResponse) => void;

/** Builds the `soap` server for one WSDL and returns the request listener `soap` registered. */
async function loadSoapServer(service: EoiService): Promise<RequestListener> {
  const operations = OPERATIONS[service];
  const declared = [...EOI_OPERATIONS[service]].sort();
  if (JSON.stringify(Object.keys(operations).sort()) !== JSON.stringify(declared)) {
    throw new Error(`emulator ${service} operations differ from the contract (${declared.join(', ')})`);
  }
  let listener: RequestListener | undefined;
  // `soap` mounts on an Express-like app through route(path).all(listener): the seam to hand
  // requests that the device HTTP layer already authenticated and read.
  const app = {
    route: () => ({ all: (fn: RequestListener) => (listener = fn) }),
    use: () => undefined,
    address: () => ({ address: '127.0.0.1', port: AMT_HTTPS_PORT, family: 'IPv4' }),
  };
  const port = Object.fromEntries(Object.entries(operations).map(([name, op]) => [name, serviceMethod(name, op)]));
  await new Promise<void>((resolve, reject) => {
    const options = {
      path: EOI_PATHS[service],
      xml: readFileSync(path.join(WSDL_DIR, EOI_WSDL_FILES[service]), 'utf8'),
      services: { [`${service}Service`]: { [`${service}Port`]: port } },
      // contract README: xs:unsignedInt stays text unless both sides pass this (read by the WSDL parser).
      customDeserializer: { unsignedInt: (text: string) => Number(text) },
      suppressStack: true,
      enableChunkedEncoding: false,
      callback: (err: unknown) => (err ? reject(err instanceof Error ? err : new Error(`WSDL ${service} failed to load`)) : resolve()),
    };
    soap.listen(app, options as soap.IServerOptions);
  });
  if (!listener) throw new Error(`soap did not mount ${service}`);
  return listener;
}

async function eoiHandler(service: EoiService): Promise<ServiceHandler> {
  const listener = await loadSoapServer(service);
  return async (req: ServiceRequest, res: http.ServerResponse) => {
    if (req.method !== 'POST') {
      res.writeHead(405, { Allow: 'POST', 'Content-Length': 0 });
      res.end();
      return;
    }
    if (!/^text\/xml\b/i.test(req.headers['content-type'] ?? '')) {
      sendFault(res, 'Client', 'SOAP 1.1 requests must be sent as text/xml', 415);
      return;
    }
    const refusal = checkEoiRequest(service, req.body.toString('utf8'), req.headers.soapaction as string | undefined);
    if (refusal) {
      sendFault(res, refusal.code, refusal.text);
      return;
    }
    await new Promise<void>((resolve) => {
      res.once('close', resolve);
      listener(req, res);
    });
  };
}

/**
 * Whether a device serves EOI at all: releases before AMT 9 (releaseRules.ts servesEoi). On
 * later ones the EOI paths answer as paths nobody serves: HTTP 404 with a SOAP 1.2 Sender
 * fault, after Digest authentication like every path (the emulator's decision; AMT 9 "dropped
 * support for the old SOAP-protocol-based communication", amttools).
 */
const servedByEoiFirmware: ServedBy = (fw) => servesEoi(fw.state.firmwareVersion);

/** Mounts the four EOI services on their paths (`/<Service>Service`), for releases that have them. */
export async function registerEoiServices(router: ServiceRouter): Promise<void> {
  for (const service of EOI_SERVICES) router.route(EOI_PATHS[service], await eoiHandler(service), servedByEoiFirmware);
}
