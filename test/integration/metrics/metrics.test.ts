// The Prometheus endpoints over real HTTP after real work: a child `amtprov worker --metrics`
// provisions an emulated device (real Temporal, TLS, Digest, Samba AD, SOAP, WS-Man) and its
// /metrics shows the run, every stage and the SDK's own worker metrics; the test process's
// endpoint shows what its hello listener, codec endpoint and directory client counted.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { defaultPayloadConverter } from '@temporalio/common';
import { DirectoryClient } from '../../../src/directory';
import { createLogger } from '../../../src/log';
import { startMetricsServer } from '../../../src/metrics/metricsServer';
import { parseKeyRing } from '../../../src/secrets/keyFile';
import { startCodecServer } from '../../../src/temporal/codecServer';
import { AesGcmPayloadCodec } from '../../../src/temporal/payloadCodec';
import { helloBytes } from '../../support/helloBytes';
import { useProvisioningStacks } from '../../support/provisioningStack';
import { parsePrometheusText, sampleValue, type Sample } from '../../support/prometheusText';

const BASE_IP = '127.0.46.1';
const WORKER_METRICS = '127.0.46.251:9464';
const TEST_METRICS_IP = '127.0.46.252';

async function scrape(url: string): Promise<Sample[]> {
  const response = await fetch(url);
  assert.equal(response.status, 200, `GET ${url}`);
  assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return parsePrometheusText(await response.text());
}

async function waitForScrape(url: string, ready: (samples: Sample[]) => boolean, what: string): Promise<Sample[]> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const samples = await scrape(url).catch(() => undefined);
    if (samples && ready(samples)) return samples;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what} at ${url}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function sendRaw(data: Buffer, host: string, port: number, from: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port, localAddress: from }, () => socket.end(data));
    socket.resume(); // read the listener's answer (the HTTP page), or the socket never closes
    socket.on('close', () => resolve());
    socket.on('error', reject);
  });
}

const STAGES = ['validate', 'tls', 'digest', 'directory', 'phase1', 'phase2', 'report'] as const;

describe('metrics endpoints', () => {
  const { stack } = useProvisioningStacks();

  test('after a provisioning run the counters moved, on the worker\'s endpoint and on the listener\'s', async (t) => {
    const log = createLogger('metrics-test', { level: 'warn' });
    const own = await startMetricsServer({ host: TEST_METRICS_IP, port: 0, log });
    t.after(() => own.close());
    const before = await scrape(own.url);

    const s = await stack(t, { baseIp: BASE_IP, worker: 'child-process', workerMetrics: WORKER_METRICS });
    const result = await s.waitForResult(0);
    assert.equal(result.outcome, 'Provisioned');
    assert.equal((await s.store.computers.findByUuid(s.uuids[0]))!.amtStatus, 'Provisioned');

    // The child worker is a fresh process: its product counters count exactly this one run.
    const workerUrl = `http://${WORKER_METRICS}/metrics`;
    const worker = await waitForScrape(workerUrl,
      (samples) => sampleValue(samples, 'amtprov_runs_finished_total', { outcome: 'Provisioned', mode: 'out-of-band' }) === 1, 'the run to be counted');
    assert.equal(sampleValue(worker, 'amtprov_runs_started_total', { mode: 'out-of-band', trigger: 'hello' }), 1);
    assert.equal(sampleValue(worker, 'amtprov_runs_finished_total', { outcome: 'Failed' }), 0);
    for (const stage of STAGES) {
      assert.equal(sampleValue(worker, 'amtprov_stage_duration_seconds_count', { stage, outcome: 'ok' }), 1, `one ok attempt of ${stage}`);
      assert.ok(sampleValue(worker, 'amtprov_stage_duration_seconds_sum', { stage, outcome: 'ok' }) > 0, `${stage} took some time`);
    }
    assert.equal(sampleValue(worker, 'amtprov_stage_duration_seconds_count', { stage: 'identity' }), 0, 'no identity stage out-of-band');
    assert.equal(sampleValue(worker, 'amtprov_stage_errors_total', {}), 0);
    // The digest stage, phase 1 and phase 2 each log in by rotation; the device took the first credential.
    assert.equal(sampleValue(worker, 'amtprov_digest_rotations_total', { outcome: 'accepted' }), 3);
    assert.equal(sampleValue(worker, 'amtprov_digest_rejected_before_accept_sum', {}), 0);
    assert.equal(sampleValue(worker, 'amtprov_directory_errors_total', {}), 0);
    // The SDK runtime's own worker metrics, merged into the same scrape.
    assert.equal(sampleValue(worker, 'amtprov_sdk_metrics_up', {}), 1);
    assert.ok(sampleValue(worker, 'temporal_workflow_completed_total', { task_queue: s.taskQueue }) >= 1, 'the SDK counted the completed workflow');
    assert.equal(sampleValue(worker, 'temporal_activity_execution_latency_seconds_count', { task_queue: s.taskQueue, activity_type: 'phase2Wsman' }), 1);
    assert.ok(worker.some((m) => m.name === 'temporal_worker_task_slots_available'), 'slot gauges are served');
    assert.ok(worker.some((m) => m.name === 'process_resident_memory_bytes'), 'process metrics are served');
    // Every SDK metric docs/metrics.md (and so the example dashboard) relies on is really served.
    const documentedSdk = [...readFileSync(path.resolve(__dirname, '../../../docs/metrics.md'), 'utf8').matchAll(/^\| `(temporal_[a-z_]+)` \| ([a-z]+) \|/gm)];
    assert.ok(documentedSdk.length > 0);
    for (const [, name, type] of documentedSdk) {
      const served = type === 'histogram' ? `${name}_count` : name;
      assert.ok(worker.some((m) => m.name === served), `${served} (docs/metrics.md) is served`);
    }

    // This process ran the hello listener: the device's Hellos were forwarded to its run.
    const afterRun = await scrape(own.url);
    const delta = (name: string, labels: Record<string, string> = {}): number => sampleValue(afterRun, name, labels) - sampleValue(before, name, labels);
    assert.ok(delta('amtprov_hellos_forwarded_total', { result: 'ok' }) >= 1, 'the device\'s Hello reached its run');
    assert.equal(delta('amtprov_hellos_received_total'), s.listener.stats().connections);

    // Hellos the listener must drop, each with its reason, and a browser on the port.
    const from = BASE_IP.replace(/\.\d+$/, '.200');
    await sendRaw(helloBytes({ uuid: randomUUID(), hashes: [{ algorithm: 2, hex: 'ab'.repeat(32) }] }), s.listener.host, s.listener.port, from);
    await sendRaw(Buffer.from([1, 0, 3]), s.listener.host, s.listener.port, from);
    await sendRaw(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), s.listener.host, s.listener.port, from);
    // The Web UI codec endpoint: a payload under a key the ring lacks, and a body that is no JSON.
    const keys = parseKeyRing(`k1:${randomBytes(32).toString('base64')}`, 'test');
    const codec = await startCodecServer({ host: TEST_METRICS_IP, port: 0, keys, allowedOrigin: 'http://127.0.0.1:8233' });
    t.after(() => codec.close());
    const [foreign] = await new AesGcmPayloadCodec(parseKeyRing(`k9:${randomBytes(32).toString('base64')}`, 'other')).encode([defaultPayloadConverter.toPayload(1)]);
    const foreignJson = { metadata: Object.fromEntries(Object.entries(foreign.metadata!).map(([k, v]) => [k, Buffer.from(v).toString('base64')])), data: Buffer.from(foreign.data!).toString('base64') };
    const json = { 'content-type': 'application/json' };
    assert.equal((await fetch(`${codec.url}/decode`, { method: 'POST', headers: json, body: JSON.stringify({ payloads: [foreignJson] }) })).status, 400);
    assert.equal((await fetch(`${codec.url}/decode`, { method: 'POST', headers: json, body: 'not json' })).status, 400);
    // The directory refuses a wrong bind password.
    const facts = s.facts;
    const wrongBind = new DirectoryClient({
      url: facts.url, bindDn: facts.bindDn, bindPassword: `${facts.bindPassword}-wrong`, baseDn: facts.baseDn,
      caCertPem: facts.caCertPem, tlsServerName: facts.tlsServerName,
    });
    await assert.rejects(wrongBind.verifyBind(), { type: 'DirectoryCredentialsRejected' });

    const after = await waitForScrape(own.url, (samples) => sampleValue(samples, 'amtprov_hellos_dropped_total', { reason: 'http-request' }) > sampleValue(afterRun, 'amtprov_hellos_dropped_total', { reason: 'http-request' }), 'the drops to be counted');
    const moved = (name: string, labels: Record<string, string> = {}): number => sampleValue(after, name, labels) - sampleValue(afterRun, name, labels);
    assert.equal(moved('amtprov_hellos_received_total'), 3);
    assert.equal(moved('amtprov_hellos_dropped_total', { reason: 'unknown-uuid' }), 1);
    assert.equal(moved('amtprov_hellos_dropped_total', { reason: 'malformed:short' }), 1);
    assert.equal(moved('amtprov_hellos_dropped_total', { reason: 'http-request' }), 1);
    assert.equal(moved('amtprov_hellos_dropped_total'), 3, 'nothing else was dropped');
    assert.equal(moved('amtprov_codec_failures_total', { operation: 'decode', kind: 'unknown-key' }), 1);
    // Both refusals are 400s: the unknown key and the body that is no JSON.
    assert.equal(moved('amtprov_codec_endpoint_rejected_total', { reason: 'bad-body' }), 2);
    assert.equal(moved('amtprov_directory_errors_total', { type: 'DirectoryCredentialsRejected', ldap_result: 'invalidCredentials' }), 1);
    // No SDK exporter in this process: the endpoint says so rather than failing the scrape.
    assert.ok(!after.some((m) => m.name.startsWith('temporal_')));
    assert.equal(sampleValue(after, 'amtprov_sdk_metrics_up', {}), 0);
  });

  test('anything but GET /metrics is refused', async (t) => {
    const endpoint = await startMetricsServer({ host: TEST_METRICS_IP, port: 0, log: createLogger('metrics-test', { level: 'error' }) });
    t.after(() => endpoint.close());
    const base = endpoint.url.replace(/\/metrics$/, '');
    assert.equal((await fetch(`${base}/`)).status, 404);
    assert.equal((await fetch(endpoint.url, { method: 'POST', body: '' })).status, 404);
    assert.equal((await fetch(`${endpoint.url}?x=1`)).status, 200);
  });
});
