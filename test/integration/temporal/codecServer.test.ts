// The codec endpoint over real HTTP, sent exactly what its clients send (measured: Web UI
// 2.54.1 in Chromium, Temporal CLI 1.9.1): the UI's CORS preflight and POST with
// `?preserveStorageRefs=true` and its session cookie, the CLI's `<prefix>//decode` with its
// bearer token; and every refusal with its status.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { parseKeyRing } from '../../../src/secrets/keyFile';
import { codecAuth, newCodecSecret } from '../../../src/temporal/codecAuth';
import { MAX_CODEC_BODY_BYTES, startCodecServer, type CodecServer } from '../../../src/temporal/codecServer';
import { AesGcmPayloadCodec } from '../../../src/temporal/payloadCodec';

const keys = parseKeyRing(`k1:${randomBytes(32).toString('base64')}`, 'test');
const ORIGIN = 'http://127.0.0.1:8233';
const UI_QUERY = '?preserveStorageRefs=true';
const TOKEN = newCodecSecret();
const LOGIN_CODE = newCodecSecret();
let server: CodecServer;
/** The browser's session cookie, from the login URL (as `name=value`). */
let session: string;
before(async () => {
  server = await startCodecServer({
    host: '127.0.40.2', port: 0, keys, allowedOrigin: ORIGIN,
    auth: codecAuth({ tokens: [TOKEN], login: { code: LOGIN_CODE, uiUrl: ORIGIN } }),
  });
  const login = await fetch(`${server.url}/login?code=${LOGIN_CODE}`, { redirect: 'manual' });
  assert.equal(login.status, 303);
  session = (login.headers.get('set-cookie') ?? '').split(';')[0];
});
after(async () => { await server?.close(); });

const toJson = (p: Payload) => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
});
const fromJson = (p: { metadata: Record<string, string>; data: string }) => ({
  encoding: Buffer.from(p.metadata.encoding, 'base64').toString(), value: JSON.parse(Buffer.from(p.data, 'base64').toString()) as unknown,
});
const encrypted = async (value: unknown) => (await new AesGcmPayloadCodec(keys).encode([defaultPayloadConverter.toPayload(value)]))[0];

/** The UI's POST: its headers, its origin, its body shape, its session cookie ("include cross-origin credentials"). */
const uiPost = (path: string, body: string) => fetch(`${server.url}${path}`, {
  method: 'POST', body, headers: { origin: ORIGIN, 'content-type': 'application/json', 'x-namespace': 'default', cookie: session },
});

test('the UI preflight is answered for its origin, with exactly the method and headers it asks for', async () => {
  const response = await fetch(`${server.url}/decode${UI_QUERY}`, {
    method: 'OPTIONS',
    headers: { origin: ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-namespace' },
  });
  assert.equal(response.status, 204);
  assert.equal(response.headers.get('access-control-allow-origin'), ORIGIN);
  assert.equal(response.headers.get('access-control-allow-methods'), 'POST');
  const allowed = (response.headers.get('access-control-allow-headers') ?? '').split(',').map((h) => h.trim().toLowerCase());
  for (const header of ['content-type', 'x-namespace', 'authorization']) assert.ok(allowed.includes(header), `allows ${header}`);
  assert.equal(response.headers.get('access-control-allow-credentials'), 'true', 'the UI may send its session cookie');
  const viaLocalhost = await fetch(`${server.url}/decode${UI_QUERY}`, { method: 'OPTIONS', headers: { origin: 'http://localhost:8233', 'access-control-request-method': 'POST' } });
  assert.equal(viaLocalhost.status, 204, 'the same UI opened as localhost');
  assert.equal(viaLocalhost.headers.get('access-control-allow-origin'), 'http://localhost:8233');
  const otherPort = await fetch(`${server.url}/decode`, { method: 'OPTIONS', headers: { origin: 'http://localhost:9999', 'access-control-request-method': 'POST' } });
  assert.equal(otherPort.status, 403);
});

test("the UI's POST /decode?preserveStorageRefs=true returns the payloads in clear", async () => {
  const response = await uiPost(`/decode${UI_QUERY}`, JSON.stringify({ payloads: [toJson(await encrypted({ stage: 'phase1' }))] }));
  assert.equal(response.status, 200, await response.clone().text());
  assert.equal(response.headers.get('access-control-allow-origin'), ORIGIN);
  const body = await response.json() as { payloads: { metadata: Record<string, string>; data: string }[] };
  assert.deepEqual(body.payloads.map(fromJson), [{ encoding: 'json/plain', value: { stage: 'phase1' } }]);
});

test("the CLI's requests under a prefix, with its doubled and trailing slashes, encode and decode", async () => {
  const plain = toJson(defaultPayloadConverter.toPayload({ uuid: 'u-1' }));
  const headers = { 'content-type': 'application/json', 'x-namespace': 'default', 'user-agent': 'Go-http-client/1.1', authorization: `Bearer ${TOKEN}` };
  const encodedResponse = await fetch(`${server.url}/codec//encode`, { method: 'POST', headers, body: JSON.stringify({ payloads: [plain] }) });
  assert.equal(encodedResponse.status, 200);
  const encoded = (await encodedResponse.json() as { payloads: { metadata: Record<string, string>; data: string }[] }).payloads;
  assert.notEqual(Buffer.from(encoded[0].metadata.encoding, 'base64').toString(), 'json/plain', 'encode encrypts');
  for (const path of ['/codec//decode', '/codec/decode/', '/decode']) {
    const response = await fetch(`${server.url}${path}`, { method: 'POST', headers, body: JSON.stringify({ payloads: encoded }) });
    assert.equal(response.status, 200, path);
    const body = await response.json() as { payloads: { metadata: Record<string, string>; data: string }[] };
    assert.deepEqual(body.payloads.map(fromJson), [{ encoding: 'json/plain', value: { uuid: 'u-1' } }], path);
  }
});

test('refusals: unknown path 404, other methods 405, foreign origin 403, non-JSON 415/400, oversized 413, wrong key 400', async () => {
  const expectRefusal = async (response: Response, status: number, reason: RegExp) => {
    assert.equal(response.status, status, `${response.url}: ${status}`);
    assert.match(await response.text(), reason);
  };
  await expectRefusal(await uiPost(`/other${UI_QUERY}`, '{"payloads":[]}'), 404, /unknown path \/other; POST <prefix>\/decode/);
  const get = await fetch(`${server.url}/decode${UI_QUERY}`);
  assert.equal(get.headers.get('allow'), 'POST, OPTIONS');
  await expectRefusal(get, 405, /method GET not allowed/);
  await expectRefusal(await fetch(`${server.url}/decode`, { method: 'PUT', body: '{}' }), 405, /method PUT not allowed/);
  await expectRefusal(await fetch(`${server.url}/decode`, { method: 'POST', headers: { origin: 'http://evil.example', 'content-type': 'application/json' }, body: '{"payloads":[]}' }),
    403, /origin http:\/\/evil\.example is not the Temporal Web UI's \(http:\/\/127\.0\.0\.1:8233 or http:\/\/localhost:8233\)/);
  await expectRefusal(await fetch(`${server.url}/decode`, { method: 'POST', headers: { cookie: session }, body: 'not json' }), 415, /content-type must be application\/json, got text\/plain/);
  await expectRefusal(await uiPost('/decode', 'not json'), 400, /body is not JSON/);
  await expectRefusal(await uiPost('/decode', '{"payloads":[{"data":"***"}]}'), 400, /body payloads\.0\.data: .*base64/);
  await expectRefusal(await uiPost('/decode', '{"items":[]}'), 400, /body payloads: /);
  await expectRefusal(await uiPost('/decode', JSON.stringify({ payloads: [{ data: 'A'.repeat(MAX_CODEC_BODY_BYTES) }] })), 413, /body larger than 4194304 bytes/);
  // Streamed (chunked, no content-length): counted as it arrives.
  const chunk = new TextEncoder().encode('A'.repeat(1024 * 1024));
  let sent = 0;
  const stream = new ReadableStream<Uint8Array>({ pull(controller) { if (sent++ < 6) controller.enqueue(chunk); else controller.close(); } });
  await expectRefusal(await fetch(`${server.url}/decode`, { method: 'POST', headers: { 'content-type': 'application/json', cookie: session }, body: stream, duplex: 'half' }), 413, /body larger than/);
  const foreignKey = await new AesGcmPayloadCodec(parseKeyRing(`k9:${randomBytes(32).toString('base64')}`, 'x')).encode([defaultPayloadConverter.toPayload(1)]);
  await expectRefusal(await uiPost('/decode', JSON.stringify({ payloads: [toJson(foreignKey[0])] })), 400, /cannot decode: .*codec key "k9" \(fingerprint [0-9a-f]{16}\), which this process.s key ring/);
});

test('without TLS only loopback is allowed; without any credential no endpoint starts', async () => {
  const auth = codecAuth({ tokens: [TOKEN] });
  await assert.rejects(startCodecServer({ host: '0.0.0.0', port: 0, keys, allowedOrigin: ORIGIN, auth }), /refusing to listen on 0\.0\.0\.0 without TLS/);
  assert.throws(() => codecAuth({}), /no credential configured/);
});
