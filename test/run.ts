// The test command's runner: finds test files per suite, starts the shared Samba AD DC once
// when integration suites are included (files attach to it instead of provisioning their
// own), runs everything through node's test runner with tsx, and prints the pass/fail line.
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { startSharedSamba } from './support/ad';

const SUITES = ['unit', 'integration', 'durability', 'replay', 'browser'] as const;
type Suite = (typeof SUITES)[number];

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

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const suites = (args.length > 0 ? args : [...SUITES]) as Suite[];
  for (const suite of suites) {
    if (!SUITES.includes(suite)) throw new Error(`unknown suite "${suite}"; known: ${SUITES.join(', ')}`);
  }
  const root = path.resolve(__dirname, '..');
  const files = suites.flatMap((suite) => findTests(path.join(root, 'test', suite)));
  if (files.length === 0) throw new Error(`no test files in suite(s) ${suites.join(', ')}`);

  const needsDirectory = suites.some((suite) => suite !== 'unit');
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
