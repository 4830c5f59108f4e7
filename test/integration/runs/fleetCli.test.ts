// `amtprov import`, `status` and `status --watch` on a fleet of 2,000 computers, run as an
// operator runs them (child processes) against a real SQLite store and a real Temporal dev
// server whose worker runs the real workflow.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { RunControl } from '../../../src/runs/runControl';
import type { Computer } from '../../../src/site/computers';
import { provisioningWorkflowId, statusQuery } from '../../../src/workflows/definitions';
import { runsFixture, waitFor, type RunsFixture } from './support';

const FLEET = 2000;
const name = (i: number) => `FLEET-${String(i).padStart(4, '0')}`;
const uuid = (i: number) => `bbbbbbbb-0000-4000-8000-${String(i).padStart(12, '0')}`;

describe('amtprov on a fleet of 2,000 computers', () => {
  let f: RunsFixture;
  let csv: string;
  let computers: Computer[];
  before(async () => {
    f = await runsFixture('fleet');
    csv = path.join(f.dir, 'fleet.csv');
    const rows = Array.from({ length: FLEET }, (_, k) => `${name(k + 1)},${name(k + 1).toLowerCase()}.amt.test,${uuid(k + 1)}`);
    writeFileSync(csv, `${['Name,FQDN,SMBIOS GUID', ...rows].join('\r\n')}\r\n`);
  });
  after(async () => { await f?.close(); });

  test('import shows progress when asked and always a summary with the store\'s counts', async () => {
    const result = await f.cli(['import', csv, '--progress']);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(result.stdout.split('\n'), [
      'line 1: header, skipped', 'imported 2000, updated 0', 'site store: 2000 computers', '  AMT status  Unknown 2000', '  mode        none 2000', '']);
    const progress = result.stderr.trim().split('\n');
    assert.equal(progress.length, 40, 'one line per twentieth of the rows, checking then writing');
    assert.match(progress[0], /^checking: 100\/2000 rows \(5%, \d+\.\d s\)$/);
    assert.match(progress[19], /^checking: 2000\/2000 rows \(100%, \d+\.\d s\)$/);
    assert.match(progress[20], /^writing: 100\/2000 rows \(5%, \d+\.\d s\)$/);
    assert.match(progress[39], /^writing: 2000\/2000 rows \(100%, \d+\.\d s\)$/);

    const again = await f.cli(['import', csv]);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stderr, '', 'no progress on a pipe unless asked');
    assert.match(again.stdout, /^imported 0, updated 2000$/m);
    computers = await f.store.computers.list();
    assert.equal(computers.length, FLEET);
  });

  test('status leads with counts by AMT status and mode, then one page; filters and paging narrow it', async () => {
    // 30 Failed, 100 Provisioned out-of-band, 5 Provisioned in-band, the rest as imported.
    for (const c of computers.slice(0, 30)) await f.store.computers.setStatus(c.id, 'Failed', 'DeviceUnreachable: no answer');
    for (const [k, c] of computers.slice(30, 135).entries()) {
      await f.store.computers.setDeviceFacts(c.id, { provisioningMode: k < 100 ? 'out-of-band' : 'in-band' });
      await f.store.computers.setStatus(c.id, 'Provisioned');
    }

    const fleet = await f.cli(['status']);
    assert.equal(fleet.code, 0, fleet.stderr);
    const lines = fleet.stdout.trimEnd().split('\n');
    assert.deepEqual(lines.slice(0, 3), ['2000 computers', '  AMT status  Unknown 1865, Provisioned 105, Failed 30', '  mode        none 1895, out-of-band 100, in-band 5']);
    assert.match(lines[4], /^NAME +UUID +STATUS +MODE$/);
    assert.equal(lines.filter((l) => l.startsWith('FLEET-')).length, 50, 'one page of 50 by default');
    assert.equal(lines.at(-1), 'showing 1-50 of 2000; --offset 50 for the next page, --all for every one');

    const failed = await f.cli(['status', '--status', 'failed', '--limit', '10', '--offset', '25']);
    assert.equal(failed.code, 0, failed.stderr);
    const failedLines = failed.stdout.trimEnd().split('\n');
    assert.deepEqual(failedLines.slice(0, 3), ['30 of 2000 computers match status Failed', '  AMT status  Failed 30', '  mode        none 30']);
    const rows = failedLines.filter((l) => l.startsWith('FLEET-'));
    assert.deepEqual(rows.map((l) => l.split(' ')[0]), [26, 27, 28, 29, 30].map(name));
    assert.ok(rows.every((l) => /Failed +- +DeviceUnreachable: no answer$/.test(l)));
    assert.equal(failedLines.at(-1), 'showing 26-30 of 30, --all for every one');

    const byName = await f.cli(['status', '--name', 'fleet-001?', '--mode', 'out-of-band']);
    assert.equal(byName.code, 0, byName.stderr);
    assert.match(byName.stdout, /^0 of 2000 computers match mode out-of-band, name fleet-001\?$/m, 'FLEET-0010..19 are all Failed, never reached');
    const glob = await f.cli(['status', '--name', 'FLEET-01*', '--json']);
    const json = JSON.parse(glob.stdout) as { total: number; matched: number; counts: { byStatus: Record<string, number> }; computers: Record<string, unknown>[] };
    assert.equal(json.total, FLEET);
    assert.equal(json.matched, 100, 'FLEET-0100..0199');
    assert.deepEqual([json.counts.byStatus.Provisioned, json.counts.byStatus.Unknown], [36, 64], 'FLEET-0100..0135 Provisioned');
    assert.equal(json.computers.length, 50);
    assert.ok(json.computers.every((c) => !('secretRefs' in c)));

    const everyOne = await f.cli(['status', '--all']);
    assert.equal(everyOne.stdout.split('\n').filter((l) => l.startsWith('FLEET-')).length, FLEET);

    const bad = await f.cli(['status', '--status', 'Done']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /--status "Done" is not one of: Unknown, Not Supported, Detected, Not Provisioned, Provisioned, Externally Provisioned, Failed/);
    const help = await f.cli(['status', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /--watch/);
  });

  test('status --watch follows open runs until the fleet settles, then prints the final counts', async () => {
    const runs = new RunControl(f.client, f.taskQueue);
    const moving = computers.slice(1000, 1010);
    for (const c of moving) await runs.fromHello({ uuid: c.uuid, hostname: c.fqdn, address: '127.0.60.1', trustedRootHashes: ['00'.repeat(32)] }, 0);
    await waitFor(async () => (await Promise.all(moving.map((c) =>
      f.client.workflow.getHandle(provisioningWorkflowId(c.uuid)).query(statusQuery)))).every((s) => s.stage === 'tls'), 'all ten runs at tls');

    const watch = f.spawnCli(['status', '--watch', '--interval', '0.3']);
    let stdout = '';
    watch.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
    watch.stderr.on('data', (chunk: Buffer) => { process.stderr.write(chunk); });
    const exited = new Promise<number | null>((resolve) => watch.on('exit', (code) => resolve(code)));
    await waitFor(() => stdout.split('\n').filter((l) => l.includes('open runs 10;')).length >= 2, 'two watch lines with ten open runs')
      .catch((err: Error) => assert.fail(`${err.message}; the watch printed:\n${stdout}`));
    assert.equal(watch.exitCode, null, 'still watching while runs are open');
    for (const c of moving) f.release(c.id);
    assert.equal(await exited, 0);
    const lines = stdout.trimEnd().split('\n');
    assert.match(lines[0], /^\S+Z {2}open runs 10; AMT status Unknown 1865, Provisioned 105, Failed 30; mode none 1885, out-of-band 110, in-band 5$/);
    assert.deepEqual(lines.slice(-4), [
      'settled: no provisioning run is open', '2000 computers', '  AMT status  Unknown 1855, Provisioned 115, Failed 30', '  mode        none 1885, out-of-band 110, in-band 5']);
  });

  test('Ctrl-C ends status --watch early with the counts so far', async () => {
    const c = computers[1500];
    await new RunControl(f.client, f.taskQueue).fromHello({ uuid: c.uuid, hostname: c.fqdn, address: '127.0.60.2', trustedRootHashes: ['00'.repeat(32)] }, 0);
    const watch = f.spawnCli(['status', '--watch', '--interval', '0.3']);
    let stdout = '';
    watch.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
    watch.stderr.on('data', (chunk: Buffer) => { process.stderr.write(chunk); });
    const exited = new Promise<number | null>((resolve) => watch.on('exit', (code) => resolve(code)));
    await waitFor(() => stdout.includes('open runs 1;'), 'a watch line with the open run');
    watch.kill('SIGINT');
    assert.equal(await exited, 130);
    assert.match(stdout, /stopped; runs still open\n2000 computers\n {2}AMT status {2}Unknown 1855, Provisioned 115, Failed 30\n/);
    f.release(c.id);
  });
});
