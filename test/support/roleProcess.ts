// A production role started from its command as docs/deploy.md runs it (bin/amtprov <role>
// with the role's environment), its output kept for failure messages, killed after the test
// if still running; and waiting for its /readyz.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { TestContext } from 'node:test';
import { AMTPROV_BIN } from './provisioningStack';
import { waitUntil } from './waitUntil';

export interface RoleProcess {
  output: string[];
  exited: Promise<number | null>;
  signal(name: NodeJS.Signals): void;
}

export function startRole(t: TestContext, args: string[], env: NodeJS.ProcessEnv): RoleProcess {
  const child = spawn(AMTPROV_BIN, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  const collect = (chunk: Buffer): void => { output.push(...chunk.toString().split('\n').filter(Boolean)); };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return { output, exited, signal: (name) => child.kill(name) };
}

export async function httpStatus(url: string): Promise<number> {
  return (await fetch(url, { signal: AbortSignal.timeout(5_000) })).status;
}

/** Until /readyz answers 200 (then /healthz must too); a timeout names the last answer and the role's output. */
export async function waitReady(base: string, role: RoleProcess, timeoutMs = 120_000): Promise<void> {
  let last = 'no answer';
  await waitUntil(async () => {
    const response = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(5_000) });
    last = `${response.status} ${await response.text()}`;
    return response.status === 200;
  }, 'the role to be ready', timeoutMs).catch((err: Error) => {
    throw new Error(`${err.message}; last /readyz: ${last}; role output:\n${role.output.join('\n')}`);
  });
  assert.equal(await httpStatus(`${base}/healthz`), 200);
}
