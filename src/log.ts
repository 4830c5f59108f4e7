// A small structured logger for the long-running processes (listener, site server, stack).
// Lines are "time LEVEL component message key=value ..."; callers pass facts, never secrets.
import { logLevel, type LogLevel } from './config/environment';

export type { LogLevel };
export type LogFields = Record<string, string | number | boolean | undefined>;

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  child(component: string): Logger;
}

export type LogSink = (line: string) => void;

function formatValue(value: string | number | boolean): string {
  const text = String(value);
  return /^[^\s"=]+$/.test(text) ? text : JSON.stringify(text);
}

export function createLogger(component: string, options: { level?: LogLevel; sink?: LogSink } = {}): Logger {
  const level = options.level ?? logLevel();
  const threshold = ORDER[level];
  const sink = options.sink ?? ((line: string) => process.stderr.write(`${line}\n`));
  const emit = (at: LogLevel, message: string, fields?: LogFields): void => {
    if (ORDER[at] < threshold) return;
    const pairs = Object.entries(fields ?? {})
      .filter((entry): entry is [string, string | number | boolean] => entry[1] !== undefined)
      .map(([key, value]) => `${key}=${formatValue(value)}`);
    sink([new Date().toISOString(), at.toUpperCase().padEnd(5), component, message, ...pairs].join(' '));
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (sub) => createLogger(`${component}/${sub}`, { level, sink }),
  };
}
