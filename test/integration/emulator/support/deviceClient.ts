// A small, independent HTTP(S) + Digest client for black-box tests of emulated devices: one
// new connection per request, so each request is also one full TLS handshake.
import crypto from 'node:crypto';
import http from 'node:http';
import https from 'node:https';

export interface ClientTls {
  /** Client key and chain (leaf first); omit both to present no certificate. */
  keyPem?: string;
  chainPems?: string[];
}

export interface RawRequest {
  host: string;
  port: number;
  /** Plain HTTP when absent. */
  tls?: ClientTls;
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** SHA-256 fingerprint of the certificate the device presented (TLS only). */
  serverCertSha256?: string;
}

export function rawRequest(request: RawRequest): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const body = request.body ?? '';
    const common = {
      host: request.host,
      port: request.port,
      method: request.method ?? 'POST',
      path: request.path,
      agent: false as const,
      headers: { 'Content-Type': 'application/soap+xml', 'Content-Length': Buffer.byteLength(body), ...request.headers },
    };
    const onResponse = (res: http.IncomingMessage): void => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const peer = 'getPeerCertificate' in res.socket ? (res.socket as import('node:tls').TLSSocket).getPeerCertificate() : undefined;
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          ...(peer?.raw ? { serverCertSha256: crypto.createHash('sha256').update(peer.raw).digest('hex') } : {}),
        });
      });
      res.on('error', reject);
    };
    const req = request.tls
      ? https.request(
          {
            ...common,
            rejectUnauthorized: false, // the device's certificate is self-signed; tests pin it when they care
            ...(request.tls.keyPem ? { key: request.tls.keyPem, cert: (request.tls.chainPems ?? []).join('\n') } : {}),
          },
          onResponse,
        )
      : http.request(common, onResponse);
    req.on('error', reject);
    req.end(body);
  });
}

export interface Challenge {
  realm: string;
  nonce: string;
  qop: string;
  stale: boolean;
}

export function parseChallenge(header: string | undefined): Challenge {
  if (!header?.startsWith('Digest ')) throw new Error(`not a Digest challenge: ${header}`);
  const params: Record<string, string> = {};
  for (const m of header.slice(7).matchAll(/([a-z]+)="?([^",]*)"?/gi)) params[m[1].toLowerCase()] = m[2]!;
  return { realm: params.realm ?? '', nonce: params.nonce ?? '', qop: params.qop ?? '', stale: params.stale === 'true' };
}

const md5 = (s: string): string => crypto.createHash('md5').update(s).digest('hex');

export function authorization(input: { username: string; password: string; challenge: Challenge; method: string; uri: string; nc: number; cnonce?: string }): string {
  const nc = input.nc.toString(16).padStart(8, '0');
  const cnonce = input.cnonce ?? crypto.randomBytes(8).toString('hex');
  const ha1 = md5(`${input.username}:${input.challenge.realm}:${input.password}`);
  const ha2 = md5(`${input.method}:${input.uri}`);
  const response = md5(`${ha1}:${input.challenge.nonce}:${nc}:${cnonce}:auth:${ha2}`);
  return (
    `Digest username="${input.username}", realm="${input.challenge.realm}", nonce="${input.challenge.nonce}", uri="${input.uri}", ` +
    `qop=auth, nc=${nc}, cnonce="${cnonce}", response="${response}", algorithm=MD5`
  );
}

/** 401 -> credentials, as a Digest client does. Returns the challenge used and the final response. */
export async function digestRequest(request: RawRequest, username: string, password: string): Promise<{ challenge: Challenge; response: RawResponse }> {
  const first = await rawRequest(request);
  if (first.status !== 401) throw new Error(`expected a 401 challenge, got ${first.status}`);
  const challenge = parseChallenge(first.headers['www-authenticate']);
  const header = authorization({ username, password, challenge, method: request.method ?? 'POST', uri: request.path, nc: 1 });
  const response = await rawRequest({ ...request, headers: { ...request.headers, Authorization: header } });
  return { challenge, response };
}
