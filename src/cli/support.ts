// What the amtprov commands share: output streams tests can capture, argument parsing with
// usage errors, the acting operator's name, opening the store, and for the long-running
// commands host:port flags and an orderly stop on SIGINT/SIGTERM.
import { userInfo } from 'node:os';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { openSiteStore, type SiteStore } from '../site/store';

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

export const DB_OPTION = { db: { type: 'string' } } as const;

const HELP_OPTION = { help: { type: 'boolean', short: 'h' } } as const;

/**
 * parseArgs for a command, with -h/--help added: the parsed arguments, or the exit code when
 * it already answered (usage printed for --help: 0; a usage error: 2).
 */
export function parseCli<T extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: T, io: CliIo, usage: string) {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { ...options, ...HELP_OPTION }, allowPositionals: true, strict: true });
  } catch (err) {
    io.err(`${(err as Error).message}\n\n${usage}`);
    return EXIT.usage;
  }
  if ((parsed.values as { help?: boolean }).help) {
    io.out(usage);
    return EXIT.ok;
  }
  return parsed;
}

/** Opens the store (`--db` or the default), runs `fn`, always closes it. */
export async function withStore<T>(location: string | undefined, fn: (store: SiteStore) => Promise<T>): Promise<T> {
  const store = await openSiteStore(location ? { location } : {});
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

export function parseHostPort(value: string, flag: string): { host: string; port: number } {
  const match = /^([^:]+):(\d{1,5})$/.exec(value);
  const port = match ? Number(match[2]) : NaN;
  if (!match || port < 0 || port > 65535) throw new Error(`${flag} must be host:port, got "${value}"`);
  return { host: match[1], port };
}

/** The long-running roles' `--metrics` flag (env AMTPROV_METRICS_LISTEN), by the role's default port. */
export function metricsOption(defaultPort: number) {
  return { metrics: { type: 'string', default: process.env.AMTPROV_METRICS_LISTEN ?? `127.0.0.1:${defaultPort}` } } as const;
}

/** The flag's usage lines, descriptions starting at `column` like the command's other options. */
export function metricsUsage(defaultPort: number, column: number, note: string): string {
  const pad = (text: string): string => text.padEnd(column);
  return `${pad('  --metrics <host:port>')}Prometheus GET /metrics, ${note} (docs/metrics.md)
${pad('')}(default 127.0.0.1:${defaultPort}; env AMTPROV_METRICS_LISTEN; 0 = off)`;
}

/** `--metrics` value: host:port, or "0" for no endpoint. */
export function parseMetricsListen(value: string): { host: string; port: number } | undefined {
  return value === '0' ? undefined : parseHostPort(value, '--metrics');
}

/**
 * Resolves with the signal's name on the first SIGINT or SIGTERM. Later ones are ignored
 * (with a note) so that a second Ctrl-C, or npm forwarding the signal it got too, cannot
 * kill the process halfway through stopping what it started.
 */
export function waitForStopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let received = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (received) {
        process.stderr.write(`${signal}: already stopping (SIGKILL would leave child processes behind)\n`);
        return;
      }
      received = true;
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
