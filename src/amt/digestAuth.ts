// HTTP Digest (RFC 7616, MD5, qop=auth) as AMT speaks it (docs/amt-protocol.md section 4):
// challenge parsing, response computation and the Authorization header. Pure functions.
import { createHash, randomBytes } from 'node:crypto';
import { DigestProtocolError } from './errors';

export interface DigestChallenge {
  realm: string;
  nonce: string;
  qop: string[];
  stale: boolean;
  opaque?: string;
  /** As the device wrote it, when it did; only MD5 is accepted. */
  algorithm?: string;
}

export interface DigestCredential { username: string; password: string }

export interface DigestRequestParams {
  method: string;
  uri: string;
  /** Nonce count, 1-based; written as 8 hex digits. */
  nc: number;
  cnonce: string;
}

/**
 * Finds the Digest challenge among WWW-Authenticate header values (a value may hold
 * several challenges). Throws DigestProtocolError when there is none or it is unusable.
 */
export function parseDigestChallenge(headerValues: string | string[] | undefined): DigestChallenge {
  const values = headerValues === undefined ? [] : Array.isArray(headerValues) ? headerValues : [headerValues];
  for (const value of values) {
    const params = digestParams(value);
    if (params) return toChallenge(params);
  }
  throw new DigestProtocolError('the device answered 401 without a Digest challenge');
}

function toChallenge(params: Map<string, string>): DigestChallenge {
  const realm = params.get('realm');
  const nonce = params.get('nonce');
  if (realm === undefined || nonce === undefined || nonce === '') {
    throw new DigestProtocolError('the Digest challenge lacks realm or nonce');
  }
  const algorithm = params.get('algorithm');
  if (algorithm !== undefined && algorithm.toUpperCase() !== 'MD5') {
    throw new DigestProtocolError(`the Digest challenge asks for algorithm ${algorithm}; only MD5 is supported`);
  }
  const qop = (params.get('qop') ?? '').split(',').map((option) => option.trim().toLowerCase()).filter(Boolean);
  if (!qop.includes('auth')) {
    throw new DigestProtocolError(`the Digest challenge offers qop "${params.get('qop') ?? ''}"; qop=auth is required`);
  }
  return { realm, nonce, qop, stale: params.get('stale')?.toLowerCase() === 'true', opaque: params.get('opaque'), algorithm };
}

/** Parameters of the Digest challenge in one header value, or undefined when it has none. */
function digestParams(value: string): Map<string, string> | undefined {
  const start = /(?:^|[\s,])Digest\s+/i.exec(value);
  if (!start) return undefined;
  const params = new Map<string, string>();
  let index = start.index + start[0].length;
  const skip = (pattern: RegExp) => {
    while (index < value.length && pattern.test(value[index])) index++;
  };
  while (index < value.length) {
    skip(/[\s,]/);
    const name = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+/.exec(value.slice(index))?.[0];
    if (!name) break;
    index += name.length;
    skip(/\s/);
    if (value[index] !== '=') break; // the next scheme starts here
    index++;
    skip(/\s/);
    let parsed: string;
    if (value[index] === '"') {
      parsed = '';
      index++;
      while (index < value.length && value[index] !== '"') {
        if (value[index] === '\\') index++;
        parsed += value[index] ?? '';
        index++;
      }
      if (value[index] !== '"') throw new DigestProtocolError('unterminated quoted string in the Digest challenge');
      index++;
    } else {
      parsed = /^[^\s,]*/.exec(value.slice(index))?.[0] ?? '';
      index += parsed.length;
    }
    params.set(name.toLowerCase(), parsed);
  }
  return params;
}

const md5 = (text: string) => createHash('md5').update(text, 'utf8').digest('hex');

/** HA1 = MD5(username:realm:password), the value AMT stores (and SetAdminAclEntry sends as DigestPassword). */
export function digestHa1(username: string, realm: string, password: string): Buffer {
  return createHash('md5').update(`${username}:${realm}:${password}`, 'utf8').digest();
}

export function formatNonceCount(nc: number): string {
  return nc.toString(16).padStart(8, '0');
}

/** response = MD5(HA1:nonce:nc:cnonce:auth:MD5(method:uri)) (RFC 7616 section 3.4.1, qop=auth). */
export function digestResponse(challenge: DigestChallenge, credential: DigestCredential, request: DigestRequestParams): string {
  const ha1 = digestHa1(credential.username, challenge.realm, credential.password).toString('hex');
  const ha2 = md5(`${request.method}:${request.uri}`);
  return md5(`${ha1}:${challenge.nonce}:${formatNonceCount(request.nc)}:${request.cnonce}:auth:${ha2}`);
}

export function newCnonce(): string {
  return randomBytes(16).toString('hex');
}

const quote = (text: string) => `"${text.replace(/[\\"]/g, '\\$&')}"`;

export function authorizationHeader(challenge: DigestChallenge, credential: DigestCredential, request: DigestRequestParams): string {
  const fields = [
    `username=${quote(credential.username)}`,
    `realm=${quote(challenge.realm)}`,
    `nonce=${quote(challenge.nonce)}`,
    `uri=${quote(request.uri)}`,
    ...(challenge.algorithm !== undefined ? [`algorithm=${challenge.algorithm}`] : []),
    `response="${digestResponse(challenge, credential, request)}"`,
    'qop=auth',
    `nc=${formatNonceCount(request.nc)}`,
    `cnonce=${quote(request.cnonce)}`,
    ...(challenge.opaque !== undefined ? [`opaque=${quote(challenge.opaque)}`] : []),
  ];
  return `Digest ${fields.join(', ')}`;
}
