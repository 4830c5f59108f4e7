// Black-box: HTTP Digest on the device (section 4) over real mutual TLS.
import assert from 'node:assert/strict';
import tls from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { authorization, digestRequest, parseChallenge, rawRequest, type ClientTls, type RawRequest } from './support/deviceClient';
import { MEBX_PASSWORD, startHarness, type Harness } from './support/emulatorHarness';
import { validProvisioningChain } from './support/testPki';

const DEVICE_IP = '127.0.11.1';
const SUFFIX = 'digest.example.com';
let harness: Harness;
let clientTls: ClientTls;

const echo = (headers: Record<string, string> = {}): RawRequest => ({ host: DEVICE_IP, port: 16993, tls: clientTls, path: '/echo', headers, body: '<x/>' });

interface Counters {
  digestFailures: number;
  staleNonces: number;
  ncReplays: number;
  digestFailureLog: { kind: string; username: string }[];
}
const counters = () => harness.control.get<Counters>('/devices/0/counters');

before(async () => {
  const pki = validProvisioningChain(SUFFIX);
  clientTls = { keyPem: pki.keyPem, chainPems: pki.chainPems };
  harness = await startHarness({
    count: 1,
    baseIp: DEVICE_IP,
    controlHost: '127.0.11.250',
    domainSuffix: SUFFIX,
    trustedRootHashes: pki.trustedRootHashes,
    httpLimits: { headersTimeoutMs: 2000 },
  });
});
after(async () => {
  await harness?.close();
});

void describe('device Digest authentication (section 4)', () => {
  void it('answers 401 with the device realm, then accepts the MEBx password for admin', async () => {
    const first = await rawRequest(echo());
    assert.equal(first.status, 401);
    const challenge = parseChallenge(first.headers['www-authenticate']);
    assert.match(challenge.realm, /^Digest:[0-9A-F]{32}$/);
    assert.equal(challenge.qop, 'auth');
    assert.equal(challenge.stale, false);
    const device = await harness.control.get<{ firmware: { digestRealm: string } }>('/devices/0');
    assert.equal(challenge.realm, device.firmware.digestRealm);
    const { response } = await digestRequest(echo(), 'admin', MEBX_PASSWORD);
    assert.equal(response.status, 200);
    assert.equal((JSON.parse(response.body) as { bodyBytes: number }).bodyBytes, 4, 'the handler got the body');
  });

  void it('refuses a wrong password and counts the failure', async () => {
    const before = await counters();
    const { response } = await digestRequest(echo(), 'admin', 'Wrong!Pass1');
    assert.equal(response.status, 401);
    assert.equal(parseChallenge(response.headers['www-authenticate']).stale, false);
    const after = await counters();
    assert.equal(after.digestFailures, before.digestFailures + 1);
    assert.deepEqual(after.digestFailureLog.at(-1), { ...after.digestFailureLog.at(-1), kind: 'wrong-credentials', username: 'admin' });
  });

  void it('answers stale=true for an expired nonce with the right password, and the new nonce works', async () => {
    const challenge = parseChallenge((await rawRequest(echo())).headers['www-authenticate']);
    await harness.control.post('/devices/0/digest/expire-nonces');
    const before = await counters();
    const stale = await rawRequest(echo({ Authorization: authorization({ username: 'admin', password: MEBX_PASSWORD, challenge, method: 'POST', uri: '/echo', nc: 1 }) }));
    assert.equal(stale.status, 401);
    const fresh = parseChallenge(stale.headers['www-authenticate']);
    assert.equal(fresh.stale, true);
    assert.notEqual(fresh.nonce, challenge.nonce);
    const after = await counters();
    assert.equal(after.staleNonces, before.staleNonces + 1);
    assert.equal(after.digestFailures, before.digestFailures, 'a stale nonce is not a failed attempt');
    const retried = await rawRequest(echo({ Authorization: authorization({ username: 'admin', password: MEBX_PASSWORD, challenge: fresh, method: 'POST', uri: '/echo', nc: 1 }) }));
    assert.equal(retried.status, 200);
  });

  void it('refuses a replayed nc and accepts the next one', async () => {
    const challenge = parseChallenge((await rawRequest(echo())).headers['www-authenticate']);
    const withNc = (nc: number) => echo({ Authorization: authorization({ username: 'admin', password: MEBX_PASSWORD, challenge, method: 'POST', uri: '/echo', nc, cnonce: 'fixed' }) });
    assert.equal((await rawRequest(withNc(1))).status, 200);
    const before = await counters();
    assert.equal((await rawRequest(withNc(1))).status, 401, 'same nc again');
    assert.equal((await counters()).ncReplays, before.ncReplays + 1);
    assert.equal((await rawRequest(withNc(2))).status, 200);
  });

  void it('refuses unknown users and a uri that is not the request target', async () => {
    const unknown = await digestRequest(echo(), 'root', MEBX_PASSWORD);
    assert.equal(unknown.response.status, 401);
    assert.equal((await counters()).digestFailureLog.at(-1)?.kind, 'unknown-user');
    const challenge = parseChallenge((await rawRequest(echo())).headers['www-authenticate']);
    const otherUri = await rawRequest(echo({ Authorization: authorization({ username: 'admin', password: MEBX_PASSWORD, challenge, method: 'POST', uri: '/wsman', nc: 1 }) }));
    assert.equal(otherUri.status, 401);
    assert.equal((await counters()).digestFailureLog.at(-1)?.kind, 'malformed');
  });

  void it('refuses oversized bodies, DOCTYPEs and unknown paths after authentication', async () => {
    const big = await rawRequest({ ...echo(), body: 'x'.repeat(300 * 1024) });
    assert.equal(big.status, 413);
    const doctype = await digestRequest({ ...echo(), body: '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>' }, 'admin', MEBX_PASSWORD);
    assert.equal(doctype.response.status, 400);
    const unknownPath = await digestRequest({ ...echo(), path: '/NoSuchService' }, 'admin', MEBX_PASSWORD);
    assert.equal(unknownPath.response.status, 404);
    assert.match(unknownPath.response.body, /<s:Fault>.*no service at \/NoSuchService/s);
  });

  void it('closes a connection whose headers do not arrive in time (slow client)', { timeout: 30_000 }, async () => {
    const socket = tls.connect({ host: DEVICE_IP, port: 16993, key: clientTls.keyPem, cert: clientTls.chainPems!.join('\n'), rejectUnauthorized: false });
    await new Promise<void>((resolve, reject) => {
      socket.once('secureConnect', () => {
        socket.write('POST /echo HTTP/1.1\r\nHost: device\r\n');
        resolve();
      });
      socket.once('error', reject);
    });
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
    socket.on('error', () => undefined);
    await new Promise((resolve) => socket.once('close', resolve));
    assert.ok(answer === '' || answer.startsWith('HTTP/1.1 408'), `no service for a half request, got ${answer.slice(0, 40)}`);
  });
});
