// HTTP Digest session to one device over its keep-alive mutual-TLS agent (docs/amt-protocol.md
// section 4), and credential rotation across the configured accounts (seed step 5).
// Usernames and passwords never appear in errors: callers name credentials by id.
import https from 'node:https';
import type { IncomingMessage } from 'node:http';
import { AMT } from '@device-management-toolkit/wsman-messages';
import { WSMAN_PATH } from '../contract/namespaces';
import { productMetrics } from '../metrics/productMetrics';
import { authorizationHeader, newCnonce, parseDigestChallenge, type DigestChallenge, type DigestCredential } from './digestAuth';
import type { DeviceTlsAgent } from './deviceTls';
import { classifyConnectionError } from './deviceTls';
import {
  AllCredentialsRejected, DeviceXmlRejected, DigestCredentialRejected, DigestProtocolError, UnexpectedHttpStatus,
} from './errors';

export interface DeviceHttpResponse {
  status: number;
  headers: IncomingMessage['headers'];
  body: string;
}

export interface DigestSessionOptions {
  /** Per request (headers and body); default 60 s. */
  requestTimeoutMs?: number;
  /** Larger answers are refused; default 1 MiB (AMT answers are a few KiB). */
  maxResponseBytes?: number;
}

/** Internal: a reset on a reused connection, retried once by DigestSession.send. */
class StaleKeepAliveSocket extends Error {}

/** stale=true answers tolerated in one call before the device is deemed broken. */
const MAX_STALE_RETRIES = 3;

export class DigestSession {
  private challenge: DigestChallenge | undefined;
  private nonceCount = 0;
  /** 401 stale=true answers seen: retried with the new nonce, never counted as failures. */
  staleRetries = 0;

  constructor(
    readonly agent: DeviceTlsAgent,
    private readonly credential: DigestCredential,
    private readonly options: DigestSessionOptions = {},
  ) {}

  /** The realm of the last challenge (`Digest:<32 hex>` on AMT). */
  get realm(): string | undefined {
    return this.challenge?.realm;
  }

  /**
   * POSTs the body, answering Digest challenges. The first request of a session goes
   * without credentials; later ones reuse the nonce with an incremented nc.
   * Throws DigestCredentialRejected when the device refuses the credential.
   */
  async post(path: string, body: string, contentType: string, extraHeaders: Record<string, string> = {}): Promise<DeviceHttpResponse> {
    let stale = 0;
    let challengeFromEarlierCall = this.challenge !== undefined;
    for (;;) {
      const used = this.challenge;
      const authorization = used ? this.authorize(used, path) : undefined;
      const response = await this.send(path, body, { ...extraHeaders, 'content-type': contentType, ...(authorization ? { authorization } : {}) });
      if (response.status !== 401) return response;
      this.challenge = parseDigestChallenge(response.headers['www-authenticate']);
      this.nonceCount = 0;
      if (!used) continue;
      if (this.challenge.stale) {
        this.staleRetries++;
        if (++stale > MAX_STALE_RETRIES) throw new DigestProtocolError(`device at ${this.agent.host} answered stale nonce ${stale} times in a row`);
        continue;
      }
      // A cached nonce the device forgot without saying stale: one retry with the new one.
      if (challengeFromEarlierCall && used.nonce !== this.challenge.nonce) {
        challengeFromEarlierCall = false;
        continue;
      }
      throw new DigestCredentialRejected(`device at ${this.agent.host} rejected the Digest credential for ${path}`);
    }
  }

  private authorize(challenge: DigestChallenge, uri: string): string {
    this.nonceCount++;
    return authorizationHeader(challenge, this.credential, { method: 'POST', uri, nc: this.nonceCount, cnonce: newCnonce() });
  }

  private async send(path: string, body: string, headers: Record<string, string>): Promise<DeviceHttpResponse> {
    try {
      return await this.sendOnce(path, body, headers);
    } catch (error) {
      // The device closed an idle kept-alive connection as we reused it: one fresh attempt.
      if (!(error instanceof StaleKeepAliveSocket)) throw error;
      return this.sendOnce(path, body, headers);
    }
  }

  private sendOnce(path: string, body: string, headers: Record<string, string>): Promise<DeviceHttpResponse> {
    const where = `POST https://${this.agent.host}:${this.agent.port}${path}`;
    const maxBytes = this.options.maxResponseBytes ?? 1024 * 1024;
    return new Promise((resolve, reject) => {
      const request = https.request({
        agent: this.agent,
        host: this.agent.host,
        port: this.agent.port,
        method: 'POST',
        path,
        headers: { ...headers, 'content-length': Buffer.byteLength(body) },
      });
      request.setTimeout(this.options.requestTimeoutMs ?? 60_000, () => {
        request.destroy(Object.assign(new Error(`no answer within ${this.options.requestTimeoutMs ?? 60_000} ms`), { code: 'ETIMEDOUT' }));
      });
      request.once('error', (error: NodeJS.ErrnoException) => {
        const reset = error.code === 'ECONNRESET' || error.code === 'EPIPE';
        reject(request.reusedSocket && reset ? new StaleKeepAliveSocket(where, { cause: error }) : classifyConnectionError(error, where));
      });
      request.once('response', (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxBytes) {
            request.destroy();
            reject(new DeviceXmlRejected(`${where}: answer exceeds ${maxBytes} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        response.once('error', (error) => reject(classifyConnectionError(error, where)));
        response.once('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') }));
      });
      request.end(body);
    });
  }
}

export interface CredentialCandidate { id: string; username: string; password: string }

export interface RotationResult {
  /** Id of the credential the device accepted. */
  id: string;
  /** How many candidates before it were rejected. */
  rejected: number;
  /** Authenticated session with that credential, ready for SOAP and WS-Man. */
  session: DigestSession;
}

/** Proves a session is authenticated; the default reads AMT_GeneralSettings over WS-Man. */
export type CredentialProbe = (session: DigestSession) => Promise<void>;

/**
 * WS-Man answers on every release this project provisions (3.2 on), EOI SOAP only before
 * AMT 9 (docs/amt-protocol.md section 9), so the probe is a WS-Man Get.
 */
export const probeGeneralSettings: CredentialProbe = async (session) => {
  const response = await session.post(WSMAN_PATH, new AMT.Messages().GeneralSettings.Get(), 'application/soap+xml;charset=UTF-8');
  // Anything but 401 means Digest accepted us; a SOAP fault (400/500) is still an authenticated answer.
  if (response.status !== 200 && response.status !== 400 && response.status !== 500) throw new UnexpectedHttpStatus(response.status, WSMAN_PATH);
};

/**
 * Tries each credential in order until the device accepts one (seed step 5). Rejections
 * move on to the next; network, TLS and pinning errors stop the rotation (they are not
 * the credential's fault). All rejected -> AllCredentialsRejected (non-retryable).
 */
export async function rotateDigestCredentials(
  device: DeviceTlsAgent,
  candidates: CredentialCandidate[],
  options: { probe?: CredentialProbe; session?: DigestSessionOptions } = {},
): Promise<RotationResult> {
  const probe = options.probe ?? probeGeneralSettings;
  for (const [index, candidate] of candidates.entries()) {
    const session = new DigestSession(device, { username: candidate.username, password: candidate.password }, options.session);
    try {
      await probe(session);
      productMetrics.digestAccepted(index);
      return { id: candidate.id, rejected: index, session };
    } catch (error) {
      if (!(error instanceof DigestCredentialRejected)) throw error;
    }
  }
  productMetrics.digestAllRejected();
  throw new AllCredentialsRejected(candidates.map((candidate) => candidate.id));
}
