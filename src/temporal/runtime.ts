// The Temporal SDK runtime of a long-running process: SDK and worker logs go through the
// project's logger as one line each (no stack dumps: failure messages are already in the
// history), and signal handling stays with the process, which stops components in order.
import { DefaultLogger, Runtime, type LogEntry } from '@temporalio/worker';
import type { LogFields, Logger } from '../log';

const SCALAR_KEYS = ['workflowId', 'workflowType', 'activityType', 'attempt', 'taskQueue', 'state'] as const;

function fieldsOf(entry: LogEntry): LogFields {
  const meta: Record<string, unknown> = entry.meta ?? {};
  const fields: LogFields = {};
  for (const key of SCALAR_KEYS) {
    const value: unknown = meta[key];
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') fields[key] = value;
  }
  const error: unknown = meta.error ?? meta.failure;
  if (error instanceof Error) fields.error = error.message;
  return fields;
}

let installed = false;

export function installRuntime(log: Logger, level: 'INFO' | 'WARN' = 'WARN'): void {
  if (installed) return;
  installed = true;
  Runtime.install({
    shutdownSignals: [],
    logger: new DefaultLogger(level, (entry) => {
      const at = entry.level === 'ERROR' ? 'error' : entry.level === 'WARN' ? 'warn' : entry.level === 'INFO' ? 'info' : 'debug';
      log[at](entry.message, fieldsOf(entry));
    }),
  });
}
