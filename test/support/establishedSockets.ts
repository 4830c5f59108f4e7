// Counts this process's ESTABLISHED TCP connections to a port, from /proc/net/tcp (hex ports,
// state 01) and the socket inodes of /proc/self/fd: a socket-level view of how many
// connections a client really holds, independent of its own bookkeeping, and blind to other
// processes (other test files) talking to the same server.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

function ownSocketInodes(): Set<string> {
  const inodes = new Set<string>();
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`));
      if (match?.[1]) inodes.add(match[1]);
    } catch {
      // closed between the listing and the read
    }
  }
  return inodes;
}

export function establishedTo(port: number): number {
  const hexPort = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  const own = ownSocketInodes();
  return ['/proc/net/tcp', '/proc/net/tcp6'].flatMap((file) => {
    try {
      return readFileSync(file, 'utf8').split('\n').slice(1);
    } catch {
      return [];
    }
  }).filter((line) => {
    // sl local rem st tx:rx tr:when retrnsmt uid timeout inode
    const fields = line.trim().split(/\s+/);
    return fields[2]?.endsWith(hexPort) === true && fields[3] === '01' && own.has(fields[9] ?? '');
  }).length;
}

/** Samples every few ms while `work` runs: the most connections to `port` seen at once. */
export async function peakEstablishedDuring<T>(port: number, work: () => Promise<T>): Promise<{ result: T; peak: number }> {
  let peak = establishedTo(port);
  const timer = setInterval(() => { peak = Math.max(peak, establishedTo(port)); }, 5);
  try {
    const result = await work();
    return { result, peak };
  } finally {
    clearInterval(timer);
  }
}
