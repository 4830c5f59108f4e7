// Installs Debian's Samba AD DC packages when they are missing (recipes/samba-ad-dc.md:
// `samba` alone cannot provision; the schema files come with samba-ad-provision).
import { existsSync } from 'node:fs';
import { findExecutable, runTool, tail } from './runTool';

export const SAMBA_PACKAGES = ['samba-ad-dc', 'samba-ad-provision', 'krb5-user'] as const;

/** Where samba-ad-provision puts the AD schema; provisioning fails without it. */
const PROVISION_SETUP_DIR = '/usr/share/samba/setup/ad-schema';

export interface SambaTools {
  samba: string;
  sambaTool: string;
  /** Absent when krb5-user is not installed; Kerberos checks are then skipped. */
  kinit?: string;
}

function findTools(): SambaTools | undefined {
  const samba = findExecutable('samba');
  const sambaTool = findExecutable('samba-tool');
  if (!samba || !sambaTool || !existsSync(PROVISION_SETUP_DIR)) return undefined;
  const kinit = findExecutable('kinit');
  return kinit ? { samba, sambaTool, kinit } : { samba, sambaTool };
}

const aptEnv = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };

async function aptInstall(): Promise<void> {
  // Another apt run (a colleague's CI) holds the dpkg lock for a while: wait for it instead of failing.
  const install = ['-o', 'DPkg::Lock::Timeout=300', 'install', '-y', '--no-install-recommends', ...SAMBA_PACKAGES];
  // Refresh the package lists only when apt cannot see the package or a fetch fails (stale lists).
  const known = await runTool('apt-cache', ['show', 'samba-ad-dc'], aptEnv);
  if (known.code !== 0 || known.stdout.trim() === '') await aptUpdate();
  let result = await runTool('apt-get', install, aptEnv);
  if (result.code !== 0 && /Unable to fetch|404\s+Not Found|Unable to locate/i.test(result.stderr)) {
    await aptUpdate();
    result = await runTool('apt-get', install, aptEnv);
  }
  if (result.code !== 0) throw new Error(`apt-get install ${SAMBA_PACKAGES.join(' ')} failed (exit ${result.code}):\n${tail(result)}`);
}

async function aptUpdate(): Promise<void> {
  const result = await runTool('apt-get', ['-o', 'DPkg::Lock::Timeout=300', 'update'], aptEnv);
  if (result.code !== 0) throw new Error(`apt-get update failed (exit ${result.code}):\n${tail(result)}`);
}

/**
 * Returns the Samba tools, installing the Debian packages first when they are missing and
 * this process is root. Not root and missing: one error saying what to install.
 */
export async function ensureSambaInstalled(): Promise<SambaTools & { installedNow: boolean }> {
  const present = findTools();
  if (present) return { ...present, installedNow: false };
  if (process.getuid?.() !== 0) {
    throw new Error(`Samba AD DC is not installed. As root run: apt-get install -y --no-install-recommends ${SAMBA_PACKAGES.join(' ')} ` +
      '(or point the directory settings at an existing Active Directory).');
  }
  if (!findExecutable('apt-get')) {
    throw new Error(`Samba AD DC is not installed and there is no apt-get here; install ${SAMBA_PACKAGES.join(', ')} (Debian package names) by hand.`);
  }
  await aptInstall();
  const installed = findTools();
  if (!installed) throw new Error(`installed ${SAMBA_PACKAGES.join(' ')} but samba, samba-tool or ${PROVISION_SETUP_DIR} is still missing`);
  return { ...installed, installedNow: true };
}
