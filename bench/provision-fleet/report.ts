// The benchmark's output: a summary table on stdout (failures first and loud) and the
// results file bench/provision-fleet/results/<date>-<N>-<family>-<profiles>.json
// (--latency: <date>-<N>-latency[-<profiles>].json, the profiles named unless only dev).
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { FirmwareFamily } from '../../src/contract/firmwareFamilies';
import type { ListenerStats } from '../../src/listener/helloListener';
import type { TemporalOverrides } from './childProcesses';
import type { ThreadProfile } from './cpuProfile';
import type { WindowCost } from './procSampler';
import type { LatencyFigures } from './latencyMode';
import type { Distribution, PhaseSummary } from './runAnalysis';
import type { WorkflowTaskTuning } from '../../src/worker';
import type { OperationTime, ServerMetrics } from './temporalMetrics';

export interface PhaseResult {
  /** Temporal phases: which Temporal, its history shards, and the worker's workflow-task tuning ({} = SDK defaults). */
  profile?: 'dev' | 'cluster';
  historyShards?: number;
  workerTuning?: WorkflowTaskTuning;
  /** Temporal phases: this phase's wall time / the plain baseline's. */
  overheadRatio?: number;
  summary: PhaseSummary;
  /** CPU and memory between the phase's first start and last finish. */
  costs: WindowCost;
  /** Devices that got more than one run (a Hello after a closed run); should be 0. */
  extraRuns: number;
  /** Kernel high-water mark of the measured process (worker or plain), whole lifetime. */
  peakRssMiB: Record<string, number>;
  listener?: ListenerStats;
  /** First forwarded Hello of the first device to that of the last device. */
  hellosForwardedSpreadSeconds?: number;
  signalsPerRun?: number;
  workflowTaskWaitSeconds?: Distribution;
  /** Event-loop delay of the benchmark process, which hosts the fleet and the listener. */
  benchEventLoopDelayP99Ms: number;
  logLines: Record<string, number>;
  /** Worker threads' CPU during the phase, by thread name, busiest first. */
  workerThreads?: { thread: string; cpuSeconds: number; averageCores: number }[];
  /** --cpu-prof: where the worker's CPU went, per thread. */
  workerCpuProfile?: ThreadProfile[];
  serverMetrics?: ServerMetrics;
  /** Temporal phases: the most runs open at once (first Hello to close). */
  peakRunsInFlight?: number;
  /** --latency: per device, what the emulator's timing profile made it wait (its counters). */
  firmwareDelaySeconds?: Distribution;
}

export interface BenchResults {
  date: string;
  machine: { cpus: number; cpuModel: string; memoryGiB: number; node: string; platform: string; loadAverageAtStart: number[]; loadAverageAtEnd: number[] };
  devices: number;
  firmwareVersion: string;
  firmwareFamily: FirmwareFamily;
  /** Activity slots the plain baseline had: those of the worker (DEFAULT_MAX_CONCURRENT_ACTIVITIES) unless --plain-concurrency says otherwise. */
  plainConcurrency: number;
  /** What the run names itself by (--label), e.g. the lever it measures. */
  label?: string;
  /** The run's changes to temporal-dev.yaml (--dynamic-config, --sqlite-pragma); empty for the reference runs. */
  temporalOverrides: TemporalOverrides;
  /** The Temporal settings the run had (temporal-dev.yaml with the overrides). */
  temporalSettings: { dynamicConfig: Record<string, string | number | boolean>; sqlitePragmas: Record<string, string | number> };
  /** One Temporal phase per profile (--temporal), in the order they ran. */
  temporal: PhaseResult[];
  /** With --latency, the baseline: the plain script on a few real-firmware devices (the device's own time). */
  plain: PhaseResult;
  /** --latency: each Temporal phase against the device's own time. */
  latency?: LatencyFigures[];
}

const pad = (text: string | number, width: number): string => String(text).padEnd(width);
const pair = (d: Distribution): string => `${d.p50} / ${d.p99}`;

function cpu(phase: PhaseResult, group: string): string {
  const g = phase.costs.groups[group];
  return g ? `${g.cpuSeconds} s (${g.averageCores} cores)` : '-';
}

/** A Temporal phase's own sampler groups are named after its profile. */
const own = (phase: PhaseResult, group: string): string => (phase.profile ? `${group}-${phase.profile}` : group);
const tuningText = (t: WorkflowTaskTuning): string => (Object.keys(t).length === 0 ? 'SDK defaults (40/10/0.2)' : `${t.slots ?? 40}/${t.pollers ?? 10}/${t.nonStickyRatio ?? 0.2}`);
const label = (phase: PhaseResult): string => (phase.profile === 'cluster' ? `cluster (${phase.historyShards} shards)` : 'dev server');

function failureLines(label: string, phase: PhaseResult): string[] {
  const lines = Object.entries(phase.summary.failed).map(([type, n]) => `  ${label}: ${n} device(s) not provisioned: ${type}`);
  if (phase.extraRuns > 0) lines.push(`  ${label}: ${phase.extraRuns} extra run(s) (a device provisioned twice)`);
  return lines;
}

/** Attempts that failed and were retried cost time even when every device ends provisioned. */
function retryLines(label: string, phase: PhaseResult): string[] {
  return Object.entries(phase.summary.failedAttempts).map(([type, n]) => `  ${label}: ${n} failed activity attempt(s): ${type}`);
}

export function printSummary(r: BenchResults): void {
  const { temporal: ts, plain: p } = r;
  const failures = [...ts.flatMap((t) => failureLines(`temporal ${label(t)}`, t)), ...failureLines('plain', p)];
  const retries = [...ts.flatMap((t) => retryLines(`temporal ${label(t)}`, t)), ...retryLines('plain', p)];
  const out: string[] = [];
  if (failures.length > 0) {
    out.push('', '!!!!!!!!!! THIS RUN HAD FAILURES: its figures are not a clean measurement !!!!!!!!!!', ...failures, ...retries, '');
  } else if (retries.length > 0) {
    out.push('', '!!! every device was provisioned, but some activity attempts failed and were retried (time included):', ...retries, '');
  }
  const w = 34;
  const row = (name: string, cells: (string | number)[]): string => `${pad(name, w)}${cells.map((c, i) => (i === cells.length - 1 ? String(c) : pad(c, 30))).join('')}`;
  const each = (f: (t: PhaseResult) => string | number, plain: string | number): (string | number)[] => [...ts.map(f), plain];
  out.push(
    `provision-fleet: ${r.devices} devices, ${r.date}, ${r.machine.cpus} x ${r.machine.cpuModel}, ${r.machine.memoryGiB} GiB, Node ${r.machine.node}`,
    ...(overridden(r.temporalOverrides)
      ? [`EXPERIMENT${r.label !== undefined ? ` (${r.label})` : ''}: Temporal settings changed from temporal-dev.yaml: ${JSON.stringify(r.temporalOverrides)}`] : []),
    row('', each((t) => `Temporal ${label(t)}`, `plain (no Temporal, ${r.plainConcurrency} slots)`)),
    row('workflow-task slots/pollers/ratio', each((t) => tuningText(t.workerTuning ?? {}), '-')),
    row('provisioned', each((t) => `${t.summary.provisioned}/${t.summary.devices}`, `${p.summary.provisioned}/${p.summary.devices}`)),
    row('wall time (s)', each((t) => t.summary.wallSeconds, p.summary.wallSeconds)),
    row('devices per second', each((t) => t.summary.devicesPerSecond, p.summary.devicesPerSecond)),
    row('latency p50 / p99 (s)', each((t) => pair(t.summary.latencySeconds), pair(p.summary.latencySeconds))),
    row('worker / plain process CPU', each((t) => cpu(t, own(t, 'worker')), cpu(p, 'plain'))),
    row('worker / plain peak RSS (MiB)', each((t) => t.peakRssMiB.worker ?? '-', p.peakRssMiB.plain ?? '-')),
    row('Temporal server CPU', each((t) => cpu(t, own(t, 'temporal-server')), '-')),
    row('PostgreSQL CPU', each((t) => cpu(t, 'postgres'), '-')),
    row('Samba DC CPU', each((t) => cpu(t, 'samba'), cpu(p, 'samba'))),
    row('bench process (fleet, listener)', each((t) => cpu(t, 'bench (fleet, listener)'), cpu(p, 'bench (fleet, listener)'))),
    row('machine busy cores', each((t) => `${t.costs.system.busyCores} of ${t.costs.system.cores}`, `${p.costs.system.busyCores} of ${p.costs.system.cores}`)),
    row('  of which other processes', each((t) => t.costs.system.othersBusyCores, p.costs.system.othersBusyCores)),
    row('peak concurrent activities', each((t) => t.summary.peakConcurrentActivities, p.summary.peakConcurrentActivities)),
    row('per run: events / wf tasks / upserts / markers', each((t) => {
      const h = t.summary.historyPerRun;
      return h ? `${h.events} / ${h.workflowTasks} / ${h.upserts} / ${h.markers}` : '-';
    }, '-')),
    row('overhead (Temporal / plain wall)', each((t) => t.overheadRatio ?? '-', '')),
    '',
    row('activity: wait / run p50 / p99 (s)', each((t) => label(t), 'plain')),
  );
  for (const name of Object.keys(ts[0]?.summary.activities ?? {})) {
    const b = p.summary.activities[name];
    out.push(row(`  ${name}`, each((t) => { const a = t.summary.activities[name]; return a ? `${pair(a.wait)} | ${pair(a.run)}` : '-'; }, b ? `${pair(b.wait)} | ${pair(b.run)}` : '-')));
  }
  out.push(row('  workflow task wait', each((t) => (t.workflowTaskWaitSeconds ? pair(t.workflowTaskWaitSeconds) : '-'), '-')));
  for (const t of ts) {
    for (const thread of (t.workerCpuProfile ?? []).slice(0, 2)) {
      out.push(`${label(t)}: CPU profile ${thread.file} (${thread.sampledSeconds} s sampled): ${thread.owners.slice(0, 8).map((o) => `${o.owner} ${o.seconds}`).join(', ')}`);
    }
    if (t.workerThreads) out.push(`${label(t)}: worker threads (CPU s): ${t.workerThreads.slice(0, 6).map((th) => `${th.thread} ${th.cpuSeconds}`).join(', ')}`);
    const m = t.serverMetrics;
    if (!m) continue;
    const ops = (list: OperationTime[]): string => list.slice(0, 3).map((op) => `${op.operation} ${op.calls} x ${op.meanMs} ms`).join(', ');
    out.push(
      `${label(t)}: persistence ${m.persistenceRequests} calls, ${m.persistenceTotalSeconds} s in all; ${ops(m.persistence)}`,
      `${label(t)}: waits: semaphores ${m.semaphoreWaitSeconds} s (${ops(m.semaphores)}), locks ${m.lockWaitSeconds} s; history shards owned ${m.shardsOwned ?? '?'}`,
    );
  }
  out.push(failures.length > 0 ? `FAILURES: ${failures.length} kind(s), see above` : `failures: none; retried attempts: ${retries.length === 0 ? 'none' : 'see above'}`);
  console.log(out.join('\n'));
}

function overridden(o: TemporalOverrides): boolean {
  return Object.keys(o.dynamicConfig ?? {}).length + Object.keys(o.sqlitePragmas ?? {}).length > 0;
}

export function writeResults(r: BenchResults): string {
  const dir = path.join(__dirname, 'results');
  mkdirSync(dir, { recursive: true });
  const suffix = r.label !== undefined ? `-${r.label}` : overridden(r.temporalOverrides) ? '-experiment' : '';
  const profiles = r.temporal.map((t) => t.profile).join('-');
  const kind = r.latency ? `latency${profiles === 'dev' ? '' : `-${profiles}`}` : `${r.firmwareFamily}-${profiles}`;
  const file = path.join(dir, `${r.date.slice(0, 10)}-${r.devices}-${kind}${suffix}.json`);
  writeFileSync(file, `${JSON.stringify(r, null, 2)}\n`);
  return file;
}
