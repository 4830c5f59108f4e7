// The Temporal SDK runtime of a long-running process: SDK and worker logs go through the
// project's logger as one line each (no stack dumps: failure messages are already in the
// history), and signal handling stays with the process, which stops components in order.
// The runtime exists once per process, so its Prometheus exporter (the SDK's worker metrics,
// temporal_*) is chosen here too; src/metrics/metricsServer.ts merges it into /metrics.
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

export interface RuntimeOptions {
  level?: 'INFO' | 'WARN';
  /** host:port for the SDK's own Prometheus exporter; none = no SDK metrics. */
  sdkMetricsAddress?: string;
}

let installed: { sdkMetricsUrl?: string } | undefined;

export function installRuntime(log: Logger, options: RuntimeOptions = {}): void {
  if (installed) return;
  const { sdkMetricsAddress } = options;
  Runtime.install({
    shutdownSignals: [],
    logger: new DefaultLogger(options.level ?? 'WARN', (entry) => {
      const at = entry.level === 'ERROR' ? 'error' : entry.level === 'WARN' ? 'warn' : entry.level === 'INFO' ? 'info' : 'debug';
      log[at](entry.message, fieldsOf(entry));
    }),
    ...(sdkMetricsAddress ? {
      // Seconds and _total suffixes, as Prometheus conventions and the product's own metrics have them.
      telemetryOptions: { metrics: { prometheus: { bindAddress: sdkMetricsAddress, useSecondsForDurations: true, countersTotalSuffix: true, unitSuffix: true } } },
    } : {}),
  });
  installed = sdkMetricsAddress ? { sdkMetricsUrl: `http://${sdkMetricsAddress}/metrics` } : {};
}

/** Where the installed runtime serves the SDK's metrics, if it does. */
export function sdkMetricsUrl(): string | undefined {
  return installed?.sdkMetricsUrl;
}
