// The Temporal server's own Prometheus metrics (the dev server prints their URL at start-up;
// the cluster profile configures it): where its time went in persistence (SQLite or
// PostgreSQL) and in its internal locks, and how many shards it owned. Read once at the end
// of a Temporal phase; the server is fresh per phase, so the totals belong to it.
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
  /** Persistence calls in all (every operation). */
  persistenceRequests: number;
  /** History shards this server owned at the end (numshards_gauge). */
  shardsOwned: number | undefined;
}

/** The dev server's metrics URL from its log; it prints "localhost", it listens on the loopback address it was given. */
export function metricsUrlFromDevServerLog(serverLogFile: string): string | undefined {
  return readFileSync(serverLogFile, 'utf8').match(/Temporal Metrics:\s+(http\S+)/)?.[1]?.replace('localhost', '127.0.0.1');
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

/** Sum of a gauge's or counter's samples over all label sets; undefined when absent. */
function sampleSum(text: string, metric: string): number | undefined {
  const values = [...text.matchAll(new RegExp(`^${metric}(?:\\{[^}]*\\})? (\\S+)$`, 'gm'))].map((m) => Number(m[1]));
  return values.length > 0 ? values.reduce((a, b) => a + b, 0) : undefined;
}

export async function readServerMetrics(url: string | undefined): Promise<ServerMetrics | undefined> {
  if (!url) return undefined;
  const text = await (await fetch(url)).text();
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
    persistenceRequests: persistence.reduce((a, p) => a + p.calls, 0),
    shardsOwned: sampleSum(text, 'numshards_gauge'),
  };
}
