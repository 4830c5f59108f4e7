// Where the worker's CPU went (--cpu-prof): reads the V8 profiles node writes at exit (one
// per thread: the main thread runs activities and SDK glue, worker threads run workflow code)
// and sums self time by code owner (a package, a folder of src/, node internals, GC, idle).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { round } from './procSampler';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ThreadProfile {
  file: string;
  /** Sampled time, idle included. */
  sampledSeconds: number;
  /** Self time by owner, busiest first (idle left out), in seconds. */
  owners: { owner: string; seconds: number; share: number }[];
  /** The busiest functions by self time. */
  functions: { fn: string; seconds: number }[];
}

/** node_modules/<pkg> (scoped packages by scope/name), src/<folder>, node:internal, or V8's pseudo-frames ((garbage collector), (program), (idle)). */
export function ownerOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const modules = url.lastIndexOf('node_modules/');
  if (modules >= 0) {
    const parts = url.slice(modules + 'node_modules/'.length).split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  if (url.startsWith('node:')) return 'node internals';
  const src = url.indexOf('/src/');
  if (src >= 0) return `src/${url.slice(src + 5).split('/')[0]}`;
  return path.basename(url);
}

function summarise(file: string, profile: CpuProfile): ThreadProfile {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const owners = new Map<string, number>();
  const functions = new Map<string, number>();
  let total = 0;
  for (const [id, us] of selfUs) {
    total += us;
    const frame = byId.get(id)!.callFrame;
    if (frame.functionName === '(idle)') continue;
    const owner = ownerOf(frame.url, frame.functionName);
    owners.set(owner, (owners.get(owner) ?? 0) + us);
    const fn = `${frame.functionName || '(anonymous)'} ${frame.url ? `${path.basename(frame.url)}:${frame.lineNumber + 1}` : ''}`.trim();
    functions.set(fn, (functions.get(fn) ?? 0) + us);
  }
  const busy = [...owners.values()].reduce((a, b) => a + b, 0);
  return {
    file: path.basename(file),
    sampledSeconds: round(total / 1e6, 2),
    owners: [...owners].sort((a, b) => b[1] - a[1]).slice(0, 15)
      .map(([owner, us]) => ({ owner, seconds: round(us / 1e6, 2), share: busy > 0 ? round(us / busy, 3) : 0 })),
    functions: [...functions].sort((a, b) => b[1] - a[1]).slice(0, 15).map(([fn, us]) => ({ fn, seconds: round(us / 1e6, 2) })),
  };
}

/** Every profile in dir, busiest thread first. */
export function summariseCpuProfiles(dir: string): ThreadProfile[] {
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  return files.map((f) => summarise(f, JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as CpuProfile))
    .sort((a, b) => b.owners.reduce((n, o) => n + o.seconds, 0) - a.owners.reduce((n, o) => n + o.seconds, 0));
}
