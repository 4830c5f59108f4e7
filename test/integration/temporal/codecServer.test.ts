// The Web UI's codec endpoint over real HTTP: decodes what the payload codec encrypted,
// answers the browser's CORS preflight for the UI's origin, and refuses bad bodies.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter } from '@temporalio/common';
import { parseKeyRing } from '../../../src/secrets/keyFile';
import { startCodecServer, type CodecServer } from '../../../src/temporal/codecServer';
import { AesGcmPayloadCodec } from '../../../src/temporal/payloadCodec';

const keys = parseKeyRing(`k1:${randomBytes(32).toString('base64')}`, 'test');
const ORIGIN = 'http://127.0.0.1:8233';
let server: CodecServer;
before(async () => { server = await startCodecServer({ host: '127.0.40.2', port: 0, keys, allowedOrigin: ORIGIN }); });
after(async () => { await server?.close(); });

const toJson = (p: { metadata?: Record<string, Uint8Array> | null; data?: Uint8Array | null }) => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
});

test('POST /decode returns the payloads in clear', async () => {
  const [encrypted] = await new AesGcmPayloadCodec(keys).encode([defaultPayloadConverter.toPayload({ stage: 'phase1' })]);
  const response = await fetch(`${server.url}/decode`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-namespace': 'default' }, body: JSON.stringify({ payloads: [toJson(encrypted)] }) });
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('access-control-allow-origin'), ORIGIN);
  const body = await response.json() as { payloads: { metadata: Record<string, string>; data: string }[] };
  assert.equal(Buffer.from(body.payloads[0].metadata.encoding, 'base64').toString(), 'json/plain');
  assert.deepEqual(JSON.parse(Buffer.from(body.payloads[0].data, 'base64').toString()), { stage: 'phase1' });
});

test('the CORS preflight names the UI origin and the headers the UI sends', async () => {
  const response = await fetch(`${server.url}/decode`, { method: 'OPTIONS', headers: { origin: ORIGIN, 'access-control-request-method': 'POST' } });
  assert.equal(response.status, 204);
  assert.equal(response.headers.get('access-control-allow-origin'), ORIGIN);
  assert.match(response.headers.get('access-control-allow-headers') ?? '', /X-Namespace/);
});

test('bad bodies and unknown paths are refused', async () => {
  assert.equal((await fetch(`${server.url}/decode`, { method: 'POST', body: 'not json' })).status, 400);
  const foreignKey = await new AesGcmPayloadCodec(parseKeyRing(`k9:${randomBytes(32).toString('base64')}`, 'x')).encode([defaultPayloadConverter.toPayload(1)]);
  const wrongKey = await fetch(`${server.url}/decode`, { method: 'POST', body: JSON.stringify({ payloads: [toJson(foreignKey[0])] }) });
  assert.equal(wrongKey.status, 400);
  assert.match(await wrongKey.text(), /codec key "k9" \(fingerprint [0-9a-f]{16}\), which this process.s key ring/);
  assert.equal((await fetch(`${server.url}/other`, { method: 'POST', body: '{}' })).status, 404);
});
