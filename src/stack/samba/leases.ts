// One DC per directory is shared by everything started from this checkout at once (the test
// runner, a test file run alone, several engineers' runs). A lock serialises provisioning,
// start and stop; each start takes a lease, and the DC stops only when the last live lease
// is returned. Leases and the lock name their owner's pid and start time, so ones left by a
// crashed process are recognised and cleared.
import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isRunning, startTimeOf } from './processes';

interface Owner {
  pid: number;
  startTime: string;
}

function currentOwner(): Owner {
  return { pid: process.pid, startTime: startTimeOf(process.pid) ?? '' };
}

function ownerAlive(file: string): boolean {
  let owner: Owner;
  try {
    owner = JSON.parse(readFileSync(file, 'utf8')) as Owner;
  } catch {
    // Being written right now, or left empty by a crash: trust it only while it is fresh.
    try {
      return Date.now() - statSync(file).mtimeMs < 5_000;
    } catch {
      return false;
    }
  }
  return isRunning(owner.pid) && startTimeOf(owner.pid) === owner.startTime;
}

/** Runs fn while holding the directory's lock file; waits for another holder up to timeoutMs. */
export async function withDirLock<T>(lockFile: string, timeoutMs: number, fn: () => Promise<T>): Promise<T> {
  mkdirSync(path.dirname(lockFile), { recursive: true, mode: 0o700 });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      writeFileSync(lockFile, JSON.stringify(currentOwner()), { flag: 'wx', mode: 0o600 });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    if (!ownerAlive(lockFile)) {
      rmSync(lockFile, { force: true });
      continue;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${lockFile} (another process is provisioning, starting or stopping this DC)`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  try {
    return await fn();
  } finally {
    rmSync(lockFile, { force: true });
  }
}

/** Records a lease for this process; returns its file. Call under the lock. */
export function takeLease(leasesDir: string): string {
  mkdirSync(leasesDir, { recursive: true, mode: 0o700 });
  const file = path.join(leasesDir, `${process.pid}-${randomUUID().slice(0, 8)}.json`);
  writeFileSync(file, JSON.stringify(currentOwner()), { mode: 0o600 });
  return file;
}

/** Drops leases whose owner is gone and returns how many live ones remain. Call under the lock. */
export function liveLeases(leasesDir: string): number {
  let names: string[];
  try {
    names = readdirSync(leasesDir);
  } catch {
    return 0;
  }
  let live = 0;
  for (const name of names) {
    const file = path.join(leasesDir, name);
    if (ownerAlive(file)) live += 1;
    else rmSync(file, { force: true });
  }
  return live;
}
