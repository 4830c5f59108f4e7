// The dev server's own Prometheus metrics (it prints their URL at start-up): where its time
// went in persistence (the SQLite file) and in its internal locks. Read once at the end of
// the Temporal phase; the server is fresh per run, so the totals belong to this run.
import { readFileSync } from 'node:fs';
import { round } from './procSampler';

export interface OperationTime {
  operation: string;
  calls: number;
  totalSeconds: number;
  meanMs: number;
}

export interface ServerMetrics {
  /** Persistence calls (SQLite) by operation, most total time first. */
  persistence: OperationTime[];
  persistenceTotalSeconds: number;
  /** Time spent waiting for history's per-workflow and shard locks, and semaphores. */
  lockWaitSeconds: number;
  semaphoreWaitSeconds: number;
  /** Semaphore waits by operation, most first. */
  semaphores: OperationTime[];
}

export function metricsUrl(serverLogFile: string): string | undefined {
  return readFileSync(serverLogFile, 'utf8').match(/Temporal Metrics:\s+(http\S+)/)?.[1];
}

/** Sums of a histogram's _sum and _count lines, grouped by one label. */
function histogramBy(text: string, metric: string, label: string): Map<string, { sum: number; count: number }> {
  const groups = new Map<string, { sum: number; count: number }>();
  const line = new RegExp(`^${metric}_(sum|count)\\{([^}]*)\\} (\\S+)$`, 'gm');
  for (const [, kind, labels, value] of text.matchAll(line)) {
    const key = labels?.match(new RegExp(`${label}="([^"]*)"`))?.[1] ?? '';
    const entry = groups.get(key) ?? { sum: 0, count: 0 };
    if (kind === 'sum') entry.sum += Number(value);
    else entry.count += Number(value);
    groups.set(key, entry);
  }
  return groups;
}

const total = (groups: Map<string, { sum: number }>): number => [...groups.values()].reduce((a, g) => a + g.sum, 0);

export async function readServerMetrics(serverLogFile: string): Promise<ServerMetrics | undefined> {
  const url = metricsUrl(serverLogFile);
  if (!url) return undefined;
  // The CLI prints "localhost"; the server listens on the loopback address it was given.
  const text = await (await fetch(url.replace('localhost', '127.0.0.1'))).text();
  const byOperation = (metric: string): OperationTime[] => [...histogramBy(text, metric, 'operation')]
    .map(([operation, g]) => ({ operation, calls: g.count, totalSeconds: round(g.sum, 2), meanMs: g.count ? round((g.sum / g.count) * 1000, 1) : 0 }))
    .sort((a, b) => b.totalSeconds - a.totalSeconds);
  const persistence = byOperation('persistence_latency');
  const semaphores = byOperation('semaphore_latency');
  return {
    persistence: persistence.slice(0, 8),
    persistenceTotalSeconds: round(persistence.reduce((a, p) => a + p.totalSeconds, 0), 2),
    lockWaitSeconds: round(total(histogramBy(text, 'lock_latency', 'operation')), 2),
    semaphoreWaitSeconds: round(semaphores.reduce((a, op) => a + op.totalSeconds, 0), 2),
    semaphores: semaphores.slice(0, 5),
  };
}
