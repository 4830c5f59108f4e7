// The device side of HTTP Digest (RFC 7616, MD5, qop="auth"; docs/amt-protocol.md section 4):
// issues challenges, remembers its nonces (they expire: stale=true) and the highest `nc` seen
// per nonce (a repeated or lower `nc` is a replay), and verifies responses against the HA1
// the firmware stores. Nonces live in RAM: a power cycle forgets them, so the next request
// with an old nonce gets stale=true, as the credentials themselves are still right.
import crypto from 'node:crypto';
import { digestResponse, sameDigest } from './digestMath';

export type DigestOutcome =
  | { ok: true; username: string }
  | { ok: false; kind: 'missing' | 'malformed' | 'unknown-user' | 'wrong-credentials' | 'nc-replay' | 'stale-nonce'; username: string };

export interface DigestRequest {
  method: string;
  /** The request-target as received (req.url): the `uri` parameter must equal it. */
  url: string;
  authorization: string | undefined;
}

/** Parses `Digest k=v, k="quoted", ...`. Returns null when it is not a Digest header or does not parse. */
export function parseDigestAuthorization(header: string): Record<string, string> | null {
  const match = /^Digest\s+(.*)$/is.exec(header.trim());
  if (!match) return null;
  const params: Record<string, string> = {};
  const pattern = /\s*([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,"]+))\s*(?:,|$)/gy;
  const text = match[1] ?? '';
  let consumed = 0;
  for (let m = pattern.exec(text); m !== null; m = pattern.exec(text)) {
    const key = (m[1] ?? '').toLowerCase();
    if (key in params) return null;
    params[key] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : (m[3] ?? '');
    consumed = pattern.lastIndex;
  }
  return consumed === text.length ? params : null;
}

interface NonceRecord {
  issuedAt: number;
  lastNc: number;
}

export class DigestAuthority {
  private readonly nonces = new Map<string, NonceRecord>();

  /**
   * @param realm the device realm (`Digest:<32 hex>`)
   * @param nonceLifetimeMs how long a nonce is accepted before answers say stale=true
   * @param maxNonces nonces remembered at once (oldest forgotten first)
   */
  constructor(
    private readonly realm: () => string,
    private readonly nonceLifetimeMs: number,
    private readonly maxNonces = 64,
  ) {}

  /** The WWW-Authenticate value of a 401. */
  challenge(stale: boolean): string {
    const nonce = crypto.randomBytes(16).toString('base64');
    this.nonces.set(nonce, { issuedAt: Date.now(), lastNc: 0 });
    while (this.nonces.size > this.maxNonces) {
      const oldest = this.nonces.keys().next().value;
      if (oldest === undefined) break;
      this.nonces.delete(oldest);
    }
    return `Digest realm="${this.realm()}", nonce="${nonce}", stale="${stale}", qop="auth"`;
  }

  /** Forgets every nonce: the next authenticated request is answered stale=true (control API, tests). */
  expireNonces(): void {
    this.nonces.clear();
  }

  /**
   * Verifies a request. `ha1For(username)` gives the stored HA1 of an account, or undefined.
   * The response is checked before the nonce state, so stale and replay are only reported
   * to a client that proved it knows the password.
   */
  verify(request: DigestRequest, ha1For: (username: string) => string | undefined): DigestOutcome {
    if (request.authorization === undefined) return { ok: false, kind: 'missing', username: '' };
    const p = parseDigestAuthorization(request.authorization);
    const username = p?.username ?? '';
    if (
      !p || !p.nonce || !p.response || !p.cnonce || p.realm !== this.realm() || p.uri !== request.url ||
      p.qop !== 'auth' || !/^[0-9a-fA-F]{8}$/.test(p.nc ?? '') || (p.algorithm !== undefined && p.algorithm.toUpperCase() !== 'MD5')
    ) {
      return { ok: false, kind: 'malformed', username };
    }
    const ha1 = ha1For(username);
    if (ha1 === undefined) return { ok: false, kind: 'unknown-user', username };
    const expected = digestResponse({ ha1, method: request.method, uri: p.uri, nonce: p.nonce, nc: p.nc, cnonce: p.cnonce, qop: 'auth' });
    if (!sameDigest(expected, p.response)) return { ok: false, kind: 'wrong-credentials', username };
    const record = this.nonces.get(p.nonce);
    if (!record || Date.now() - record.issuedAt > this.nonceLifetimeMs) {
      this.nonces.delete(p.nonce);
      return { ok: false, kind: 'stale-nonce', username };
    }
    const nc = parseInt(p.nc, 16);
    if (nc <= record.lastNc) return { ok: false, kind: 'nc-replay', username };
    record.lastNc = nc;
    return { ok: true, username };
  }
}
