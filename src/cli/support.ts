// What the amtprov commands share: output streams tests can capture, argument parsing with
// usage errors, the acting operator's name, opening the store, and for the long-running
// commands the --metrics flag and an orderly stop on SIGINT/SIGTERM.
import { constants, userInfo } from 'node:os';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { metricsListen, operatorName, parseListen, type HostPort } from '../config/environment';
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
  let name = operatorName();
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

/** The long-running roles' `--metrics` flag: no default of its own, so AMTPROV_METRICS_LISTEN and the role's port apply. */
export const METRICS_OPTION = { metrics: { type: 'string' } } as const;

/** `--metrics` when given (host:port or 0 = off), else AMTPROV_METRICS_LISTEN, else the role's loopback port. */
export function resolveMetricsListen(flag: string | undefined, defaultPort: number): HostPort | undefined {
  if (flag === undefined) return metricsListen(defaultPort);
  return flag === '0' ? undefined : parseListen(flag, '--metrics');
}

/** The flag's usage lines, descriptions starting at `column` like the command's other options. */
export function metricsUsage(defaultPort: number, column: number, note: string): string {
  const pad = (text: string): string => text.padEnd(column);
  return `${pad('  --metrics <host:port>')}GET /metrics (${note}, docs/metrics.md), /healthz, /readyz
${pad('')}(default 127.0.0.1:${defaultPort}; env AMTPROV_METRICS_LISTEN; 0 = off)`;
}

/**
 * Resolves with the signal's name on the first SIGINT or SIGTERM. A repeat either exits at
 * once (`exit`: a role whose drain the operator wants cut short) or is ignored with a note
 * (`ignore`: `npm start`, where a second Ctrl-C, or npm forwarding the signal it got too,
 * must not kill the process halfway through stopping the child processes it started).
 */
export function waitForStopSignal(repeat: 'exit' | 'ignore' = 'ignore'): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let received = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (!received) {
        received = true;
        resolve(signal);
      } else if (repeat === 'exit') {
        process.stderr.write(`${signal} again: exiting without finishing the drain\n`);
        process.exit(128 + constants.signals[signal]);
      } else {
        process.stderr.write(`${signal}: already stopping (SIGKILL would leave child processes behind)\n`);
      }
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
