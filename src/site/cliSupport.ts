// What the site's CLI commands (src/cli/import, certs, pki, settings) share: output
// streams that tests can capture, the acting operator's name, and opening the store.
import { userInfo } from 'node:os';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { openSiteStore, type SiteStore } from './store';

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

export const processIo: CliIo = {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
};

/** Exit codes: 0 done, 1 refused (bad input, failed check), 2 usage error. */
export const EXIT = { ok: 0, refused: 1, usage: 2 } as const;

/** Who the audit log names for a CLI action. */
export function operatorActor(): string {
  let name = process.env.AMTPROV_OPERATOR;
  if (!name) {
    try {
      name = userInfo().username;
    } catch {
      name = 'unknown';
    }
  }
  return `operator:${name}`;
}

export const DB_OPTION = { db: { type: 'string' }, help: { type: 'boolean', short: 'h' } } as const;

/** parseArgs that reports a usage error instead of throwing. */
export function parseCli<T extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: T, io: CliIo, usage: string) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    io.err(`${(err as Error).message}\n\n${usage}`);
    return undefined;
  }
}

/** Opens the store (`--db` or the default), runs `fn`, always closes it. */
export function withStore<T>(dbFile: string | undefined, fn: (store: SiteStore) => T): T {
  const store = openSiteStore(dbFile ? { file: dbFile } : {});
  try {
    return fn(store);
  } finally {
    store.close();
  }
}
