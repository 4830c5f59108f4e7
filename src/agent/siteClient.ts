// The agent's HTTPS client for the site server API (src/site/api): mutual TLS with the
// certificate from `amtprov agent enroll`, the server verified against the site CA, and
// the local address bound to the device's own (host OS and AMT share one NIC), so the site
// sees the device's address as the TCP peer. Errors are sorted into what a retry can fix
// (unreachable, 5xx) and what it cannot (credentials, refusals).
import https from 'node:https';
import type { z } from 'zod';
import {
  API_PATHS, apiErrorSchema, inBandAcceptedSchema, provisioningRootsResponseSchema,
  type InBandAccepted, type InBandRequest, type ProvisioningRoot,
} from '../site/api/schemas';

export interface SiteCredentials {
  certPem: string;
  keyPem: string;
  /** The site CA chain (site-ca.pem from enrollment). */
  caPem: string;
}

export interface SiteClientOptions {
  siteUrl: string;
  credentials: SiteCredentials;
  localAddress?: string;
  requestTimeoutMs?: number;
}

/** Nothing answered, or the site answered 5xx / 408 / 429: worth another try. */
export class SiteUnreachable extends Error {
  override name = 'SiteUnreachable';
}

/** Mutual TLS failed: the site refused our certificate (401/403) or we refused the site's. */
export class SiteRejectedCredentials extends Error {
  override name = 'SiteRejectedCredentials';
}

/** The site answered and refused the request itself. */
export class SiteRefused extends Error {
  override name = 'SiteRefused';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** --local-address is not an address of this host. */
export class LocalAddressUnavailable extends Error {
  override name = 'LocalAddressUnavailable';
}

const MAX_RESPONSE_BYTES = 64 * 1024;
const RETRYABLE_STATUS = new Set([408, 429]);
const SERVER_CERTIFICATE_ERROR = /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ALTNAME/;

interface RawResponse {
  status: number;
  body: unknown;
}

export class SiteClient {
  private readonly url: URL;

  constructor(private readonly options: SiteClientOptions) {
    this.url = new URL(options.siteUrl);
    if (this.url.protocol !== 'https:') throw new Error(`the site URL must be https://host:port, got "${options.siteUrl}"`);
  }

  async getProvisioningRoots(): Promise<ProvisioningRoot[]> {
    return parseBody(provisioningRootsResponseSchema, await this.request('GET', API_PATHS.provisioningRoots)).roots;
  }

  async requestInBandProvisioning(request: InBandRequest): Promise<InBandAccepted> {
    return parseBody(inBandAcceptedSchema, await this.request('POST', API_PATHS.inBandRequests, request));
  }

  private async request(method: string, path: string, body?: unknown): Promise<RawResponse> {
    const response = await this.send(method, path, body);
    if (response.status >= 200 && response.status < 300) return response;
    const parsed = apiErrorSchema.safeParse(response.body);
    const reason = parsed.success ? parsed.data.error : `HTTP ${response.status}`;
    if (response.status === 401 || response.status === 403) throw new SiteRejectedCredentials(`the site server rejected this agent's certificate: ${reason}`);
    if (response.status >= 500 || RETRYABLE_STATUS.has(response.status)) throw new SiteUnreachable(`the site server answered ${response.status}: ${reason}`);
    throw new SiteRefused(response.status, `the site server refused the request (${response.status}): ${reason}`);
  }

  private send(method: string, path: string, body?: unknown): Promise<RawResponse> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const { credentials } = this.options;
    const timeoutMs = this.options.requestTimeoutMs ?? 15_000;
    return new Promise((resolve, reject) => {
      const req = https.request({
        method,
        host: this.url.hostname.replace(/^\[(.*)\]$/, '$1'),
        port: this.url.port || 443,
        path,
        cert: credentials.certPem,
        key: credentials.keyPem,
        ca: credentials.caPem,
        agent: false,
        timeout: timeoutMs,
        ...(this.options.localAddress ? { localAddress: this.options.localAddress } : {}),
        headers: {
          Accept: 'application/json',
          ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': payload.length } : {}),
        },
      }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_RESPONSE_BYTES) {
            res.destroy();
            reject(new SiteUnreachable('the site server sent an oversized answer'));
            return;
          }
          chunks.push(chunk);
        });
        res.on('end', () => {
          let parsed: unknown;
          try {
            parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          } catch {
            parsed = undefined;
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
        res.on('error', (err) => reject(new SiteUnreachable(`the answer from the site server broke off: ${err.message}`)));
      });
      req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      req.on('error', (err: NodeJS.ErrnoException) => reject(classifyTransportError(err, this.options)));
      req.end(payload);
    });
  }
}

function classifyTransportError(err: NodeJS.ErrnoException, options: SiteClientOptions): Error {
  const code = err.code ?? '';
  if (code === 'EADDRNOTAVAIL' && options.localAddress) {
    return new LocalAddressUnavailable(`--local-address ${options.localAddress} is not an address of this host`);
  }
  if (SERVER_CERTIFICATE_ERROR.test(code)) {
    return new SiteRejectedCredentials(`the site server's certificate is not trusted by the site CA given (${code})`);
  }
  return new SiteUnreachable(`cannot reach the site server at ${options.siteUrl}: ${code || err.message}`);
}

function parseBody<S extends z.ZodType>(schema: S, response: RawResponse): z.output<S> {
  const result = schema.safeParse(response.body);
  if (!result.success) throw new SiteRefused(response.status, `the site server's answer (${response.status}) is not what this agent understands`);
  return result.data;
}
