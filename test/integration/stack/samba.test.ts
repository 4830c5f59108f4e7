// The Samba AD DC service: start joins a running DC, the last lease stops it with no process
// left, stale pid files and dead leases are recognised, a half-made directory is provisioned
// again, a taken port 636 is named. Samba's ports are fixed (127.0.0.1:636), and the shared
// test DC may be running, so the full lifecycle runs in a child process inside a private
// network namespace (unshare --net), where 127.0.0.1:636 is its own.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DirectoryClient } from '../../../src/directory';
import { projectRoot } from '../../../src/config/paths';
import { ensureSamba, type SambaHandle } from '../../../src/stack/samba';
import { stopSambaProcess } from '../../../src/stack/samba/daemon';
import { sambaLayout } from '../../../src/stack/samba/layout';
import { isRunning, processGroupMembers } from '../../../src/stack/samba/processes';
import { ensureProvisioned } from '../../../src/stack/samba/provision';
import { findExecutable } from '../../../src/stack/samba/runTool';
import { testAdDir } from '../../support/ad';

const IN_NETNS = 'AMTPROV_SAMBA_NETNS';

function sambaProcessesOf(pid: number): number[] {
  return [pid, ...processGroupMembers(pid)].filter((p) => isRunning(p));
}

if (process.env[IN_NETNS] === '1') {
  // Child mode: this process owns 127.0.0.1 in its own network namespace.
  const dir = path.join(projectRoot(), '.tools', 'test-ad-lifecycle');
  const layout = sambaLayout(dir);

  describe('Samba DC lifecycle (private network namespace)', () => {
    before(async () => {
      // A DC left by a crashed earlier run lives in a namespace we cannot reach: end it.
      await stopSambaProcess(layout);
    });

    test('start, a second start joins, the last returned lease stops it and no process is left', async () => {
      const first = await ensureSamba(dir);
      console.log(`timings: ${JSON.stringify(first.timings)}`);
      assert.equal(first.reused, false);
      await new DirectoryClient(first).verifyBind();
      const second = await ensureSamba(dir);
      assert.equal(second.reused, true);
      assert.equal(second.pid, first.pid);
      await second.stop();
      assert.ok(isRunning(first.pid), 'the DC must keep running while the first lease is held');
      await new DirectoryClient(first).verifyBind();
      await first.stop();
      assert.deepEqual(sambaProcessesOf(first.pid), []);
      assert.equal(existsSync(layout.pidFile), false);
      await first.stop(); // idempotent
    });

    test('the Administrator password is in a 0600 file only, not in the logs', async () => {
      const handle = await ensureSamba(dir);
      try {
        assert.equal(statSync(layout.adminPasswordFile).mode & 0o777, 0o600);
        assert.equal(readFileSync(layout.adminPasswordFile, 'utf8').trim(), handle.bindPassword);
        assert.ok(handle.bindPassword.length >= 12);
        for (const log of [layout.logFile, layout.launchLog].filter((f) => existsSync(f))) {
          assert.ok(!readFileSync(log, 'utf8').includes(handle.bindPassword), `${log} contains the password`);
        }
      } finally {
        await handle.stop();
      }
    });

    test('a stale pid file (dead pid, or a live process that is not samba) is replaced by a fresh start', async () => {
      const dead = spawnSync('true').pid ?? 999_999;
      for (const stalePid of [dead, process.pid]) {
        mkdirSync(layout.runDir, { recursive: true });
        writeFileSync(layout.pidFile, `${stalePid}\n`);
        const handle = await ensureSamba(dir);
        try {
          assert.equal(handle.reused, false);
          assert.notEqual(handle.pid, stalePid);
        } finally {
          await handle.stop();
        }
        assert.deepEqual(sambaProcessesOf(handle.pid), []);
      }
    });

    test('a lease left by a crashed process does not keep the DC running', async () => {
      const dead = spawnSync('true').pid ?? 999_999;
      mkdirSync(layout.leasesDir, { recursive: true });
      writeFileSync(path.join(layout.leasesDir, `${dead}-crashed.json`), JSON.stringify({ pid: dead, startTime: '1' }));
      const handle = await ensureSamba(dir);
      await handle.stop();
      assert.deepEqual(sambaProcessesOf(handle.pid), []);
    });

    test('port 636 held by another process: a clear error naming it, and no DC left behind', async () => {
      const squatter = net.createServer();
      await new Promise<void>((resolve) => squatter.listen(636, '127.0.0.1', resolve));
      try {
        await assert.rejects(ensureSamba(dir), /127\.0\.0\.1:636 \(LDAPS\).*already in use/);
      } finally {
        await new Promise((resolve) => squatter.close(resolve));
      }
      assert.equal(existsSync(layout.pidFile), false);
    });

    test('a half-made directory is provisioned again, leaving unrelated files alone', async (t) => {
      const half = mkdtempSync(path.join(os.tmpdir(), 'amtprov-half-ad-'));
      t.after(() => rmSync(half, { recursive: true, force: true }));
      mkdirSync(path.join(half, 'etc'));
      writeFileSync(path.join(half, 'etc', 'smb.conf'), '# interrupted provision\n');
      mkdirSync(path.join(half, 'private'));
      writeFileSync(path.join(half, 'keep.txt'), 'not ours');
      const sambaTool = findExecutable('samba-tool');
      assert.ok(sambaTool);
      const result = await ensureProvisioned(half, sambaTool);
      console.log(`provisioned in ${result.provisionMs} ms`);
      assert.equal(result.provisionedNow, true);
      assert.match(readFileSync(path.join(half, 'etc', 'smb.conf'), 'utf8'), /realm = AMT\.TEST/);
      assert.equal(readFileSync(path.join(half, 'keep.txt'), 'utf8'), 'not ours');
      assert.equal((await ensureProvisioned(half, sambaTool)).provisionedNow, false);
    });
  });
} else {
  const netnsReady = process.getuid?.() === 0 && findExecutable('unshare') && findExecutable('ip')
    ? false : 'needs root with unshare and ip (iproute2) for a private network namespace';

  test('lifecycle checks pass in a private network namespace', { skip: netnsReady }, async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, [IN_NETNS]: '1' };
    delete env.AMTPROV_TEST_AD;
    // Set by node's test runner for its own children; the nested run must report on its own.
    delete env.NODE_TEST_CONTEXT;
    const args = ['--net', '--', 'sh', '-c', 'ip link set lo up && exec "$@"', 'sh',
      process.execPath, '--import', 'tsx', '--test', '--test-reporter=spec', __filename];
    const child = spawn('unshare', args, { env, cwd: projectRoot(), stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.on('data', (c: Buffer) => chunks.push(c));
    const code = await new Promise<number>((resolve) => child.once('close', (c) => resolve(c ?? 1)));
    const output = Buffer.concat(chunks).toString('utf8');
    console.log(output.split('\n').filter((l) => /timings:|provisioned in|✔|✖/.test(l)).join('\n'));
    assert.equal(code, 0, output);
    // Guard against a child that ran nothing (and so "passed").
    const count = (what: string): number => Number(new RegExp(`ℹ ${what} (\\d+)`).exec(output)?.[1] ?? -1);
    assert.ok(count('tests') >= 6, output);
    assert.equal(count('pass'), count('tests'), output);
  });

  describe('the shared test DC', () => {
    let first: SambaHandle | undefined;
    before(async () => {
      first = await ensureSamba(testAdDir());
    });
    after(async () => {
      await first?.stop();
    });

    test('a second start joins the running DC, and returning that lease leaves it running', async () => {
      assert.ok(first);
      const second = await ensureSamba(testAdDir());
      assert.equal(second.reused, true);
      assert.equal(second.pid, first.pid);
      assert.equal(second.bindPassword, first.bindPassword);
      await second.stop();
      assert.ok(isRunning(first.pid));
      await new DirectoryClient(first).verifyBind();
    });
  });
}
