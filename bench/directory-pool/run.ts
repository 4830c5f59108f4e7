// Directory pool bench (performance issue 13): BENCH_OPS (default 200) computer-account
// creations at once against the Samba DC, as createDirectoryAccount makes them, once with a
// connection per operation (the code before the pool) and once through the pool, side by
// side in one run; the pool's size is AMTPROV_DIRECTORY_POOL's. Writes
// bench/directory-pool/results/<date>-pool<size>.json and prints it.
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { directoryPoolSize } from '../../src/config/environment';
import { DirectoryClient, DirectoryConnections, DirectoryError } from '../../src/directory';
import { ensureSamba, type SambaHandle } from '../../src/stack/samba';
import { deleteTree, testAdDir, withAdminClient } from '../../test/support/ad';
import { peakEstablishedDuring } from '../../test/support/establishedSockets';

const OPS = Number(process.env.BENCH_OPS ?? 200);

interface ModeResult {
  mode: string;
  operations: number;
  seconds: number;
  ok: number;
  /** Failed operations by cause: ECONNRESET, connect timeout, ... */
  failures: Record<string, number>;
  p50ms: number;
  p99ms: number;
  peakSockets: number;
  poolOpened?: number;
}

function causeOf(err: unknown): string {
  const cause = err instanceof DirectoryError ? err.cause : err;
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  if (code) return code;
  const message = cause instanceof Error ? cause.message : String(cause);
  return message.split(/[.(\n]/)[0]?.trim() ?? message;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
}

async function burst(samba: SambaHandle, mode: string, connections: DirectoryConnections | null): Promise<ModeResult> {
  const name = `bench-dp-${mode}-${randomBytes(4).toString('hex')}`;
  const ou = `OU=${name},${samba.baseDn}`;
  await withAdminClient(samba, (client) => client.add(ou, { objectClass: ['top', 'organizationalUnit'], ou: name }));
  try {
    const client = new DirectoryClient(samba, connections);
    const prefix = randomBytes(2).toString('hex').toUpperCase();
    const latencies: number[] = [];
    const failures: Record<string, number> = {};
    const started = performance.now();
    const { peak } = await peakEstablishedDuring(Number(new URL(samba.url).port || 636), () => Promise.all(Array.from({ length: OPS }, async (_, i) => {
      const netbiosName = `D${prefix}${String(i).padStart(5, '0')}`;
      const t0 = performance.now();
      try {
        await client.ensureComputerAccount({ ou, netbiosName, fqdn: `${netbiosName.toLowerCase()}.amt.test`, password: `Pw-${randomBytes(12).toString('base64url')}` });
        latencies.push(performance.now() - t0);
      } catch (err) {
        const cause = causeOf(err);
        failures[cause] = (failures[cause] ?? 0) + 1;
      }
    })));
    const seconds = (performance.now() - started) / 1000;
    latencies.sort((a, b) => a - b);
    return {
      mode, operations: OPS, seconds: Number(seconds.toFixed(2)), ok: latencies.length, failures,
      p50ms: Math.round(percentile(latencies, 0.5)), p99ms: Math.round(percentile(latencies, 0.99)), peakSockets: peak,
      ...(connections ? { poolOpened: connections.stats(samba)?.opened ?? 0 } : {}),
    };
  } finally {
    await deleteTree(samba, ou);
  }
}

async function main(): Promise<void> {
  const samba = await ensureSamba(testAdDir());
  try {
    const connections = new DirectoryConnections();
    const poolSize = directoryPoolSize();
    const results = [
      await burst(samba, 'per-operation', null),
      await burst(samba, 'pooled', connections),
    ];
    await connections.close();
    const report = { date: new Date().toISOString(), loadAverage: os.loadavg().map((l) => Number(l.toFixed(1))), poolSize, results };
    const dir = path.join(__dirname, 'results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, `${report.date.slice(0, 10)}-pool${poolSize}.json`), `${JSON.stringify(report, null, 2)}\n`);
    console.log(JSON.stringify(report, null, 2));
  } finally {
    await samba.stop();
  }
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
