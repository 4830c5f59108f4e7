// Who may use the codec endpoint: it decrypts every payload of the site's histories and
// encrypts new ones with the live key, so nothing is answered without a credential. Three
// kinds, matching what its clients can send (README "How the UI authenticates to the codec"):
//   - a static bearer token: the Temporal CLI (`--codec-auth "Bearer <token>"`) and scripts;
//   - an OIDC access token, verified against the issuer's JWKS (signature, issuer, audience,
//     expiry): the Web UI with `codec.passAccessToken` behind the site's single sign-on;
//   - a browser session cookie (HttpOnly, SameSite=Strict), opened once through
//     `/login?code=<per-start code>`: the Web UI with "include cross-origin credentials", for
//     the embedded dev stack, whose UI has no sign-on and so no access token to pass.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type http from 'node:http';
import { CodecRequestError } from './codecRequestError';

export const SESSION_COOKIE = 'amtprov_codec_session';
/** A browser session lasts a working day; the embedded stack forgets all of them on restart. */
const SESSION_MS = 12 * 60 * 60 * 1000;
/** Sessions held at most (oldest dropped): bounded memory however often /login is hit. */
const MAX_SESSIONS = 256;

export interface CodecAuthOptions {
  /** Static bearer tokens (several during a token change). */
  tokens?: readonly string[];
  /** OIDC access tokens: the issuer's JWKS URL, and the issuer and audience the token must name. */
  oidc?: { jwksUrl: string; issuer: string; audience: string };
  /** Browser login: the per-start code `/login` accepts and the UI address it then sends the browser to. */
  login?: { code: string; uiUrl: string };
  now?: () => number;
}

export interface CodecAuth {
  /** Refuses (401) a request that carries no accepted credential. */
  authorize(req: http.IncomingMessage): Promise<void>;
  /** Answers `GET /login?code=...`: a session cookie and a redirect to the UI, or 401. */
  login(req: http.IncomingMessage, res: http.ServerResponse, secure: boolean): void;
  /** Whether browsers authenticate with cookies (CORS must then allow credentials). */
  readonly cookies: boolean;
}

const sha256 = (text: string): Buffer => createHash('sha256').update(text).digest();
/** Equal-length digests, so the comparison time says nothing about the token. */
const sameSecret = (a: string, b: string): boolean => timingSafeEqual(sha256(a), sha256(b));

function bearer(req: http.IncomingMessage): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  return match?.[1];
}

function cookie(req: http.IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
}

/** A random secret for URLs and cookies (256 bits, base64url). */
export function newCodecSecret(): string {
  return randomBytes(32).toString('base64url');
}

export function codecAuth(options: CodecAuthOptions): CodecAuth {
  const tokens = options.tokens ?? [];
  if (tokens.length === 0 && !options.oidc && !options.login) {
    throw new Error('codec endpoint: no credential configured (tokens, OIDC or browser login); it must not answer anyone');
  }
  const now = options.now ?? Date.now;
  // jose (JWS/JWKS, kept by a specialist) is an ES module: loaded once, only when OIDC is on.
  const oidc = options.oidc;
  const verifier = oidc ? import('jose').then((jose) => ({ jose, jwks: jose.createRemoteJWKSet(new URL(oidc.jwksUrl)) })) : undefined;
  /** Session id digest -> expiry (ms); insertion order = age. */
  const sessions = new Map<string, number>();

  async function verifyJwt(token: string): Promise<boolean> {
    if (!verifier || !oidc || token.split('.').length !== 3) return false;
    try {
      const { jose, jwks } = await verifier;
      await jose.jwtVerify(token, jwks, { issuer: oidc.issuer, audience: oidc.audience, currentDate: new Date(now()) });
      return true;
    } catch {
      return false;
    }
  }

  function validSession(id: string | undefined): boolean {
    if (!id) return false;
    const key = sha256(id).toString('hex');
    const expires = sessions.get(key);
    if (expires === undefined) return false;
    if (expires > now()) return true;
    sessions.delete(key);
    return false;
  }

  return {
    cookies: options.login !== undefined,

    async authorize(req) {
      const token = bearer(req);
      if (token !== undefined && (tokens.some((t) => sameSecret(t, token)) || await verifyJwt(token))) return;
      if (options.login && validSession(cookie(req, SESSION_COOKIE))) return;
      const wanted = [tokens.length > 0 || options.oidc ? 'Authorization: Bearer <token>' : undefined, options.login ? 'a session from /login' : undefined]
        .filter(Boolean).join(' or ');
      throw new CodecRequestError(401, token === undefined ? `credentials required: ${wanted}` : 'the bearer token is not accepted',
        { 'www-authenticate': 'Bearer realm="amtprov codec"' });
    },

    login(req, res, secure) {
      const code = new URL(req.url ?? '/', 'http://codec').searchParams.get('code') ?? '';
      if (!options.login || !sameSecret(code, options.login.code)) {
        throw new CodecRequestError(401, 'login code missing or not this start\'s; use the login URL npm start printed');
      }
      const id = newCodecSecret();
      sessions.set(sha256(id).toString('hex'), now() + SESSION_MS);
      while (sessions.size > MAX_SESSIONS) sessions.delete(sessions.keys().next().value!);
      const attributes = ['Path=/', 'HttpOnly', 'SameSite=Strict', `Max-Age=${SESSION_MS / 1000}`, ...(secure ? ['Secure'] : [])];
      res.writeHead(303, {
        location: options.login.uiUrl, 'set-cookie': `${SESSION_COOKIE}=${id}; ${attributes.join('; ')}`,
        // The code is in this URL: keep it out of caches and of the UI's Referer.
        'cache-control': 'no-store', 'referrer-policy': 'no-referrer',
      }).end();
    },
  };
}
