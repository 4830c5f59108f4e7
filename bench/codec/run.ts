// Benchmark (not a test): what the payload codec and the JSON payload converter cost per
// payload, and so per provisioning run (its payload count read from a recorded history,
// test/replay/fixtures). Answers issue 13's lever "cost per payload of the AES-GCM codec;
// protobuf vs JSON converter". See README.md.
//   npx tsx bench/codec/run.ts [--iterations 20000]
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { defaultPayloadConverter } from '@temporalio/common';
import { AesGcmPayloadCodec } from '../../src/temporal/payloadCodec';
import { parseKeyRing } from '../../src/secrets/keyFile';
import { fixturePath } from '../../test/replay/fixturePaths';

const { values } = parseArgs({ options: { iterations: { type: 'string', default: '20000' } } });
const iterations = Number(values.iterations);
if (!Number.isInteger(iterations) || iterations < 100) throw new Error(`--iterations must be a whole number >= 100, got ${values.iterations}`);

/** Values shaped like the run's: a small signal, an activity input, a validated device, a large phase 2 input. */
const SAMPLES: Record<string, unknown> = {
  'hello signal (~60 B)': { retryCount: 2, peerAddress: '127.2.0.17' },
  'device target (~150 B)': { computerId: 17, address: '127.2.0.17', certificateId: 1 },
  'provision input (~300 B)': { uuid: randomBytes(16).toString('hex'), mode: 'out-of-band', address: '127.2.0.17', trigger: 'hello', trustedRootHashes: [randomBytes(32).toString('hex'), randomBytes(48).toString('hex')] },
  'phase 2 input (~2 KB)': { computerId: 17, address: '127.2.0.17', certificateId: 1, directory: { dn: `CN=PC17,OU=${'x'.repeat(40)},DC=amt,DC=test`, spns: Array.from({ length: 12 }, (_, i) => `HTTP/pc17.amt.test:${16992 + i}`), notes: 'y'.repeat(1200) } },
};

/** Payloads a recorded successful run carried (every { metadata, data } object in its history). */
function payloadsPerRun(file: string): number {
  let count = 0;
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) { value.forEach(walk); return; }
    if (value && typeof value === 'object') {
      const record = value as Record<string, unknown>;
      if ('metadata' in record && 'data' in record) { count += 1; return; }
      Object.values(record).forEach(walk);
    }
  };
  walk(JSON.parse(readFileSync(file, 'utf8')));
  return count;
}

async function timeUs(fn: () => unknown): Promise<number> {
  for (let i = 0; i < Math.min(1000, iterations / 10); i++) await fn();
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) await fn();
  return Number(process.hrtime.bigint() - start) / 1000 / iterations;
}

async function main(): Promise<void> {
  const codec = new AesGcmPayloadCodec(parseKeyRing(`bench:${randomBytes(32).toString('base64')}`, 'bench codec'));
  const rows: { sample: string; bytes: number; toPayloadUs: number; encodeUs: number; decodeUs: number; fromPayloadUs: number }[] = [];
  for (const [sample, value] of Object.entries(SAMPLES)) {
    const payload = defaultPayloadConverter.toPayload(value);
    const [encrypted] = await codec.encode([payload]);
    rows.push({
      sample, bytes: payload.data?.length ?? 0,
      toPayloadUs: await timeUs(() => defaultPayloadConverter.toPayload(value)),
      encodeUs: await timeUs(() => codec.encode([payload])),
      decodeUs: await timeUs(() => codec.decode([encrypted])),
      fromPayloadUs: await timeUs(() => defaultPayloadConverter.fromPayload(payload)),
    });
  }
  const perRun = payloadsPerRun(fixturePath('modern'));
  const worst = rows.reduce((a, r) => Math.max(a, r.toPayloadUs + r.encodeUs + r.decodeUs + r.fromPayloadUs), 0);
  const round2 = (n: number): number => Math.round(n * 100) / 100;
  const results = {
    date: new Date().toISOString(), machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, node: process.version, loadAverage: os.loadavg().map((l) => round2(l)) },
    iterations,
    rows: rows.map((r) => ({ ...r, toPayloadUs: round2(r.toPayloadUs), encodeUs: round2(r.encodeUs), decodeUs: round2(r.decodeUs), fromPayloadUs: round2(r.fromPayloadUs) })),
    payloadsPerRun: perRun,
    // Each payload is encoded once and decoded at least once (worker, and again on replay after a cache eviction): an upper bound per run.
    worstCaseMsPerRun: round2((perRun * worst) / 1000),
  };
  console.table(results.rows);
  console.log(`payloads in a recorded modern run: ${perRun}; at the costliest size, all of them converted, encrypted, decrypted and parsed once: ${results.worstCaseMsPerRun} ms per run`);
  const dir = path.join(__dirname, 'results');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${results.date.slice(0, 10)}.json`);
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`written to ${path.relative(process.cwd(), file)}`);
}

void main();
