// The device's HTTP layer, shared by every device of a fleet and both ports: limits against
// slow or oversized clients, injected faults, HTTP Digest, the plain-port policy, then
// dispatch by path to the services (serviceRouter.ts). Sockets arrive already accepted (and,
// on 16993, already TLS-verified) through `serve`, tagged with their device.
import http from 'node:http';
import type net from 'node:net';
import { PowerLossError } from '../firmware/errors';
import type { Firmware } from '../firmware/firmware';
import type { DigestAuthority } from '../digest/digestAuthority';
import { firmwareDelay } from '../firmware/timing';
import { ServiceRouter, type ServiceRequest } from './serviceRouter';

export interface HttpDevice {
  firmware: Firmware;
  digest: DigestAuthority;
}

export interface HttpLimits {
  /** Largest request body accepted (413 above). */
  maxBodyBytes: number;
  /** Headers must arrive within this (slowloris). */
  headersTimeoutMs: number;
  /** Whole request must arrive within this. */
  requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. */
  idleTimeoutMs: number;
}

/** The emulator's choices (docs/amt-protocol.md is silent); 256 KiB fits any certificate chain or WS-Man body. */
export const DEFAULT_HTTP_LIMITS: HttpLimits = {
  maxBodyBytes: 256 * 1024,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  idleTimeoutMs: 60_000,
};

interface Connection {
  device: HttpDevice;
  transport: 'tls' | 'plain';
  /** The response being produced on this connection, if a request is in progress. */
  response: http.ServerResponse | null;
  /** Close once the response in progress is sent (see retire). */
  retired: boolean;
}

class BodyTooLarge extends Error {}

/**
 * Reads the body, keeping at most `limit` bytes. An oversized body is still drained (within the
 * request timeout) so the client reliably reads the 413 instead of a reset.
 */
function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    req.once('end', () => (size > limit ? reject(new BodyTooLarge()) : resolve(Buffer.concat(chunks))));
    req.once('error', reject);
  });
}

function sendText(res: http.ServerResponse, status: number, text: string, headers: http.OutgoingHttpHeaders = {}): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** A SOAP 1.2 fault for paths no service handles (the client's SOAP stack can read it). */
function sendUnknownPath(res: http.ServerResponse, path: string): void {
  const escaped = path.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
  const body =
    '<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><s:Fault>' +
    '<s:Code><s:Value>s:Sender</s:Value></s:Code>' +
    `<s:Reason><s:Text xml:lang="en">no service at ${escaped}</s:Text></s:Reason></s:Fault></s:Body></s:Envelope>`;
  res.writeHead(404, { 'Content-Type': 'application/soap+xml; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

export class DeviceHttpFrontend {
  private readonly server: http.Server;
  private readonly connections = new WeakMap<net.Socket, Connection>();

  constructor(
    private readonly router: ServiceRouter,
    private readonly limits: HttpLimits = DEFAULT_HTTP_LIMITS,
  ) {
    this.server = http.createServer({
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.idleTimeoutMs,
      maxHeaderSize: 16 * 1024,
      // Node checks the two timeouts above on this period (default 30 s, too coarse for them).
      connectionsCheckingInterval: Math.min(1000, limits.headersTimeoutMs),
    });
    this.server.timeout = limits.idleTimeoutMs;
    // This server never listens (devices hand it their sockets), but Node starts enforcing
    // headersTimeout/requestTimeout on 'listening'; without it a slow client is never cut off.
    this.server.emit('listening');
    this.server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      void this.handle(req, res);
    });
    this.server.on('clientError', (_err, socket: net.Socket) => socket.destroy());
  }

  /** Hands an accepted (and, for TLS, verified) connection of `device` to HTTP. */
  serve(socket: net.Socket, device: HttpDevice, transport: 'tls' | 'plain'): void {
    this.connections.set(socket, { device, transport, response: null, retired: false });
    this.server.emit('connection', socket);
  }

  /**
   * Ends a connection the device no longer serves (its TLS identity changed): an idle one at
   * once, a busy one after its response, which then says `Connection: close` so the client
   * does not send the next request on it. A request still arriving on an idle one is lost, as
   * on a device whose TLS stack restarts.
   */
  retire(socket: net.Socket): void {
    const connection = this.connections.get(socket);
    if (!connection?.response) {
      socket.destroy();
      return;
    }
    connection.retired = true;
    if (!connection.response.headersSent) connection.response.setHeader('Connection', 'close');
  }

  close(): void {
    this.server.close();
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const connection = this.connections.get(req.socket);
    if (!connection) {
      req.socket.destroy();
      return;
    }
    const { device, transport } = connection;
    const fw = device.firmware;
    const peer = `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`;
    connection.response = res;
    res.once('finish', () => (fw.counters.requestsServed += 1));
    res.once('close', () => {
      // A kept-alive session's next request may already be in: clear only this response.
      if (connection.response === res) connection.response = null;
      // `Connection: close` makes Node end the socket; this covers responses whose headers were out before.
      if (connection.retired) req.socket.end();
    });
    try {
      if (fw.faults.shouldDropConnection()) {
        fw.counters.droppedConnections += 1;
        req.socket.destroy();
        return;
      }
      // The latency fault adds to the timing profile's round trip; only the profile's part counts as the device's own time.
      fw.counters.timingDelayMs += fw.timing.requestMs;
      await firmwareDelay(fw.faults.latencyMs + fw.timing.requestMs);
      let body: Buffer;
      try {
        body = await readBody(req, this.limits.maxBodyBytes);
      } catch (err) {
        if (!(err instanceof BodyTooLarge)) throw err;
        sendText(res, 413, `request body over ${this.limits.maxBodyBytes} bytes`, { Connection: 'close' });
        return;
      }
      // AMT serves setup over TLS only; plain HTTP works once provisioned with TLS off (emulator's reading).
      if (transport === 'plain' && (fw.phase !== 'post' || fw.state.tls.enabled)) {
        sendText(res, 403, fw.phase === 'post' ? 'TLS is enabled: use port 16993' : 'not provisioned: setup is served over TLS on port 16993');
        return;
      }
      const outcome = device.digest.verify({ method: req.method ?? 'GET', url: req.url ?? '/', authorization: req.headers.authorization }, (username) =>
        this.ha1For(fw, username),
      );
      if (!outcome.ok) {
        if (outcome.kind !== 'missing') {
          fw.counters.recordDigestFailure(peer, outcome.kind === 'malformed' ? 'malformed' : outcome.kind, outcome.username);
        }
        sendText(res, 401, 'authentication required', { 'WWW-Authenticate': device.digest.challenge(outcome.kind === 'stale-nonce') });
        return;
      }
      if (transport === 'tls') fw.beginProvisioning();
      if (req.headers['content-encoding'] !== undefined && req.headers['content-encoding'] !== 'identity') {
        sendText(res, 415, 'content encodings are not supported');
        return;
      }
      // XML with a DOCTYPE could declare entities; AMT's parser refuses them and so do we, before any handler.
      if (/<!DOCTYPE|<!ENTITY/i.test(body.toString('latin1'))) {
        sendText(res, 400, 'XML with DOCTYPE or ENTITY declarations is refused');
        return;
      }
      const handler = this.router.find(req.url, fw);
      if (!handler) {
        sendUnknownPath(res, (req.url ?? '/').split('?')[0] ?? '/');
        return;
      }
      const serviceReq = req as ServiceRequest;
      serviceReq.body = body;
      await ServiceRouter.dispatch(handler, serviceReq, res, { firmware: fw, username: outcome.username, transport, peer });
    } catch (err) {
      if (err instanceof PowerLossError || res.headersSent) {
        req.socket.destroy();
        return;
      }
      // No detail to the client: handler errors may quote what they were given.
      sendText(res, 500, 'internal error');
    }
  }

  /** Accounts Digest accepts: the admin account, plus Digest users of the ACL once provisioned. */
  private ha1For(fw: Firmware, username: string): string | undefined {
    if (username === fw.state.admin.username) return fw.state.admin.ha1;
    if (fw.phase !== 'post') return undefined;
    return fw.state.userAcl.find((entry) => entry.digestUsername === username)?.digestHa1;
  }
}
