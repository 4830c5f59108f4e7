// HTTP Digest over keep-alive mutual TLS against an in-test HTTPS Digest server that
// checks every response independently (its own MD5 arithmetic, nonce and nc tracking).
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DeviceTlsAgent } from '../../../src/amt/deviceTls';
import { DigestSession, rotateDigestCredentials } from '../../../src/amt/digestClient';
import {
  AllCredentialsRejected, DeviceUnreachable, DeviceXmlRejected, DigestCredentialRejected,
} from '../../../src/amt/errors';
import { issue, provisioningPki, rsaKey } from '../../unit/amt/support/testPki';
import { DigestDevice } from './support/digestDevice';

const HOST = '127.0.31.2';
const pki = provisioningPki();
const clientCredential = { privateKeyPem: pki.leaf.keyPem, chainPem: pki.chainPem };
const deviceCert = issue({ cn: 'Intel(R) AMT device', key: rsaKey(2048, 7) });
const device = new DigestDevice(HOST, deviceCert);
device.onAuthorized = (request, response) => response.end(request.url === '/big' ? 'x'.repeat(2048) : `echo:${request.body.toString()}`);
let agent: DeviceTlsAgent;

void describe('DigestSession and rotateDigestCredentials over HTTPS', () => {
  before(async () => {
    device.users.set('admin', 'P@ssw0rd-right');
    device.users.set('operator', 'Op-Pa55');
    await device.start();
  });
  after(() => device.stop());
  beforeEach(() => {
    device.reset();
    agent?.destroy();
    agent = new DeviceTlsAgent({ host: HOST, port: device.port, clientCredential, identity: {} });
  });

  void it('sends the first request without credentials, answers the 401, then reuses the nonce with nc+1 on one connection', async () => {
    const session = new DigestSession(agent, { username: 'admin', password: 'P@ssw0rd-right' });
    const first = await session.post('/wsman', 'one', 'text/xml');
    assert.equal(first.status, 200);
    assert.equal(first.body, 'echo:one');
    assert.equal(session.realm, device.realm);
    assert.equal((await session.post('/wsman', 'two', 'text/xml')).body, 'echo:two');
    assert.equal(device.unauthenticatedRequests, 1, 'only the very first request goes without credentials');
    assert.deepEqual(device.attempts.map((attempt) => [attempt.accepted, attempt.nc]), [[true, '00000001'], [true, '00000002']]);
    assert.equal(device.attempts[0].nonce, device.attempts[1].nonce);
    assert.equal(device.connections, 1, 'keep-alive: one TLS connection');
  });

  void it('retries a stale nonce with the new one without counting a failure', async () => {
    const session = new DigestSession(agent, { username: 'admin', password: 'P@ssw0rd-right' });
    await session.post('/wsman', 'one', 'text/xml');
    device.expireNonces();
    const response = await session.post('/wsman', 'two', 'text/xml');
    assert.equal(response.body, 'echo:two');
    assert.equal(session.staleRetries, 1);
    assert.equal(device.failures, 0);
    assert.deepEqual(device.attempts.map((attempt) => attempt.nc), ['00000001', '00000001']);
    assert.notEqual(device.attempts[0].nonce, device.attempts[1].nonce);
  });

  void it('reports a wrong password as DigestCredentialRejected, naming neither user nor password', async () => {
    const session = new DigestSession(agent, { username: 'admin', password: 'wrong-Secret-1' });
    await assert.rejects(session.post('/wsman', 'x', 'text/xml'), (error: unknown) => {
      assert.ok(error instanceof DigestCredentialRejected);
      assert.doesNotMatch(error.message, /admin|wrong-Secret-1/);
      return true;
    });
    assert.equal(device.failures, 1);
  });

  void it('rotates through the candidates in order and returns the first accepted id', async () => {
    const result = await rotateDigestCredentials(agent, [
      { id: 'cred-old', username: 'admin', password: 'old-Pass-1' },
      { id: 'cred-other', username: 'nobody', password: 'x' },
      { id: 'cred-current', username: 'admin', password: 'P@ssw0rd-right' },
      { id: 'cred-never-tried', username: 'operator', password: 'Op-Pa55' },
    ], { probe: async (session) => { await session.post('/probe', 'p', 'text/xml'); } });
    assert.equal(result.id, 'cred-current');
    assert.equal(result.rejected, 2);
    assert.deepEqual(device.attempts.map((attempt) => [attempt.username, attempt.accepted]), [['admin', false], ['nobody', false], ['admin', true]]);
    assert.equal((await result.session.post('/wsman', 'after', 'text/xml')).body, 'echo:after');
  });

  void it('uses the default probe (WS-Man Get of AMT_GeneralSettings, answered by both firmware families) when none is given', async () => {
    const seen: { url?: string; body: string }[] = [];
    const echo = device.onAuthorized;
    device.onAuthorized = (request, response) => { seen.push({ url: request.url, body: request.body.toString() }); echo(request, response); };
    try {
      const result = await rotateDigestCredentials(agent, [{ id: 'c1', username: 'operator', password: 'Op-Pa55' }]);
      assert.deepEqual(result.id, 'c1');
      assert.equal(result.rejected, 0);
    } finally {
      device.onAuthorized = echo;
    }
    assert.equal(seen.length, 1);
    assert.equal(seen[0].url, '/wsman');
    assert.match(seen[0].body, /AMT_GeneralSettings/);
    assert.match(seen[0].body, /transfer\/Get/);
  });

  void it('throws AllCredentialsRejected (non-retryable) with the ids only when none works', async () => {
    await assert.rejects(rotateDigestCredentials(agent, [
      { id: 'a', username: 'admin', password: 'Secret-A' },
      { id: 'b', username: 'admin', password: 'Secret-B' },
    ]), (error: unknown) => {
      assert.ok(error instanceof AllCredentialsRejected);
      assert.equal(error.retryable, false);
      assert.deepEqual(error.triedIds, ['a', 'b']);
      assert.doesNotMatch(error.message, /admin|Secret-A|Secret-B/);
      return true;
    });
    assert.equal(device.failures, 2);
  });

  void it('stops at a network error instead of trying the next credential', async () => {
    const closed = new DeviceTlsAgent({ host: HOST, port: 1, clientCredential, identity: {} });
    try {
      await assert.rejects(rotateDigestCredentials(closed, [{ id: 'a', username: 'admin', password: 'P@ssw0rd-right' }]), (error: unknown) => {
        assert.ok(error instanceof DeviceUnreachable);
        assert.equal(error.retryable, true);
        return true;
      });
    } finally {
      closed.destroy();
    }
  });

  void it('refuses an answer over the size cap', async () => {
    const session = new DigestSession(agent, { username: 'admin', password: 'P@ssw0rd-right' }, { maxResponseBytes: 1024 });
    await assert.rejects(session.post('/big', 'x', 'text/xml'), DeviceXmlRejected);
  });
});
