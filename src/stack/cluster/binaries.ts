// The real Temporal server, its SQL schema tool and the Web UI server for the cluster profile,
// built from their Go modules with this machine's Go toolchain (through the Go module proxy)
// and cached under .tools/, keyed by version. Each artefact is built only when missing, into
// a temporary name first, so an interrupted build never leaves a file that looks finished.
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../../log';
import { projectRoot } from '../../config/paths';

/** The pinned Temporal server (go.temporal.io/server); the UI server's versions are in ui-server/go.mod. */
export const TEMPORAL_SERVER_VERSION = '1.32.2';
/** v1.32.2 needs Go >= 1.26.10; `go` fetches this toolchain through the module proxy when older. */
export const GO_TOOLCHAIN = 'go1.26.10';
/** The schema directory of go.temporal.io/server this profile uses (PostgreSQL 12+ plugin). */
export const SQL_PLUGIN = 'postgres12';

const UI_MODULE = 'github.com/temporalio/ui-server/v2';

export interface ClusterBinaries {
  server: string;
  sqlTool: string;
  uiServer: string;
  /** schema/postgresql/v12 of the server module: temporal/ and visibility/, each with versioned/. */
  schemaDir: string;
  serverVersion: string;
  uiVersion: string;
}

export function uiServerModuleDir(): string {
  return path.join(projectRoot(), 'src', 'stack', 'cluster', 'ui-server');
}

/** The UI server version the wrapper module requires (its go.mod is the one place it is pinned). */
export function uiServerVersion(goMod = readFileSync(path.join(uiServerModuleDir(), 'go.mod'), 'utf8')): string {
  const version = goMod.match(new RegExp(`^\\s*${UI_MODULE.replace(/[./]/g, '\\$&')} (v\\S+)`, 'm'))?.[1];
  if (!version) throw new Error(`${path.join(uiServerModuleDir(), 'go.mod')} does not require ${UI_MODULE}`);
  return version;
}

export function clusterBinaries(): ClusterBinaries {
  const uiVersion = uiServerVersion();
  const serverDir = path.join(projectRoot(), '.tools', `temporal-server-v${TEMPORAL_SERVER_VERSION}`);
  const uiDir = path.join(projectRoot(), '.tools', `temporal-ui-server-${uiVersion}`);
  return {
    server: path.join(serverDir, 'server'),
    sqlTool: path.join(serverDir, 'sql'),
    uiServer: path.join(uiDir, 'ui-server'),
    schemaDir: path.join(serverDir, 'schema', 'postgresql', 'v12'),
    serverVersion: TEMPORAL_SERVER_VERSION,
    uiVersion,
  };
}

export function missingClusterBinaries(binaries = clusterBinaries()): string[] {
  return [binaries.server, binaries.sqlTool, binaries.uiServer, binaries.schemaDir].filter((file) => !existsSync(file));
}

function goEnv(): NodeJS.ProcessEnv {
  return { ...process.env, GOTOOLCHAIN: GO_TOOLCHAIN, GOFLAGS: '-mod=mod' };
}

function runGo(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('go', args, { cwd: options.cwd, env: options.env ?? goEnv(), stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      // Keep the end: the error is last, after the download lines.
      stderr = (stderr + chunk.toString()).slice(-8000);
    });
    child.once('error', (err) => reject(new Error(`cannot run go (${err.message}): the cluster profile builds Temporal with the Go toolchain; install Go (https://go.dev/dl) and put it on PATH`)));
    child.once('exit', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`go ${args.join(' ')} failed with code ${code}:\n${stderr.trim()}`));
    });
  });
}

/** `go install <pkg>@<version>` into a temporary GOBIN, then the binary moved into place. */
async function goInstall(pkg: string, binName: string, target: string, log: Logger): Promise<void> {
  const tmpBin = `${target}.building`;
  rmSync(tmpBin, { recursive: true, force: true });
  mkdirSync(tmpBin, { recursive: true });
  log.info('building with go install (first time only)', { package: pkg, into: target });
  const started = Date.now();
  await runGo(['install', pkg], { env: { ...goEnv(), GOBIN: tmpBin } });
  renameSync(path.join(tmpBin, binName), target);
  rmSync(tmpBin, { recursive: true, force: true });
  log.info('built', { binary: target, seconds: Math.round((Date.now() - started) / 1000) });
}

function moduleCacheDir(): string {
  return execFileSync('go', ['env', 'GOMODCACHE'], { env: goEnv(), encoding: 'utf8' }).trim();
}

/** Builds whatever is missing; returns the paths. Safe to call on every start (fast when cached). */
export async function ensureClusterBinaries(log: Logger): Promise<ClusterBinaries> {
  const binaries = clusterBinaries();
  if (missingClusterBinaries(binaries).length === 0) return binaries;
  mkdirSync(path.dirname(binaries.server), { recursive: true });
  mkdirSync(path.dirname(binaries.uiServer), { recursive: true });
  const serverModule = `go.temporal.io/server@v${TEMPORAL_SERVER_VERSION}`;
  if (!existsSync(binaries.server)) await goInstall(`go.temporal.io/server/cmd/server@v${TEMPORAL_SERVER_VERSION}`, 'server', binaries.server, log);
  if (!existsSync(binaries.sqlTool)) await goInstall(`go.temporal.io/server/cmd/tools/sql@v${TEMPORAL_SERVER_VERSION}`, 'sql', binaries.sqlTool, log);
  if (!existsSync(binaries.schemaDir)) {
    // The schema ships in the module's source; a copy next to the binaries survives `go clean -modcache`.
    const source = path.join(moduleCacheDir(), serverModule, 'schema', 'postgresql', 'v12');
    if (!existsSync(source)) throw new Error(`${source} is missing after building ${serverModule}`);
    const partial = `${binaries.schemaDir}.copying`;
    rmSync(partial, { recursive: true, force: true });
    cpSync(source, partial, { recursive: true });
    // The module cache is read-only; the copy must stay deletable with the rest of .tools.
    execFileSync('chmod', ['-R', 'u+w', partial]);
    renameSync(partial, binaries.schemaDir);
  }
  if (!existsSync(binaries.uiServer)) {
    log.info('building the Temporal UI server (first time only)', { version: binaries.uiVersion, into: binaries.uiServer });
    const partial = `${binaries.uiServer}.building`;
    await runGo(['build', '-o', partial, `${UI_MODULE}/cmd/server`], { cwd: uiServerModuleDir() });
    renameSync(partial, binaries.uiServer);
  }
  return binaries;
}
