// Provisions the throwaway AD domain (recipes/samba-ad-dc.md) once per directory. The
// Administrator password is the random one samba-tool generates (so it never appears on a
// command line), read from its output and kept in a 0600 file.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isRunning } from './processes';
import { PROVISIONED_ENTRIES, SAMBA_DOMAIN, sambaLayout, type SambaLayout } from './layout';
import { runTool, type ToolResult } from './runTool';

export interface ProvisionResult {
  layout: SambaLayout;
  /** False when the directory was already provisioned and was reused as is. */
  provisionedNow: boolean;
  /** Wall time of samba-tool provision plus settings, when provisionedNow. */
  provisionMs?: number;
}

export function isProvisioned(layout: SambaLayout): boolean {
  return [layout.provisionedMarker, layout.smbConf, layout.adminPasswordFile, path.join(layout.dir, 'private', 'sam.ldb')]
    .every((file) => existsSync(file));
}

export function readAdminPassword(layout: SambaLayout): string {
  const password = readFileSync(layout.adminPasswordFile, 'utf8').trim();
  if (!password) throw new Error(`${layout.adminPasswordFile} is empty; remove ${layout.dir} to provision again`);
  return password;
}

/** Without secrets: drops every line that mentions a password before output reaches an error. */
function redactedTail(result: ToolResult, lines = 10): string {
  return `${result.stdout}\n${result.stderr}`.split('\n')
    .filter((line) => line.trim() && !/pass(word)?/i.test(line))
    .slice(-lines).join('\n');
}

function removeHalfMade(layout: SambaLayout): void {
  const present = PROVISIONED_ENTRIES.filter((name) => existsSync(path.join(layout.dir, name)));
  const tdbs = readdirSync(layout.dir).filter((name) => /\.(tdb|ldb)$/.test(name));
  if (present.length === 0 && tdbs.length === 0) return;
  if (existsSync(layout.pidFile)) {
    const pid = Number(readFileSync(layout.pidFile, 'utf8').trim());
    if (pid > 0 && isRunning(pid)) {
      throw new Error(`${layout.dir} is half-provisioned but a samba process (pid ${pid}) still uses it; stop it first`);
    }
  }
  for (const name of [...present, ...tdbs]) rmSync(path.join(layout.dir, name), { recursive: true, force: true });
}

function krb5Conf(): string {
  const { realm, host } = SAMBA_DOMAIN;
  const domain = realm.toLowerCase();
  return [
    '[libdefaults]',
    `\tdefault_realm = ${realm}`,
    '\tdns_lookup_realm = false',
    '\tdns_lookup_kdc = false',
    '\trdns = false',
    '',
    '[realms]',
    `\t${realm} = {`,
    `\t\tkdc = ${host}:88`,
    '\t}',
    '',
    '[domain_realm]',
    `\t.${domain} = ${realm}`,
    `\t${domain} = ${realm}`,
    '',
  ].join('\n');
}

function writeKrb5Conf(layout: SambaLayout): void {
  writeFileSync(layout.krb5Conf, krb5Conf(), { mode: 0o644 });
}

async function sambaTool(sambaToolPath: string, args: string[], what: string): Promise<ToolResult> {
  const result = await runTool(sambaToolPath, args);
  if (result.code !== 0) throw new Error(`samba-tool ${what} failed (exit ${result.code}):\n${redactedTail(result)}`);
  return result;
}

/** Provisions the domain into dir unless it already holds a complete one. Call under the dir lock. */
export async function ensureProvisioned(dir: string, sambaToolPath: string): Promise<ProvisionResult> {
  const layout = sambaLayout(dir);
  mkdirSync(layout.dir, { recursive: true, mode: 0o700 });
  if (isProvisioned(layout)) {
    if (!existsSync(layout.krb5Conf)) writeKrb5Conf(layout);
    return { layout, provisionedNow: false };
  }
  removeHalfMade(layout);
  const started = Date.now();
  const d = layout.dir;
  const provision = await sambaTool(sambaToolPath, [
    'domain', 'provision', `--realm=${SAMBA_DOMAIN.realm}`, `--domain=${SAMBA_DOMAIN.netbiosDomain}`,
    '--server-role=dc', '--dns-backend=NONE', '--use-rfc2307', `--host-name=${SAMBA_DOMAIN.hostName}`,
    `--targetdir=${d}`, `--option=interfaces=${SAMBA_DOMAIN.host}`, '--option=bind interfaces only=yes',
    `--option=log file=${layout.logFile}`, `--option=pid directory=${layout.runDir}`,
    `--option=ncalrpc dir=${path.join(layout.runDir, 'ncalrpc')}`,
    `--option=winbindd socket directory=${path.join(layout.runDir, 'winbindd')}`,
  ], 'domain provision');
  // samba-tool reports the password it generated on a line of its own (Samba 4.17: "Admin password: X").
  const match = /Admin password:\s*(\S+)\s*$/m.exec(`${provision.stdout}\n${provision.stderr}`);
  if (!match?.[1]) throw new Error('samba-tool domain provision succeeded but its output named no generated Administrator password');
  writeFileSync(layout.adminPasswordFile, `${match[1]}\n`, { mode: 0o600 });
  // Service accounts of a test domain must not expire mid-run (recipe: max-pwd-age=0).
  await sambaTool(sambaToolPath, ['domain', 'passwordsettings', 'set', '--max-pwd-age=0', '-s', layout.smbConf], 'domain passwordsettings set');
  writeKrb5Conf(layout);
  mkdirSync(layout.logDir, { recursive: true });
  const provisionMs = Date.now() - started;
  writeFileSync(layout.provisionedMarker, `${JSON.stringify({ realm: SAMBA_DOMAIN.realm, provisionedAt: new Date().toISOString(), provisionMs }, null, 2)}\n`);
  return { layout, provisionedNow: true, provisionMs };
}
