// An HTTPS server that speaks AMT's Digest (RFC 7616, MD5, qop=auth) with its own, independent
// arithmetic, nonce and nc bookkeeping. Authorized requests go to `onAuthorized` (default: echo).
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { TestCert } from '../../../unit/amt/support/testPki';

export interface Attempt { username: string; accepted: boolean; nc: string; nonce: string }
export type AuthorizedRequest = IncomingMessage & { body: Buffer };
export type AuthorizedHandler = (request: AuthorizedRequest, response: ServerResponse) => void;

const md5 = (text: string) => createHash('md5').update(text).digest('hex');

export class DigestDevice {
  readonly realm = `Digest:${randomBytes(16).toString('hex').toUpperCase()}`;
  users = new Map<string, string>();
  attempts: Attempt[] = [];
  unauthenticatedRequests = 0;
  connections = 0;
  failures = 0;
  port = 0;
  onAuthorized: AuthorizedHandler = (request, response) => response.end(`echo:${request.body.toString()}`);
  private nonces = new Map<string, number>(); // nonce -> last nc
  private readonly server: https.Server;

  constructor(private readonly host: string, cert: TestCert) {
    this.server = https.createServer({ key: cert.keyPem, cert: cert.certPem, requestCert: true, rejectUnauthorized: false }, (request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => this.handle(Object.assign(request, { body: Buffer.concat(chunks) }), response));
    });
    this.server.on('secureConnection', () => { this.connections++; });
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, this.host, resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  reset(): void {
    this.attempts = [];
    this.unauthenticatedRequests = 0;
    this.failures = 0;
    this.connections = 0;
    this.server.closeAllConnections();
  }

  /** Forget every nonce: the next request with one of them gets 401 stale=true. */
  expireNonces(): void {
    this.nonces.clear();
  }

  private challenge(response: ServerResponse, stale: boolean): void {
    const nonce = randomBytes(12).toString('base64');
    this.nonces.set(nonce, 0);
    response.writeHead(401, { 'www-authenticate': `Digest realm="${this.realm}", nonce="${nonce}", stale=${stale ? 'true' : 'false'}, qop="auth"` });
    response.end();
  }

  private handle(request: AuthorizedRequest, response: ServerResponse): void {
    const authorization = request.headers.authorization;
    if (!authorization) {
      this.unauthenticatedRequests++;
      this.challenge(response, false);
      return;
    }
    const fields = Object.fromEntries([...authorization.matchAll(/(\w+)=(?:"([^"]*)"|([^,\s]+))/g)].map((m) => [m[1], m[2] ?? m[3]]));
    const lastNc = this.nonces.get(fields.nonce);
    if (lastNc === undefined) {
      this.challenge(response, true);
      return;
    }
    const nc = parseInt(fields.nc, 16);
    const password = this.users.get(fields.username);
    const ha2 = md5(`${request.method ?? ''}:${request.url ?? ''}`);
    const expected = password === undefined ? undefined
      : md5(`${md5(`${fields.username}:${this.realm}:${password}`)}:${fields.nonce}:${fields.nc}:${fields.cnonce}:auth:${ha2}`);
    const accepted = fields.realm === this.realm && fields.uri === request.url && fields.qop === 'auth' && nc > lastNc && expected === fields.response;
    this.attempts.push({ username: fields.username, accepted, nc: fields.nc, nonce: fields.nonce });
    if (!accepted) {
      this.failures++;
      this.challenge(response, false);
      return;
    }
    this.nonces.set(fields.nonce, nc);
    this.onAuthorized(request, response);
  }
}
