// Symmetric keys for the payload codec and the site vault. A key ring is a list of
// "<id>:<base64 32 bytes>" entries (newline- or comma-separated); the first is the active
// key used to encrypt, the rest stay readable so old data decrypts after a rotation.
// Keys come from an env var, or a 0600 file (made on first use for the embedded default);
// bearer tokens (the codec endpoint's) the same way.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface KeyRing {
  activeId: string;
  keys: Map<string, Buffer>;
}

export function parseKeyRing(text: string, source: string): KeyRing {
  const entries = text.split(/[\n,]/).map((s) => s.trim()).filter((s) => s && !s.startsWith('#'));
  if (entries.length === 0) throw new Error(`${source}: no key found (expected "<id>:<base64 of 32 bytes>")`);
  const keys = new Map<string, Buffer>();
  entries.forEach((entry, index) => {
    const match = /^([A-Za-z0-9._-]{1,64}):([A-Za-z0-9+/]+={0,2})$/.exec(entry);
    if (!match) throw new Error(`${source}: entry ${index + 1} is not "<id>:<base64 key>"`);
    const [, id, b64] = match as unknown as [string, string, string];
    const key = Buffer.from(b64, 'base64');
    if (key.length !== 32) throw new Error(`${source}: key "${id}" is ${key.length} bytes; AES-256 needs 32`);
    if (keys.has(id)) throw new Error(`${source}: key id "${id}" appears twice`);
    keys.set(id, key);
  });
  return { activeId: [...keys.keys()][0], keys };
}

/**
 * A secret from `env[envName]` (the value itself), `env[envName + '_FILE']`, or defaultFile,
 * which is created (mode 0600) with `fresh()` when none exists. Returns the text and its source.
 */
function loadSecretText(envName: string, defaultFile: string, fresh: () => string, env: NodeJS.ProcessEnv): { text: string; source: string } {
  const inline = env[envName];
  if (inline) return { text: inline, source: `$${envName}` };
  const file = env[`${envName}_FILE`] ?? defaultFile;
  if (!existsSync(file)) {
    if (env[`${envName}_FILE`]) throw new Error(`$${envName}_FILE points at ${file}, which does not exist`);
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    writeFileSync(file, `${fresh()}\n`, { mode: 0o600, flag: 'wx' });
  }
  const mode = statSync(file).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    // A key readable by others is not a secret; tighten rather than refuse to start.
    chmodSync(file, 0o600);
  }
  return { text: readFileSync(file, 'utf8'), source: file };
}

/** A key ring from `env[envName]`, `env[envName + '_FILE']` or defaultFile (made with a fresh key). */
export function loadKeyRing(envName: string, defaultFile: string, env: NodeJS.ProcessEnv = process.env): KeyRing {
  const { text, source } = loadSecretText(envName, defaultFile, () => `k1:${randomBytes(32).toString('base64')}`, env);
  return parseKeyRing(text, source);
}

/** Shortest bearer token accepted: 128 bits of base64url. */
const MIN_TOKEN_CHARS = 22;

/**
 * Bearer tokens (newline- or comma-separated; several so one can replace another without a
 * gap) from `env[envName]`, `env[envName + '_FILE']` or defaultFile (made with a fresh one).
 */
export function loadTokens(envName: string, defaultFile: string, env: NodeJS.ProcessEnv = process.env): string[] {
  const { text, source } = loadSecretText(envName, defaultFile, () => randomBytes(32).toString('base64url'), env);
  const tokens = text.split(/[\n,]/).map((s) => s.trim()).filter((s) => s && !s.startsWith('#'));
  if (tokens.length === 0) throw new Error(`${source}: no token found`);
  tokens.forEach((token, index) => {
    if (!/^[A-Za-z0-9._~+/=-]+$/.test(token) || token.length < MIN_TOKEN_CHARS) {
      throw new Error(`${source}: token ${index + 1} must be at least ${MIN_TOKEN_CHARS} characters of A-Z a-z 0-9 . _ ~ + / = -`);
    }
  });
  return tokens;
}
