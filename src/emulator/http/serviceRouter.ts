// The seam between the device's HTTP layer (TLS, Digest, limits, faults: this folder) and the
// SOAP / WS-Man handlers (src/emulator/services/). The HTTP layer authenticates, reads the body
// under its size limit, then dispatches by path. One router serves the whole fleet, so a
// handler set (e.g. one `soap` Server per WSDL) is built once, not per device; the device a
// request is for comes with the request.
import type http from 'node:http';
import type { Firmware } from '../firmware/firmware';

/** A request whose body the HTTP layer already read (size-limited). `soap` uses `req.body` when present. */
export interface ServiceRequest extends http.IncomingMessage {
  body: Buffer;
}

export interface ServiceContext {
  firmware: Firmware;
  /** The Digest user this request authenticated as. */
  username: string;
  /** 'tls' = port 16993, 'plain' = port 16992. */
  transport: 'tls' | 'plain';
  /** Remote address:port, for logs. */
  peer: string;
}

export type ServiceHandler = (req: ServiceRequest, res: http.ServerResponse, ctx: ServiceContext) => void | Promise<void>;

/** What the services module exports (src/emulator/services): called once per fleet. */
export type RegisterServices = (router: ServiceRouter) => void | Promise<void>;

const contexts = new WeakMap<http.IncomingMessage, ServiceContext>();

/** The device context of a request, for code that only gets the request (e.g. `soap` service methods get `req`). */
export function serviceContextOf(req: http.IncomingMessage): ServiceContext {
  const ctx = contexts.get(req);
  if (!ctx) throw new Error('request did not come through the emulator HTTP layer');
  return ctx;
}

/** Whether a device's firmware has the service at all (e.g. EOI only before AMT 9); absent = every device. */
export type ServedBy = (firmware: Firmware) => boolean;

export class ServiceRouter {
  private readonly routes = new Map<string, { handler: ServiceHandler; servedBy?: ServedBy }>();

  /** Exact path (`/SecurityAdministrationService`, `/wsman`); query strings are ignored when matching. */
  route(path: string, handler: ServiceHandler, servedBy?: ServedBy): void {
    if (this.routes.has(path)) throw new Error(`path ${path} already has a handler`);
    this.routes.set(path, servedBy ? { handler, servedBy } : { handler });
  }

  /**
   * The handler for a request path on this device, or undefined (the HTTP layer answers 404):
   * a service the device's firmware does not have answers like a path nobody serves.
   */
  find(url: string | undefined, firmware: Firmware): ServiceHandler | undefined {
    const path = (url ?? '/').split('?')[0] ?? '/';
    const route = this.routes.get(path);
    return route && (!route.servedBy || route.servedBy(firmware)) ? route.handler : undefined;
  }

  /** Used by the HTTP layer: binds ctx to req (see serviceContextOf) and runs the handler. */
  static async dispatch(handler: ServiceHandler, req: ServiceRequest, res: http.ServerResponse, ctx: ServiceContext): Promise<void> {
    contexts.set(req, ctx);
    await handler(req, res, ctx);
  }
}
