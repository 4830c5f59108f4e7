// What the benchmark reads back: Temporal's record of the runs (close times from the
// visibility list, activity timings and failures from each run's history) and the plain
// baseline's per-device records, summarised the same way so the two can be compared.
import type { Client } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { provisioningWorkflowId } from '../../src/workflows/definitions';
import { round } from './procSampler';

const EventType = temporal.api.enums.v1.EventType;

export interface Distribution {
  count: number;
  p50: number;
  p99: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentiles; values in ms, reported in seconds with 3 decimals. */
export function distribution(valuesMs: number[]): Distribution {
  const sorted = [...valuesMs].sort((a, b) => a - b);
  const rank = (p: number): number => sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
  const s = (ms: number): number => round(ms / 1000, 3);
  const mean = sorted.length ? sorted.reduce((a, b) => a + b, 0) / sorted.length : 0;
  return { count: sorted.length, p50: s(rank(50)), p99: s(rank(99)), max: s(sorted.at(-1) ?? 0), mean: s(mean) };
}

/** The most intervals open at once (an interval ending at t does not overlap one starting at t). */
export function peakOverlap(intervals: { from: number; to: number }[]): number {
  const edges = intervals.flatMap(({ from, to }) => [{ at: from, d: 1 }, { at: to, d: -1 }]);
  edges.sort((a, b) => a.at - b.at || a.d - b.d);
  let open = 0;
  let peak = 0;
  for (const edge of edges) peak = Math.max(peak, (open += edge.d));
  return peak;
}

/** One activity execution (one attempt), by activity name; times in epoch ms. */
export interface ActivityAttempt {
  activity: string;
  /** Waiting for a free slot: Temporal's schedule-to-start, or the plain script's semaphore. */
  waitMs: number;
  runMs: number;
  startedAt: number;
  closedAt: number;
  /** Failure type when the attempt failed (ApplicationFailure type, or ActivityTimeout). */
  failure?: string;
}

export interface DeviceRecord {
  uuid: string;
  /** Temporal: first Hello forwarded by the listener; plain: pipeline start. */
  startedAt: number;
  finishedAt: number;
  outcome: 'Provisioned' | 'Failed' | 'Missing';
  /** For a failed device: "<stage>: <type>". */
  failure?: string;
  attempts: ActivityAttempt[];
  /** Temporal only: Hellos the run absorbed as signals; workflow tasks and their queue waits. */
  signals?: number;
  workflowTaskWaitsMs?: number[];
  /** Temporal only: what the run's history holds (each event and task is server work). */
  history?: HistoryCounts;
}

/** Per run: events, workflow tasks, search attribute upserts, markers (a local activity's result is one). */
export interface HistoryCounts {
  events: number;
  workflowTasks: number;
  upserts: number;
  markers: number;
}

interface RunInfo {
  workflowId: string;
  runId: string;
  status: string;
  closeTime?: Date;
}

/** Every run of the provisioning workflow on this (benchmark-only) server, by workflow id; a second run of a device is an anomaly worth reporting. */
export async function listRuns(client: Client): Promise<Map<string, RunInfo[]>> {
  const runs = new Map<string, RunInfo[]>();
  for await (const info of client.workflow.list({ query: "WorkflowType = 'provisionDevice'" })) {
    const entry = { workflowId: info.workflowId, runId: info.runId, status: info.status.name, closeTime: info.closeTime };
    runs.set(info.workflowId, [...(runs.get(info.workflowId) ?? []), entry]);
  }
  return runs;
}

export async function countOpenRuns(client: Client): Promise<number> {
  return (await client.workflow.count("WorkflowType = 'provisionDevice' AND ExecutionStatus = 'Running'")).count;
}

function attemptsFromHistory(events: temporal.api.history.v1.IHistoryEvent[]): Pick<DeviceRecord, 'attempts' | 'signals' | 'workflowTaskWaitsMs' | 'history'> {
  const scheduled = new Map<string, { activity: string; at: number }>();
  const started = new Map<string, number>();
  const attempts: ActivityAttempt[] = [];
  const taskScheduled = new Map<string, number>();
  const workflowTaskWaitsMs: number[] = [];
  let signals = 0;
  const history: HistoryCounts = { events: events.length, workflowTasks: 0, upserts: 0, markers: 0 };
  for (const event of events) {
    const at = tsToMs(event.eventTime);
    const id = String(event.eventId);
    switch (event.eventType) {
      case EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
        scheduled.set(id, { activity: event.activityTaskScheduledEventAttributes?.activityType?.name ?? '?', at });
        break;
      case EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
        started.set(String(event.activityTaskStartedEventAttributes?.scheduledEventId), at);
        break;
      case EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
      case EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED:
      case EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT: {
        const ref = String(event.activityTaskCompletedEventAttributes?.scheduledEventId
          ?? event.activityTaskFailedEventAttributes?.scheduledEventId ?? event.activityTaskTimedOutEventAttributes?.scheduledEventId);
        const s = scheduled.get(ref);
        if (!s) break;
        const startedAt = started.get(ref) ?? s.at;
        const failure = event.activityTaskFailedEventAttributes
          ? (event.activityTaskFailedEventAttributes.failure?.applicationFailureInfo?.type ?? 'Error')
          : event.activityTaskTimedOutEventAttributes ? 'ActivityTimeout' : undefined;
        attempts.push({ activity: s.activity, waitMs: startedAt - s.at, runMs: at - startedAt, startedAt, closedAt: at, ...(failure ? { failure } : {}) });
        break;
      }
      case EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED:
        taskScheduled.set(id, at);
        history.workflowTasks += 1;
        break;
      case EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
        history.upserts += 1;
        break;
      case EventType.EVENT_TYPE_MARKER_RECORDED:
        history.markers += 1;
        break;
      case EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED: {
        const from = taskScheduled.get(String(event.workflowTaskStartedEventAttributes?.scheduledEventId));
        if (from !== undefined) workflowTaskWaitsMs.push(at - from);
        break;
      }
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
        signals += 1;
        break;
      default:
    }
  }
  return { attempts, signals, workflowTaskWaitsMs, history };
}

async function failureOf(client: Client, workflowId: string): Promise<string> {
  try {
    await client.workflow.getHandle(workflowId).result();
    return 'unknown: run did not fail';
  } catch (err) {
    // The workflow fails with ApplicationFailure(type, "<stage>: <message>").
    const cause = (err as { cause?: { type?: string; message?: string } }).cause;
    const stage = cause?.message?.split(':')[0] ?? '?';
    return `${stage}: ${cause?.type ?? (err as Error).name}`;
  }
}

/** One record per device from Temporal's side; `firstForward` holds the listener's first forwarded Hello per UUID. */
export async function temporalDeviceRecords(client: Client, uuids: string[], firstForward: Map<string, number>): Promise<{ devices: DeviceRecord[]; extraRuns: number }> {
  const runs = await listRuns(client);
  let extraRuns = 0;
  const devices: DeviceRecord[] = [];
  for (const uuid of uuids) {
    const list = runs.get(provisioningWorkflowId(uuid)) ?? [];
    extraRuns += Math.max(0, list.length - 1);
    // Visibility lists newest first: the oldest run is the one the first Hello started.
    const run = list.at(-1);
    const startedAt = firstForward.get(uuid) ?? 0;
    if (!run?.closeTime) {
      devices.push({ uuid, startedAt, finishedAt: 0, outcome: 'Missing', failure: run ? 'run still open' : 'no run', attempts: [] });
      continue;
    }
    const handle = client.workflow.getHandle(run.workflowId, run.runId);
    const history = await handle.fetchHistory();
    const outcome = run.status === 'COMPLETED' ? 'Provisioned' : 'Failed';
    devices.push({
      uuid, startedAt, finishedAt: run.closeTime.getTime(), outcome,
      ...(outcome === 'Failed' ? { failure: run.status === 'FAILED' ? await failureOf(client, run.workflowId) : `run ${run.status}` } : {}),
      ...attemptsFromHistory(history.events ?? []),
    });
  }
  return { devices, extraRuns };
}

export interface PhaseSummary {
  devices: number;
  provisioned: number;
  failed: Record<string, number>;
  /** Activity attempts that failed (and were retried or ended the run), by "<activity>: <type>". */
  failedAttempts: Record<string, number>;
  wallSeconds: number;
  devicesPerSecond: number;
  latencySeconds: Distribution;
  /** Per activity: time waiting for a slot and time running, over every attempt. */
  activities: Record<string, { wait: Distribution; run: Distribution }>;
  peakConcurrentActivities: number;
  /** Temporal only: mean per run of what its history holds. */
  historyPerRun?: HistoryCounts;
  firstStart: number;
  lastFinish: number;
}

const countBy = (keys: string[]): Record<string, number> =>
  keys.reduce<Record<string, number>>((acc, key) => ({ ...acc, [key]: (acc[key] ?? 0) + 1 }), {});

export function summarisePhase(devices: DeviceRecord[]): PhaseSummary {
  const done = devices.filter((d) => d.outcome !== 'Missing');
  // A phase where nothing started or finished has no window (and the run says so loudly).
  const starts = devices.map((d) => d.startedAt).filter((t) => t > 0);
  const firstStart = starts.length > 0 ? Math.min(...starts) : Date.now();
  const lastFinish = Math.max(firstStart, ...done.map((d) => d.finishedAt));
  const wallSeconds = round((lastFinish - firstStart) / 1000, 3);
  const attempts = devices.flatMap((d) => d.attempts);
  const activities: PhaseSummary['activities'] = {};
  for (const name of [...new Set(attempts.map((a) => a.activity))]) {
    const mine = attempts.filter((a) => a.activity === name);
    activities[name] = { wait: distribution(mine.map((a) => a.waitMs)), run: distribution(mine.map((a) => a.runMs)) };
  }
  const provisioned = devices.filter((d) => d.outcome === 'Provisioned');
  return {
    devices: devices.length,
    provisioned: provisioned.length,
    failed: countBy(devices.filter((d) => d.outcome !== 'Provisioned').map((d) => d.failure ?? d.outcome)),
    failedAttempts: countBy(attempts.filter((a) => a.failure).map((a) => `${a.activity}: ${a.failure}`)),
    wallSeconds,
    devicesPerSecond: wallSeconds > 0 ? round(provisioned.length / wallSeconds, 2) : 0,
    latencySeconds: distribution(done.filter((d) => d.startedAt > 0).map((d) => d.finishedAt - d.startedAt)),
    activities,
    peakConcurrentActivities: peakOverlap(attempts.map((a) => ({ from: a.startedAt, to: a.closedAt }))),
    ...historyMeans(devices),
    firstStart,
    lastFinish,
  };
}

function historyMeans(devices: DeviceRecord[]): Pick<PhaseSummary, 'historyPerRun'> {
  const counted = devices.flatMap((d) => (d.history ? [d.history] : []));
  if (counted.length === 0) return {};
  const mean = (key: keyof HistoryCounts): number => round(counted.reduce((n, h) => n + h[key], 0) / counted.length, 1);
  return { historyPerRun: { events: mean('events'), workflowTasks: mean('workflowTasks'), upserts: mean('upserts'), markers: mean('markers') } };
}
