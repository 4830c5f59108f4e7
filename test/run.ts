// The test command's runner: finds test files per suite, starts the shared Samba AD DC once
// when integration suites are included (files attach to it instead of provisioning their
// own), runs everything through node's test runner with tsx, and prints the pass/fail line.
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { startSharedSamba } from './support/ad';

const SUITES = ['unit', 'integration', 'durability', 'replay', 'browser'] as const;

function findTests(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  return entries.sort().flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return findTests(full);
    return name.endsWith('.test.ts') ? [full] : [];
  });
}

/** Arguments are suite names or test paths (files or folders, e.g. test/integration/site). */
function selectTests(root: string, args: string[]): { files: string[]; needsDirectory: boolean } {
  const selectors = args.length > 0 ? args : [...SUITES];
  const files: string[] = [];
  let needsDirectory = false;
  for (const selector of selectors) {
    const isSuite = (SUITES as readonly string[]).includes(selector);
    const target = isSuite ? path.join(root, 'test', selector) : path.resolve(selector);
    let stat;
    try {
      stat = statSync(target);
    } catch {
      throw new Error(`"${selector}" is neither a suite (${SUITES.join(', ')}) nor a test file or folder`);
    }
    files.push(...(stat.isDirectory() ? findTests(target) : [target]));
    // Everything outside the unit suite talks to the shared Samba AD DC.
    const underUnit = path.relative(path.join(root, 'test', 'unit'), target);
    if (underUnit.startsWith('..') || path.isAbsolute(underUnit)) needsDirectory = true;
  }
  return { files, needsDirectory };
}

async function main(): Promise<number> {
  const root = path.resolve(__dirname, '..');
  const { files, needsDirectory } = selectTests(root, process.argv.slice(2));
  if (files.length === 0) throw new Error(`no test files in ${process.argv.slice(2).join(', ') || 'any suite'}`);

  const shared = needsDirectory ? await startSharedSamba() : undefined;
  try {
    return await runNodeTests(files, shared?.env ?? {});
  } finally {
    await shared?.stop();
  }
}

/**
 * Test files run side by side: each holds its own 127.0.x.y block, its own Temporal dev server
 * on free ports and its own OU in the shared DC, and most of a file's time is waiting on
 * servers and devices, so more files than cores pay. AMTPROV_TEST_CONCURRENCY overrides.
 */
function fileConcurrency(): number {
  const wanted = Number(process.env.AMTPROV_TEST_CONCURRENCY ?? 3);
  if (!Number.isInteger(wanted) || wanted < 1) throw new Error(`AMTPROV_TEST_CONCURRENCY must be a positive integer, got ${process.env.AMTPROV_TEST_CONCURRENCY}`);
  return wanted;
}

function runNodeTests(files: string[], extraEnv: Record<string, string>): Promise<number> {
  // A test that hangs fails after 10 minutes with its name, instead of holding CI to its limit.
  const args = ['--import', 'tsx', '--test', `--test-concurrency=${fileConcurrency()}`, '--test-timeout=600000', '--test-reporter=spec', ...files];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { stdio: 'inherit', env: { ...process.env, ...extraEnv } });
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
