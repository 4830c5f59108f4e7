// Site store bench: the operations a provisioning run makes, on SQLite and on PostgreSQL (a
// server started here from Debian's binaries), with one role and with two roles sharing the
// database. Writes bench/site-store/results/<date>.json and prints it.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openSiteStore, type SiteStore } from '../../src/site/store';
import { startPostgres } from '../../src/stack/postgres';

const DEVICES = Number(process.env.BENCH_DEVICES ?? 300);
const CONCURRENCY = 10;
const keyRing = { activeId: 'k1', keys: new Map([['k1', randomBytes(32)]]) };

/** What one run does to the store, roughly: look up, stage, promote, pin, status, audit. */
async function deviceRun(store: SiteStore, id: number, uuid: string): Promise<void> {
  await store.computers.findByUuid(uuid);
  await store.credentials.credentialCandidates(id);
  const ref = await store.credentials.stagePendingAdminPassword(id, 'Bench!Admin1');
  await store.credentials.promotePendingAdminPassword(id, ref);
  await store.computers.pinDeviceCertificate(id, randomBytes(32).toString('hex'));
  await store.computers.setStatus(id, 'Provisioned');
  await store.audit.recordAudit({ actor: 'bench', action: 'provisioning.finished', computerUuid: uuid, outcome: 'success' });
}

async function measure(roles: SiteStore[]): Promise<{ devices: number; seconds: number; runsPerSecond: number; p99ms: number }> {
  const devices: { uuid: string; id: number }[] = [];
  for (let i = 0; i < DEVICES; i++) {
    const uuid = randomUUID();
    devices.push({ uuid, id: (await roles[0].computers.add({ uuid, netbiosName: `B${randomBytes(6).toString('hex')}`, fqdn: `${uuid}.bench.test` })).id });
  }
  const latencies: number[] = [];
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(Array.from({ length: CONCURRENCY }, async (_, worker) => {
    const store = roles[worker % roles.length];
    while (next < devices.length) {
      const device = devices[next++];
      const t0 = process.hrtime.bigint();
      await deviceRun(store, device.id, device.uuid);
      latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
  }));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  latencies.sort((a, b) => a - b);
  return { devices: DEVICES, seconds: round(seconds), runsPerSecond: round(DEVICES / seconds), p99ms: round(latencies[Math.floor(latencies.length * 0.99)]) };
}

const round = (n: number) => Math.round(n * 100) / 100;

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'amtprov-bench-store-'));
  const results: Record<string, unknown> = {
    date: new Date().toISOString(), machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown', node: process.version, loadAverageAtStart: os.loadavg().map(round) },
    concurrency: CONCURRENCY, operationsPerRun: 'findByUuid, credentialCandidates, stage, promote, pin, setStatus, audit',
  };
  const pg = await startPostgres({ dir: path.join(dir, 'pg'), host: '127.0.158.1' });
  try {
    const sqlite = await openSiteStore({ location: path.join(dir, 'site.sqlite'), keyRing });
    results.sqliteOneProcess = await measure([sqlite]);
    await sqlite.close();
    const url = await pg.createDatabase('bench');
    const one = await openSiteStore({ location: url, keyRing });
    results.postgresOnePool = await measure([one]);
    const two = await openSiteStore({ location: url, keyRing });
    results.postgresTwoPools = await measure([one, two]);
    await Promise.all([one.close(), two.close()]);
  } finally {
    await pg.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  const out = path.join(__dirname, 'results');
  mkdirSync(out, { recursive: true });
  writeFileSync(path.join(out, `${String(results.date).slice(0, 10)}.json`), `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
