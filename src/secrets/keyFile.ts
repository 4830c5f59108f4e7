// Symmetric keys for the payload codec and the site vault. A key ring is a list of
// "<id>:<base64 32 bytes>" entries (newline- or comma-separated); the first is the active
// key used to encrypt, the rest stay readable so old data decrypts after a rotation.
// Keys come from an env var, or a 0600 file (made on first use for the embedded default);
// which one, the config module decides.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { keyRingVariables, type KeyRingVariables } from '../config/environment';

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
 * Reads the ring `source` names (config/environment.ts): the variable's own value, or its
 * file; creates the default file with a fresh key (mode 0600) when none exists.
 */
export function readKeyRing(source: KeyRingVariables): KeyRing {
  if (source.inline) return parseKeyRing(source.inline, `$${source.variable}`);
  const { file } = source;
  if (!existsSync(file)) {
    if (source.fileGiven) throw new Error(`$${source.variable}_FILE points at ${file}, which does not exist`);
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    writeFileSync(file, `k1:${randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  }
  const mode = statSync(file).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    // A key readable by others is not a secret; tighten rather than refuse to start.
    chmodSync(file, 0o600);
  }
  return parseKeyRing(readFileSync(file, 'utf8'), file);
}

/** `readKeyRing` by variable name and default file (the site store's call). */
export function loadKeyRing(envName: KeyRingVariables['variable'], defaultFile: string, env: NodeJS.ProcessEnv = process.env): KeyRing {
  return readKeyRing(keyRingVariables(envName, defaultFile, env));
}
