// A codec endpoint for the Temporal Web UI (`--ui-codec-endpoint`) and the Temporal CLI
// (`--codec-endpoint`): they post the encrypted payloads of a history here and get them
// decoded, so operators read inputs, results, status queries and failure messages.
// Every request needs a credential (codecAuth.ts); off loopback also TLS, so the credential
// does not cross the network in clear. Payloads hold references and facts, never secrets,
// but they are still the site's data, and /encode forges payloads with the live key.
//
// What the clients send (measured, README "Operations"): UI 2.54.1 preflights
// `OPTIONS /decode?preserveStorageRefs=true` asking for content-type,x-namespace, then POSTs
// there; CLI 1.9.1 POSTs `<endpoint>/decode` verbatim, so `--codec-endpoint http://h/codec/`
// arrives as `/codec//decode`. Routing is therefore on the last path segment, query ignored.
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { isIP } from 'node:net';
import type { Payload } from '@temporalio/common';
import { z } from 'zod';
import { productMetrics, type CodecEndpointRejection } from '../metrics/productMetrics';
import type { KeyRing } from '../secrets/keyFile';
import type { CodecAuth } from './codecAuth';
import { CodecRequestError } from './codecRequestError';
import { AesGcmPayloadCodec } from './payloadCodec';

/** Request bodies above this are refused (413); a history page's payloads are far smaller. */
export const MAX_CODEC_BODY_BYTES = 4 * 1024 * 1024;

const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'base64');
const bodySchema = z.object({
  payloads: z.array(z.object({ metadata: z.record(z.string(), base64).optional(), data: base64.optional() })),
});
type JsonPayload = z.infer<typeof bodySchema>['payloads'][number];

/** The metric label of each refusal (amtprov_codec_endpoint_rejected_total). */
const REJECTION_BY_STATUS: Record<number, CodecEndpointRejection> = {
  400: 'bad-body', 401: 'unauthorized', 403: 'forbidden', 404: 'not-found', 405: 'method-not-allowed', 413: 'too-large', 415: 'unsupported-media-type',
};

export interface CodecServerOptions {
  host: string;
  port: number;
  keys: KeyRing;
  /**
   * The Web UI's origin (scheme://host:port); browsers on any other origin are refused. A
   * 127.0.0.1 origin is also accepted as localhost (and back): operators type either.
   */
  allowedOrigin: string;
  /** Checked for every POST before its body is read. */
  auth: CodecAuth;
  /** PEM certificate chain and key: HTTPS, required off loopback (and for the UI's passAccessToken). */
  tls?: { cert: string; key: string };
}

export interface CodecServer {
  url: string;
  close(): Promise<void>;
}

const CORS_METHODS = 'POST';
const CORS_HEADERS = 'content-type, x-namespace, authorization';

function fromJson(p: JsonPayload): Payload {
  return {
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
    data: Buffer.from(p.data ?? '', 'base64'),
  };
}

function toJson(p: Payload): JsonPayload {
  return {
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
    data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
  };
}

/** `decode` / `encode` / `login` from a request target: query ignored, any prefix, empty segments skipped. */
export function codecRoute(url: string | undefined): 'decode' | 'encode' | 'login' | undefined {
  const segments = (url ?? '').split(/[?#]/, 1)[0].split('/').filter(Boolean);
  const last = segments.at(-1);
  return last === 'decode' || last === 'encode' || last === 'login' ? last : undefined;
}

/** The origin and, for a loopback UI, the same UI under its other loopback name. */
function uiOrigins(origin: string): Set<string> {
  const url = new URL(origin);
  const alias = url.hostname === '127.0.0.1' ? 'localhost' : url.hostname === 'localhost' ? '127.0.0.1' : undefined;
  const origins = new Set([url.origin]);
  if (alias) origins.add(`${url.protocol}//${alias}${url.port ? `:${url.port}` : ''}`);
  return origins;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_CODEC_BODY_BYTES) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_CODEC_BODY_BYTES) {
        req.removeAllListeners('data');
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
  });
}

function tooLarge(): CodecRequestError {
  return new CodecRequestError(413, `body larger than ${MAX_CODEC_BODY_BYTES} bytes`, { connection: 'close' });
}

function parseBody(raw: Buffer): Payload[] {
  let json: unknown;
  try {
    json = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new CodecRequestError(400, 'body is not JSON; expected {"payloads": [{"metadata": {...}, "data": "<base64>"}]}');
  }
  const parsed = bodySchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CodecRequestError(400, `body ${issue.path.join('.') || '(top level)'}: ${issue.message}; expected {"payloads": [...]}`);
  }
  return parsed.data.payloads.map(fromJson);
}

export async function startCodecServer(options: CodecServerOptions): Promise<CodecServer> {
  if (!isLoopback(options.host) && !options.tls) {
    throw new Error(`codec server: refusing to listen on ${options.host} without TLS; its clients' credentials would cross the network in clear (use a 127.x address, or give a certificate)`);
  }
  // Operators see what was sent, encrypted or not; only the worker refuses plaintext input.
  const codec = new AesGcmPayloadCodec(options.keys, 'pass');
  const allowedOrigins = uiOrigins(options.allowedOrigin);

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const route = codecRoute(req.url);
    if (!route) throw new CodecRequestError(404, `unknown path ${(req.url ?? '').split('?')[0]}; POST <prefix>/decode or <prefix>/encode`);
    if (route === 'login') {
      if (req.method !== 'GET') throw new CodecRequestError(405, `method ${req.method} not allowed; GET /login?code=...`, { allow: 'GET' });
      options.auth.login(req, res, options.tls !== undefined);
      return;
    }
    const origin = req.headers.origin;
    if (origin !== undefined && !allowedOrigins.has(origin)) {
      throw new CodecRequestError(403, `origin ${origin} is not the Temporal Web UI's (${[...allowedOrigins].join(' or ')})`);
    }
    if (origin !== undefined) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Vary', 'Origin');
      // The UI sends the session cookie only with "include cross-origin credentials", and reads the answer only if allowed.
      if (options.auth.cookies) res.setHeader('Access-Control-Allow-Credentials', 'true');
    }
    if (req.method === 'OPTIONS') {
      res.writeHead(204, { 'Access-Control-Allow-Methods': CORS_METHODS, 'Access-Control-Allow-Headers': CORS_HEADERS, 'Access-Control-Max-Age': '600' }).end();
      return;
    }
    if (req.method !== 'POST') throw new CodecRequestError(405, `method ${req.method} not allowed; POST /${route}`, { allow: 'POST, OPTIONS' });
    await options.auth.authorize(req);
    const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (type !== 'application/json') throw new CodecRequestError(415, `content-type must be application/json, got ${type || 'none'}`);
    const payloads = parseBody(await readBody(req));
    let result: Payload[];
    try {
      result = route === 'decode' ? await codec.decode(payloads) : await codec.encode(payloads);
    } catch (err) {
      throw new CodecRequestError(400, `cannot ${route}: ${err instanceof Error ? err.message : String(err)}`);
    }
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ payloads: result.map(toJson) }));
  }

  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    handle(req, res).catch((err: unknown) => {
      const refusal = err instanceof CodecRequestError ? err : new CodecRequestError(500, 'internal error');
      productMetrics.codecEndpointRejected(REJECTION_BY_STATUS[refusal.status] ?? 'internal');
      if (res.headersSent) return;
      // A body we refused unread (too large, unauthorized) is not read on: the connection
      // closes once the answer is out, and says so, so a keep-alive client does not reuse it.
      const closing = !req.complete;
      res.writeHead(refusal.status, { 'Content-Type': 'text/plain; charset=utf-8', ...refusal.headers, ...(closing ? { connection: 'close' } : {}) })
        .end(`${refusal.message}\n`);
      if (closing) res.once('finish', () => req.destroy());
    });
  };
  const server = options.tls ? https.createServer({ cert: options.tls.cert, key: options.tls.key }, onRequest) : http.createServer(onRequest);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(
      err.code === 'EADDRINUSE' ? new Error(`codec server: ${options.host}:${options.port} is already in use`, { cause: err }) : err));
    server.listen({ host: options.host, port: options.port }, resolve);
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return { url: `${options.tls ? 'https' : 'http'}://${host}:${port}`, close: () => new Promise((resolve) => { server.close(() => resolve()); server.closeAllConnections(); }) };
}
