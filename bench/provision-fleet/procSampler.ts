// Samples CPU time and resident memory of named process groups (a pid and, optionally, its
// descendants) and of the whole machine from /proc, every 250 ms, so a window of the run can
// be costed afterwards: CPU seconds used between two instants, peak RSS.
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

export interface GroupSpec {
  pid: number;
  /** Include every process forked below pid (Samba forks its LDAP/KDC servers). */
  tree: boolean;
}

export interface Sample {
  at: number;
  /** Per group: user+sys CPU seconds so far (live processes only) and summed RSS in KiB. */
  groups: Record<string, { cpuSeconds: number; rssKiB: number }>;
  /** Whole machine, from /proc/stat: busy and total CPU seconds since boot (all cores). */
  system: { busySeconds: number; totalSeconds: number };
}

export interface WindowCost {
  seconds: number;
  groups: Record<string, { cpuSeconds: number; averageCores: number; peakRssMiB: number }>;
  /** busyCores: the whole machine; othersBusyCores: what processes outside the groups used (other users' jobs). */
  system: { busyCores: number; cores: number; othersBusyCores: number };
}

const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined; // the process exited between listing and reading
  }
}

/** Fields of /proc/<pid>/stat after the command name (which may contain spaces and parentheses). */
function statFields(pid: number): string[] | undefined {
  const text = readText(`/proc/${pid}/stat`);
  return text?.slice(text.lastIndexOf(')') + 2).split(' ');
}

function cpuSecondsOf(pid: number): number {
  const fields = statFields(pid);
  // utime and stime are fields 14 and 15 of stat(5); index 0 here is field 3 (state).
  return fields ? (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND : 0;
}

function statusKiB(pid: number, key: 'VmRSS' | 'VmHWM'): number {
  const match = readText(`/proc/${pid}/status`)?.match(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm'));
  return match ? Number(match[1]) : 0;
}

/** CPU seconds so far of each thread of pid, summed by thread name (Node's main thread, libuv pool, Rust/tokio threads...). */
export function threadCpuSeconds(pid: number): Record<string, number> {
  const byName: Record<string, number> = {};
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return byName;
  }
  for (const tid of tids) {
    const text = readText(`/proc/${pid}/task/${tid}/stat`);
    if (!text) continue;
    // Node names every JS thread "node": the main one (tid = pid) runs the activities, the others are worker threads.
    const comm = text.slice(text.indexOf('(') + 1, text.lastIndexOf(')'));
    const name = tid === String(pid) ? `${comm} (main thread)` : comm;
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    byName[name] = (byName[name] ?? 0) + (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  }
  return byName;
}

/** What each thread name used between two threadCpuSeconds snapshots, busiest first. */
export function threadCpuBetween(before: Record<string, number>, after: Record<string, number>, seconds: number): { thread: string; cpuSeconds: number; averageCores: number }[] {
  return Object.entries(after)
    .map(([thread, cpu]) => ({ thread, cpuSeconds: round(cpu - (before[thread] ?? 0), 2), averageCores: round((cpu - (before[thread] ?? 0)) / seconds, 2) }))
    .filter((t) => t.cpuSeconds > 0)
    .sort((a, b) => b.cpuSeconds - a.cpuSeconds);
}

/** Peak resident set of one process since it started (kernel's high-water mark), in MiB. */
export function peakRssMiB(pid: number): number {
  return Math.round((statusKiB(pid, 'VmHWM') / 1024) * 10) / 10;
}

function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const ppid = Number(statFields(Number(entry))?.[1]);
    if (!Number.isFinite(ppid)) continue;
    children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
  }
  const found = [root];
  for (let i = 0; i < found.length; i++) found.push(...(children.get(found[i]) ?? []));
  return found;
}

function systemCpu(): Sample['system'] {
  const [, ...values] = (readText('/proc/stat') ?? '').split('\n')[0].trim().split(/\s+/);
  const ticks = values.map(Number);
  const total = ticks.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
  return { busySeconds: (total - idle) / TICKS_PER_SECOND, totalSeconds: total / TICKS_PER_SECOND };
}

export class ProcSampler {
  readonly samples: Sample[] = [];
  private readonly groups = new Map<string, GroupSpec & { pids: number[] }>();
  private timer: NodeJS.Timeout | null = null;
  private treeRefresh: NodeJS.Timeout | null = null;

  constructor(private readonly intervalMs = 250) {}

  /** Starts sampling a group; a tree group's members are re-listed every 5 s (listing all of /proc costs more than reading a few stats). */
  watch(name: string, spec: GroupSpec): void {
    this.groups.set(name, { ...spec, pids: spec.tree ? descendants(spec.pid) : [spec.pid] });
  }

  start(): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    this.treeRefresh = setInterval(() => {
      for (const group of this.groups.values()) if (group.tree) group.pids = descendants(group.pid);
    }, 5_000);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.treeRefresh) clearInterval(this.treeRefresh);
    this.timer = this.treeRefresh = null;
    this.sample();
  }

  sample(): Sample {
    const groups: Sample['groups'] = {};
    for (const [name, group] of this.groups) {
      groups[name] = {
        cpuSeconds: group.pids.reduce((sum, pid) => sum + cpuSecondsOf(pid), 0),
        rssKiB: group.pids.reduce((sum, pid) => sum + statusKiB(pid, 'VmRSS'), 0),
      };
    }
    const sample = { at: Date.now(), groups, system: systemCpu() };
    this.samples.push(sample);
    return sample;
  }

  /**
   * CPU and memory between two instants, from the last sample at or before `from` to the first
   * at or after `to` (so the window is covered, never cut short by the 250 ms grid).
   */
  cost(from: number, to: number): WindowCost {
    const before = [...this.samples].reverse().find((s) => s.at <= from) ?? this.samples[0];
    const after = this.samples.find((s) => s.at >= to) ?? this.samples.at(-1)!;
    const seconds = (after.at - before.at) / 1000;
    const inside = this.samples.filter((s) => s.at >= before.at && s.at <= after.at);
    const groups: WindowCost['groups'] = {};
    for (const name of Object.keys(after.groups)) {
      // A group that exited inside the window reads 0: count only what was seen alive.
      const cpuSeconds = Math.max(0, (after.groups[name]?.cpuSeconds ?? 0) - (before.groups[name]?.cpuSeconds ?? 0));
      const peakKiB = Math.max(...inside.map((s) => s.groups[name]?.rssKiB ?? 0));
      groups[name] = { cpuSeconds: round(cpuSeconds, 2), averageCores: round(cpuSeconds / seconds, 2), peakRssMiB: round(peakKiB / 1024, 1) };
    }
    const busy = after.system.busySeconds - before.system.busySeconds;
    const total = after.system.totalSeconds - before.system.totalSeconds;
    const cores = total / seconds;
    const ours = Object.values(groups).reduce((sum, g) => sum + g.cpuSeconds, 0);
    return {
      seconds: round(seconds, 2), groups,
      system: { busyCores: round(busy / seconds, 2), cores: Math.round(cores), othersBusyCores: round(Math.max(0, busy - ours) / seconds, 2) },
    };
  }
}

export function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
