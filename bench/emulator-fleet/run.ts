// Benchmark (not a test): start a fleet of emulated devices, report cold start (first boot:
// an RSA key and self-signed certificate per device), warm start (same state dir: a power
// cycle), resident memory, and the mutual-TLS handshakes per second the fleet serves to a
// client in another process. Writes results.json next to this file.
//   node --expose-gc --import tsx bench/emulator-fleet/run.ts [--count 1000] [--duration 30] [--concurrency 32]
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { startFleet, type FleetOptions } from '../../src/emulator/fleet';
import { validProvisioningChain } from '../../test/integration/emulator/support/testPki';

const { values } = parseArgs({
  options: { count: { type: 'string' }, duration: { type: 'string' }, concurrency: { type: 'string' } },
});
const count = Number(values.count ?? 1000);
const durationMs = Number(values.duration ?? 30) * 1000;
const concurrency = Number(values.concurrency ?? 32);

const mib = (bytes: number): number => Math.round((bytes / 1024 / 1024) * 10) / 10;
function rssAfterGc(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return mib(process.memoryUsage().rss);
}

function runClient(input: object): Promise<{ accepted: number; failed: number; seconds: number; perSecond: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'handshakeClient.ts'), JSON.stringify(input)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as never) : reject(new Error(`client exited ${code}`))));
  });
}

async function main(): Promise<void> {
  const stateDir = await mkdtemp(path.join(os.tmpdir(), 'emu-bench-'));
  const pki = validProvisioningChain('bench.example.com');
  const options: FleetOptions = {
    count,
    baseIp: '127.1.0.1',
    stateDir,
    provisionServer: null,
    domainSuffix: 'bench.example.com',
    trustedRootHashes: pki.trustedRootHashes,
    adminPasswords: ['Bench!Pass1'],
    control: { host: '127.1.255.250', port: 0 },
  };
  const rssBefore = rssAfterGc();
  try {
    let t = Date.now();
    let fleet = await startFleet(options);
    const coldStartMs = Date.now() - t;
    const rssCold = rssAfterGc();
    await fleet.stop();
    t = Date.now();
    fleet = await startFleet(options);
    const warmStartMs = Date.now() - t;
    const rssWarm = rssAfterGc();
    console.log(`${count} devices: cold start ${coldStartMs} ms, warm start ${warmStartMs} ms, RSS ${rssWarm} MiB`);

    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    let rssPeak = 0;
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, mib(process.memoryUsage().rss))), 500);
    const load = await runClient({ ips: fleet.devices.map((d) => d.config.ip), keyPem: pki.keyPem, chainPems: pki.chainPems, durationMs, concurrency });
    clearInterval(sampler);
    loop.disable();
    const tlsAccepted = fleet.devices.reduce((n, d) => n + d.firmware.counters.tlsAccepted, 0);
    await fleet.stop();
    const results = {
      date: new Date().toISOString(),
      machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown', memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, platform: `${os.platform()} ${os.release()}`, loadAverageAtEnd: os.loadavg().map((l) => Math.round(l * 10) / 10) },
      devices: count,
      coldStartMs,
      warmStartMs,
      rssMiB: { beforeFleet: rssBefore, afterColdStart: rssCold, afterWarmStart: rssWarm, peakUnderLoad: rssPeak },
      handshakes: { ...load, concurrency, deviceSideAccepted: tlsAccepted, eventLoopDelayP99Ms: Math.round(loop.percentile(99) / 1e5) / 10 },
    };
    console.log(JSON.stringify(results, null, 2));
    await writeFile(path.join(__dirname, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  } finally {
    await rm(stateDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
