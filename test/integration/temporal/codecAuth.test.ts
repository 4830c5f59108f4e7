// Who the codec endpoint answers, over real HTTP(S): nobody without a credential (nothing
// decoded, nothing encrypted); a browser after the per-start login URL, by its session
// cookie; the CLI by a static bearer token; a UI behind single sign-on by an OIDC access
// token checked against a real JWKS endpoint (signature, issuer, audience, expiry).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { defaultPayloadConverter } from '@temporalio/common';
import { parseKeyRing } from '../../../src/secrets/keyFile';
import { codecAuth, newCodecSecret, SESSION_COOKIE } from '../../../src/temporal/codecAuth';
import { startCodecServer, type CodecServer } from '../../../src/temporal/codecServer';
import { AesGcmPayloadCodec } from '../../../src/temporal/payloadCodec';

const IP = '127.0.180.1';
const ORIGIN = 'http://127.0.0.1:8233';
const keys = parseKeyRing(`k1:${randomBytes(32).toString('base64')}`, 'test');
const SECRET_FACT = 'computer-7-in-OU=AMT';

const toJson = (p: { metadata?: Record<string, Uint8Array> | null; data?: Uint8Array | null }) => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
});
const encryptedBody = async () => JSON.stringify({ payloads: [toJson((await new AesGcmPayloadCodec(keys).encode([defaultPayloadConverter.toPayload(SECRET_FACT)]))[0])] });
const plainBody = JSON.stringify({ payloads: [toJson(defaultPayloadConverter.toPayload(SECRET_FACT))] });

function post(server: CodecServer, route: string, body: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${server.url}/${route}`, { method: 'POST', body, headers: { 'content-type': 'application/json', origin: ORIGIN, ...headers } });
}

async function decodedText(response: Response): Promise<string> {
  assert.equal(response.status, 200, await response.clone().text());
  const body = await response.json() as { payloads: { data: string }[] };
  return Buffer.from(body.payloads[0].data, 'base64').toString();
}

describe('codec endpoint authentication', () => {
  const TOKENS = [newCodecSecret(), newCodecSecret()];
  const LOGIN_CODE = newCodecSecret();
  let clock = Date.now();
  let server: CodecServer;
  before(async () => {
    server = await startCodecServer({
      host: IP, port: 0, keys, allowedOrigin: ORIGIN,
      auth: codecAuth({ tokens: TOKENS, login: { code: LOGIN_CODE, uiUrl: `${ORIGIN}/namespaces/default/workflows` }, now: () => clock }),
    });
  });
  after(async () => { await server?.close(); });

  test('no credential, a wrong token, a forged cookie: 401 and nothing decoded or encrypted', async () => {
    const body = await encryptedBody();
    const attempts: Record<string, string>[] = [{}, { authorization: `Bearer ${newCodecSecret()}` }, { authorization: `Bearer ${LOGIN_CODE}` }, { authorization: TOKENS[0] },
      { cookie: `${SESSION_COOKIE}=${newCodecSecret()}` }, { cookie: `other=${TOKENS[0]}` }];
    for (const headers of attempts) {
      for (const [route, payload] of [['decode', body], ['encode', plainBody]] as const) {
        const response = await post(server, route, payload, headers);
        const text = await response.text();
        assert.equal(response.status, 401, `${route} with ${JSON.stringify(headers)}: ${text}`);
        assert.match(response.headers.get('www-authenticate') ?? '', /^Bearer /);
        assert.ok(!text.includes(SECRET_FACT) && !text.includes('payloads'), `${route} answered nothing but the refusal: ${text}`);
      }
    }
    const refused = await post(server, 'decode', body);
    assert.match(await refused.text(), /credentials required: Authorization: Bearer <token> or a session from \/login/);
  });

  test('the CLI: either configured bearer token decodes and encodes', async () => {
    for (const token of TOKENS) {
      assert.equal(await decodedText(await post(server, 'decode', await encryptedBody(), { authorization: `Bearer ${token}` })), JSON.stringify(SECRET_FACT));
      const encoded = await post(server, 'encode', plainBody, { authorization: `bearer ${token}` });
      assert.equal(encoded.status, 200);
    }
  });

  test('a browser: the login URL sets an HttpOnly SameSite=Strict session cookie and sends it to the UI; the cookie decodes until it expires', async () => {
    const wrong = await fetch(`${server.url}/login?code=${newCodecSecret()}`, { redirect: 'manual' });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.headers.get('set-cookie'), null);
    assert.equal((await fetch(`${server.url}/login?code=${LOGIN_CODE}`, { method: 'POST', redirect: 'manual' })).status, 405);

    const login = await fetch(`${server.url}/login?code=${LOGIN_CODE}`, { redirect: 'manual' });
    assert.equal(login.status, 303);
    assert.equal(login.headers.get('location'), `${ORIGIN}/namespaces/default/workflows`);
    assert.equal(login.headers.get('cache-control'), 'no-store');
    assert.equal(login.headers.get('referrer-policy'), 'no-referrer');
    const setCookie = login.headers.get('set-cookie') ?? '';
    const attributes = setCookie.split(';').map((a) => a.trim());
    for (const attribute of ['HttpOnly', 'SameSite=Strict', 'Path=/']) assert.ok(attributes.includes(attribute), `${attribute} in ${setCookie}`);
    assert.ok(!setCookie.includes(LOGIN_CODE), 'the cookie is a new session, not the login code');
    const cookie = attributes[0];
    assert.ok(cookie.startsWith(`${SESSION_COOKIE}=`));

    const preflight = await fetch(`${server.url}/decode`, { method: 'OPTIONS', headers: { origin: ORIGIN, 'access-control-request-method': 'POST' } });
    assert.equal(preflight.headers.get('access-control-allow-credentials'), 'true');
    const decoded = await post(server, 'decode', await encryptedBody(), { cookie });
    assert.equal(decoded.headers.get('access-control-allow-credentials'), 'true');
    assert.equal(await decodedText(decoded), JSON.stringify(SECRET_FACT));

    clock += 13 * 60 * 60 * 1000;
    assert.equal((await post(server, 'decode', await encryptedBody(), { cookie })).status, 401, 'a session ends after 12 h');
  });
});

describe('codec endpoint with OIDC access tokens over HTTPS (the UI with codec.passAccessToken)', () => {
  const ISSUER = 'https://sso.example.test/realms/site';
  const AUDIENCE = 'temporal-ui';
  const dir = mkdtempSync(path.join(os.tmpdir(), 'amtprov-codec-tls-'));
  let jwksServer: http.Server;
  let server: CodecServer;
  let sign: (claims: Record<string, unknown>, options?: { key?: 'site' | 'other'; expiresIn?: string }) => Promise<string>;
  let caPem: string;

  before(async () => {
    const jose = await import('jose');
    const site = await jose.generateKeyPair('RS256');
    const other = await jose.generateKeyPair('RS256');
    const jwk = { ...await jose.exportJWK(site.publicKey), kid: 'site-1', alg: 'RS256', use: 'sig' };
    jwksServer = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })));
    await new Promise<void>((resolve) => jwksServer.listen(0, IP, resolve));
    const jwksUrl = `http://${IP}:${(jwksServer.address() as AddressInfo).port}/certs`;
    sign = (claims, options = {}) => new jose.SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'site-1' }).setIssuedAt()
      .setExpirationTime(options.expiresIn ?? '5m').sign(options.key === 'other' ? other.privateKey : site.privateKey);

    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', `/CN=${IP}`,
      '-addext', `subjectAltName=IP:${IP}`, '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')], { stdio: 'ignore' });
    caPem = readFileSync(path.join(dir, 'cert.pem'), 'utf8');
    server = await startCodecServer({
      host: IP, port: 0, keys, allowedOrigin: ORIGIN, tls: { cert: caPem, key: readFileSync(path.join(dir, 'key.pem'), 'utf8') },
      auth: codecAuth({ oidc: { jwksUrl, issuer: ISSUER, audience: AUDIENCE } }),
    });
  });
  after(async () => {
    await server?.close();
    await new Promise((resolve) => jwksServer?.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  /** POST over HTTPS trusting the test certificate (fetch takes no CA). */
  const httpsPost = (body: string, authorization?: string) => new Promise<{ status: number; text: string }>((resolve, reject) => {
    const url = new URL(`${server.url}/decode`);
    const req = https.request({
      host: url.hostname, port: url.port, path: url.pathname, method: 'POST', ca: caPem,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), origin: ORIGIN, ...(authorization ? { authorization } : {}) },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c)).on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
    });
    req.once('error', reject);
    req.end(body);
  });

  test('a valid access token decodes; wrong audience, wrong issuer, expired, foreign key or no token: 401', async () => {
    assert.ok(server.url.startsWith('https://'));
    const body = await encryptedBody();
    const ok = await httpsPost(body, `Bearer ${await sign({ iss: ISSUER, aud: AUDIENCE, sub: 'operator@example.test' })}`);
    assert.equal(ok.status, 200, ok.text);
    assert.ok(ok.text.includes(Buffer.from(JSON.stringify(SECRET_FACT)).toString('base64')));
    const refused = {
      'wrong audience': await sign({ iss: ISSUER, aud: 'another-app' }),
      'wrong issuer': await sign({ iss: 'https://evil.example.test', aud: AUDIENCE }),
      expired: await sign({ iss: ISSUER, aud: AUDIENCE }, { expiresIn: '-1m' }),
      'foreign key': await sign({ iss: ISSUER, aud: AUDIENCE }, { key: 'other' }),
      'unsigned': `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ iss: ISSUER, aud: AUDIENCE })).toString('base64url')}.`,
    };
    for (const [what, token] of Object.entries(refused)) {
      const response = await httpsPost(body, `Bearer ${token}`);
      assert.equal(response.status, 401, what);
      assert.ok(!response.text.includes('payloads'), what);
    }
    assert.equal((await httpsPost(body)).status, 401, 'no token');
  });
});
