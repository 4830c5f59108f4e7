// --latency: the fleet answers like real firmware (src/emulator/firmware/timing.ts,
// 'real-firmware'), N devices (default 5,000) power on at once so their runs are all in
// flight together, and each Temporal phase's Hello-to-Provisioned latency is set against the
// device's own time. That is measured, not assumed: the plain script (no Temporal) provisions
// a few devices of a separate real-firmware fleet at once, so nothing queues, and the median
// of their pipeline times is the device's own time (the firmware's delays plus the server's
// own work for one device). The emulator's counters give the firmware's part alone.
import type { TimingProfileName } from '../../src/emulator/firmware/timing';
import type { Fleet } from '../../src/emulator/fleet';
import { DEFAULT_MAX_CONCURRENT_ACTIVITIES } from '../../src/worker';
import { round } from './procSampler';
import { distribution, peakOverlap, type DeviceRecord, type Distribution, type PhaseSummary } from './runAnalysis';

export const LATENCY_DEVICES = 5_000;
/** Devices of the baseline fleet (the device's own time): few enough that none waits for another. */
export const LATENCY_BASELINE_DEVICES = 3;
export const LATENCY_TIMING: TimingProfileName = 'real-firmware';
/** The goal of the performance issue: p99 Hello-to-Provisioned at most this multiple of the device's own time. */
export const LATENCY_GOAL_RATIO = 1.2;

/** `amtprov worker` flags: one activity slot per run (each run has one activity at a time), at least the default. */
export function latencyWorkerArgs(devices: number): string[] {
  return ['--activity-slots', String(Math.min(10_000, Math.max(DEFAULT_MAX_CONCURRENT_ACTIVITIES, devices)))];
}

/** The most runs open at once: each device's first forwarded Hello to its run's close (visibility). */
export function peakRunsInFlight(devices: DeviceRecord[]): number {
  return peakOverlap(devices.filter((d) => d.startedAt > 0 && d.outcome !== 'Missing').map((d) => ({ from: d.startedAt, to: d.finishedAt })));
}

/** What the firmware itself made each device wait in the phase (its counters), before the fleet stops. */
export function firmwareDelays(fleet: Fleet): Distribution {
  return distribution(fleet.devices.map((d) => d.firmware.counters.timingDelayMs));
}

export interface LatencyFigures {
  profile: string;
  devices: number;
  provisioned: number;
  failed: number;
  /** Baseline (plain script, few devices at once): median pipeline time, seconds. */
  deviceOwnSeconds: number;
  latencySeconds: Distribution;
  /** Hello-to-Provisioned p50 and p99 / the device's own time. */
  ratioP50: number;
  ratioP99: number;
  meetsGoal: boolean;
  peakRunsInFlight: number;
  workerPeakRssMiB: number | undefined;
  /** Per device, what the timing profile made it wait (emulator counters), in the Temporal phase and the baseline. */
  firmwareDelaySeconds: { temporal?: Distribution; baseline?: Distribution };
}

/** What latencyFigures reads of a phase (report.ts's PhaseResult has it; named here so report and this module do not import each other). */
interface MeasuredPhase {
  profile?: string;
  summary: PhaseSummary;
  peakRssMiB: { worker?: number };
  peakRunsInFlight?: number;
  firmwareDelaySeconds?: Distribution;
}

export function latencyFigures(temporal: MeasuredPhase, baseline: MeasuredPhase): LatencyFigures {
  const own = baseline.summary.latencySeconds.p50;
  const s = temporal.summary;
  const ratio = (x: number): number => (own > 0 ? round(x / own, 2) : 0);
  const failed = s.devices - s.provisioned;
  return {
    profile: temporal.profile ?? 'dev',
    devices: s.devices,
    provisioned: s.provisioned,
    failed,
    deviceOwnSeconds: own,
    latencySeconds: s.latencySeconds,
    ratioP50: ratio(s.latencySeconds.p50),
    ratioP99: ratio(s.latencySeconds.p99),
    meetsGoal: failed === 0 && own > 0 && s.latencySeconds.p99 <= LATENCY_GOAL_RATIO * own && (temporal.peakRssMiB.worker ?? Infinity) < 1024,
    peakRunsInFlight: temporal.peakRunsInFlight ?? 0,
    workerPeakRssMiB: temporal.peakRssMiB.worker,
    firmwareDelaySeconds: {
      ...(temporal.firmwareDelaySeconds ? { temporal: temporal.firmwareDelaySeconds } : {}),
      ...(baseline.firmwareDelaySeconds ? { baseline: baseline.firmwareDelaySeconds } : {}),
    },
  };
}

export function printLatencySummary(figures: LatencyFigures[]): void {
  const lines = ['', `--latency (emulator timing '${LATENCY_TIMING}'; goal: p99 <= ${LATENCY_GOAL_RATIO}x the device's own time, worker RSS < 1 GiB, no failures)`];
  for (const f of figures) {
    lines.push(
      `  ${f.profile}: ${f.provisioned}/${f.devices} provisioned; device's own time ${f.deviceOwnSeconds} s (baseline median); ` +
        `Hello-to-Provisioned p50 ${f.latencySeconds.p50} s (${f.ratioP50}x), p99 ${f.latencySeconds.p99} s (${f.ratioP99}x); ` +
        `peak runs in flight ${f.peakRunsInFlight}; worker peak RSS ${f.workerPeakRssMiB ?? '?'} MiB; ` +
        `firmware delay per device p50 ${f.firmwareDelaySeconds.temporal?.p50 ?? '?'} s; goal ${f.meetsGoal ? 'MET' : 'not met'}`,
    );
  }
  console.log(lines.join('\n'));
}
