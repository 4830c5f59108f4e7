// Starts the provisioned DC in single-process mode with only the LDAP and KDC services,
// reuses one that already runs from the same directory, and stops it by pid.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import tls from 'node:tls';
import { isPortFree } from '../../net/ports';
import { SAMBA_DOMAIN, type SambaLayout } from './layout';
import { executableOf, isRunning, processGroupMembers, terminate } from './processes';

const STOP_GRACE_MS = 10_000;

/** True once host:636 completes a TLS handshake whose certificate chains to Samba's CA. */
function ldapsAnswers(caCertPem: string, timeoutMs = 2_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tls.connect({
      host: SAMBA_DOMAIN.host, port: SAMBA_DOMAIN.ldapsPort, ca: caCertPem, servername: SAMBA_DOMAIN.tlsServerName,
    });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('secureConnect', () => done(socket.authorized));
    socket.once('error', () => done(false));
  });
}

function readCa(layout: SambaLayout): string | undefined {
  try {
    return readFileSync(layout.caCert, 'utf8');
  } catch {
    return undefined;
  }
}

/** The pid of a samba process started from this directory, or undefined (a stale pid file is removed). */
function runningSambaPid(layout: SambaLayout): number | undefined {
  if (!existsSync(layout.pidFile)) return undefined;
  const pid = Number(readFileSync(layout.pidFile, 'utf8').trim());
  if (pid > 0 && isRunning(pid) && executableOf(pid)?.endsWith('/samba')) return pid;
  rmSync(layout.pidFile, { force: true });
  return undefined;
}

function logTail(layout: SambaLayout, lines = 12): string {
  const parts = [layout.launchLog, layout.logFile].filter((f) => existsSync(f))
    .map((f) => readFileSync(f, 'utf8').trim().split('\n').slice(-lines).join('\n'));
  return parts.join('\n').trim() || '(no log output)';
}

/** Waits until the DC answers LDAPS; returns the CA certificate it serves. */
async function waitForLdaps(layout: SambaLayout, pid: () => number | undefined, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let seenPid = false;
  for (;;) {
    const current = pid();
    if (current !== undefined) seenPid = true;
    else if (seenPid) throw new Error(`samba exited during start-up; see ${layout.logFile}:\n${logTail(layout)}`);
    const ca = readCa(layout);
    if (current !== undefined && ca && (await ldapsAnswers(ca))) return ca;
    if (Date.now() > deadline) {
      throw new Error(`Samba AD DC in ${layout.dir} did not answer LDAPS on ${SAMBA_DOMAIN.host}:${SAMBA_DOMAIN.ldapsPort} ` +
        `within ${timeoutMs} ms; see ${layout.logFile}:\n${logTail(layout)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function assertPortsFree(): Promise<void> {
  const taken: string[] = [];
  for (const { port, what } of SAMBA_DOMAIN.ports) {
    if (!(await isPortFree(SAMBA_DOMAIN.host, port))) taken.push(`${SAMBA_DOMAIN.host}:${port} (${what})`);
  }
  if (taken.length > 0) {
    throw new Error(`cannot start the Samba AD DC: ${taken.join(', ')} already in use by another process ` +
      `(another DC from a different directory, or an LDAP/Kerberos server; find it with: ss -ltnp 'sport = :${SAMBA_DOMAIN.ldapsPort}')`);
  }
}

function launch(sambaPath: string, layout: SambaLayout): Promise<void> {
  mkdirSync(layout.logDir, { recursive: true });
  mkdirSync(layout.runDir, { recursive: true });
  const out = openSync(layout.launchLog, 'w');
  // -D: samba detaches (own session, pid file in run/); the launcher exits at once.
  const child = spawn(sambaPath, ['-s', layout.smbConf, '-D', '-M', 'single', '--option=server services=ldap, kdc'],
    { stdio: ['ignore', out, out] });
  closeSync(out);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`samba exited with code ${code} at start; see ${layout.launchLog}:\n${logTail(layout)}`));
    });
  });
}

export interface RunningDc {
  pid: number;
  caCertPem: string;
  /** True when a DC from this directory was already running and answering. */
  reused: boolean;
  /** Milliseconds from launch until LDAPS answered (0 when reused). */
  startMs: number;
}

/** Starts the DC unless one from this directory already answers. Call under the dir lock. */
export async function startOrReuse(sambaPath: string, layout: SambaLayout, timeoutMs: number): Promise<RunningDc> {
  const existing = runningSambaPid(layout);
  if (existing !== undefined) {
    // Running, possibly still starting (another process launched it): wait for it rather than launch twice.
    const caCertPem = await waitForLdaps(layout, () => runningSambaPid(layout), timeoutMs);
    return { pid: existing, caCertPem, reused: true, startMs: 0 };
  }
  await assertPortsFree();
  const started = Date.now();
  await launch(sambaPath, layout);
  let caCertPem: string;
  try {
    caCertPem = await waitForLdaps(layout, () => runningSambaPid(layout), timeoutMs);
  } catch (err) {
    await stopSambaProcess(layout);
    throw err;
  }
  const pid = runningSambaPid(layout);
  if (pid === undefined) throw new Error(`samba answered LDAPS but its pid file ${layout.pidFile} is gone`);
  return { pid, caCertPem, reused: false, startMs: Date.now() - started };
}

/** Stops the DC of this directory (TERM, KILL after a grace period) and anything left in its process group. */
export async function stopSambaProcess(layout: SambaLayout): Promise<void> {
  const pid = runningSambaPid(layout);
  if (pid === undefined) return;
  await terminate(pid, STOP_GRACE_MS);
  // samba -D leads its own process group; helpers it forked must not outlive it.
  for (const member of processGroupMembers(pid)) await terminate(member, STOP_GRACE_MS);
  rmSync(layout.pidFile, { force: true });
}
