// A Samba AD DC as a local service: install (Debian packages), provision once per directory,
// start on 127.0.0.1 (LDAP 389, LDAPS 636, Kerberos 88), share between concurrent users,
// stop by pid. `npm start` and the integration tests both come through ensureSamba().
import { existsSync, rmSync } from 'node:fs';
import { ensureSambaInstalled } from './install';
import { defaultSambaDir, SAMBA_DOMAIN, sambaLayout } from './layout';
import { liveLeases, takeLease, withDirLock } from './leases';
import { ensureProvisioned, isProvisioned, readAdminPassword } from './provision';
import { startOrReuse, stopSambaProcess } from './daemon';
import { findExecutable } from './runTool';

export { defaultSambaDir, SAMBA_DOMAIN } from './layout';
export { ensureSambaInstalled } from './install';

/** Connection facts of a running DC; structurally usable as the directory module's settings. */
export interface SambaHandle {
  url: string;
  realm: string;
  baseDn: string;
  bindDn: string;
  bindPassword: string;
  /** The CA Samba generated for its LDAPS certificate: verify the server with it. */
  caCertPem: string;
  /** The name Samba's certificate carries (it has no IP address in it). */
  tlsServerName: string;
  /** krb5.conf for the realm (kdc 127.0.0.1): point KRB5_CONFIG at it for kinit and friends. */
  krb5ConfigPath: string;
  dir: string;
  logFile: string;
  pid: number;
  /** True when a DC from this directory was already running and this handle joined it. */
  reused: boolean;
  timings: { installMs?: number; provisionMs?: number; startMs: number };
  /**
   * Returns this handle's lease; the DC stops (TERM, then KILL, no process left) when the
   * last live lease on it is returned. Idempotent.
   */
  stop(): Promise<void>;
}

export interface StartSambaOptions {
  /** How long to wait for LDAPS after launch (the first start makes a 4096-bit key). Default 60 s. */
  timeoutMs?: number;
  /** How long to wait for another process that holds the directory lock. Default 180 s. */
  lockTimeoutMs?: number;
}

function sambaBinary(): string {
  const samba = findExecutable('samba');
  if (!samba) throw new Error('samba is not installed; call ensureSamba() or install samba-ad-dc');
  return samba;
}

async function startUnderLock(dir: string, options: StartSambaOptions, provisionMs?: number, installMs?: number): Promise<SambaHandle> {
  const layout = sambaLayout(dir);
  const running = await startOrReuse(sambaBinary(), layout, options.timeoutMs ?? 60_000);
  const lease = takeLease(layout.leasesDir);
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= withDirLock(layout.lockFile, options.lockTimeoutMs ?? 180_000, async () => {
      rmSync(lease, { force: true });
      if (liveLeases(layout.leasesDir) === 0) await stopSambaProcess(layout);
    });
    return stopped;
  };
  return {
    url: `ldaps://${SAMBA_DOMAIN.host}:${SAMBA_DOMAIN.ldapsPort}`,
    realm: SAMBA_DOMAIN.realm,
    baseDn: SAMBA_DOMAIN.baseDn,
    bindDn: SAMBA_DOMAIN.adminDn,
    bindPassword: readAdminPassword(layout),
    caCertPem: running.caCertPem,
    tlsServerName: SAMBA_DOMAIN.tlsServerName,
    krb5ConfigPath: layout.krb5Conf,
    dir: layout.dir,
    logFile: layout.logFile,
    pid: running.pid,
    reused: running.reused,
    timings: { installMs, provisionMs, startMs: running.startMs },
    stop,
  };
}

/** Starts (or joins) the DC of an already provisioned directory. */
export async function startSamba(dir: string, options: StartSambaOptions = {}): Promise<SambaHandle> {
  const layout = sambaLayout(dir);
  if (!existsSync(layout.dir) || !isProvisioned(layout)) {
    throw new Error(`${layout.dir} holds no provisioned Samba AD DC; use ensureSamba() to provision it`);
  }
  return withDirLock(layout.lockFile, options.lockTimeoutMs ?? 180_000, () => startUnderLock(dir, options));
}

/** Installs Samba if missing (root), provisions dir if needed, and starts or joins its DC. */
export async function ensureSamba(dir: string = defaultSambaDir(), options: StartSambaOptions = {}): Promise<SambaHandle> {
  const installStarted = Date.now();
  const tools = await ensureSambaInstalled();
  const installMs = tools.installedNow ? Date.now() - installStarted : undefined;
  const layout = sambaLayout(dir);
  return withDirLock(layout.lockFile, options.lockTimeoutMs ?? 180_000, async () => {
    const provision = await ensureProvisioned(dir, tools.sambaTool);
    return startUnderLock(dir, options, provision.provisionMs, installMs);
  });
}
