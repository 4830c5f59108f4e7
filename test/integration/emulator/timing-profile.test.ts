// The emulator's timing profile (src/emulator/firmware/timing.ts) on the wire: off by default,
// and with 'real-firmware' each delay is where docs/amt-protocol.md ("Real-firmware timing")
// puts it: every round trip, the TLS handshake, GenerateKeyPair, CommitChanges, and the TLS
// restart after commit. Prepared keys (firmware/preparedKeys.ts) are each device's own.
// Small-business mode: CommitChanges needs only the admin ACL entry (and turns TLS off).
// Addresses: 127.200.0.x.
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { once } from 'node:events';
import net from 'node:net';
import tls from 'node:tls';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TIMING_PROFILES } from '../../../src/emulator/firmware/timing';
import { registerServices } from '../../../src/emulator/services';
import { digestPassword, methodOutput, okBody, wsmanPoster, type WsmanPost } from './services-client';
import { authorization, parseChallenge, rawRequest } from './support/deviceClient';
import { MEBX_PASSWORD, startHarness, type Harness } from './support/emulatorHarness';
import { validProvisioningChain } from './support/testPki';
import { request } from './support/wsmanPhase1';

const SUFFIX = 'timing.example.com';
const IP = (i: number) => `127.200.0.${i + 1}`;
const REAL = TIMING_PROFILES['real-firmware'];

let harness: Harness;
let provisioning: ReturnType<typeof validProvisioningChain>;

const poster = (index: number): WsmanPost =>
  wsmanPoster(() => ({ host: IP(index), port: 16993, tls: { keyPem: provisioning.keyPem, chainPems: provisioning.chainPems }, username: 'admin', password: MEBX_PASSWORD }));
const timingDelayMs = async (index: number) => (await harness.control.get<{ timingDelayMs: number }>(`/devices/${index}/counters`)).timingDelayMs;

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - started };
}

before(async () => {
  provisioning = validProvisioningChain(SUFFIX);
  harness = await startHarness({
    count: 4, baseIp: IP(0), controlHost: '127.200.0.250', domainSuffix: SUFFIX, trustedRootHashes: provisioning.trustedRootHashes,
    registerServices, provisioningMode: 'small-business', preparedKeys: true,
  });
  // Device 0 stays on the default; devices 1 to 3 answer like real firmware.
  for (const index of [1, 2, 3]) assert.equal((await harness.control.post<{ name: string }>(`/devices/${index}/timing`, { profile: 'real-firmware' })).name, 'real-firmware');
});

after(async () => {
  await harness?.close();
});

void describe('timing profile', () => {
  void it('is instant by default: no delay counted', async () => {
    assert.equal((await harness.control.get<{ timing: { name: string } }>('/devices/0')).timing.name, 'instant');
    okBody(await poster(0)(request.enumerate('AMT_GeneralSettings')), 'EnumerateResponse');
    methodOutput(await poster(0)(request.generateKeyPair(0, 2048)), 'GenerateKeyPair');
    assert.equal(await timingDelayMs(0), 0);
  });

  void it('real-firmware: a request takes at least one handshake and one round trip', async () => {
    const { ms } = await timed(async () => okBody(await poster(1)(request.enumerate('AMT_GeneralSettings')), 'EnumerateResponse'));
    assert.ok(ms >= REAL.tlsHandshakeMs + REAL.requestMs, `took ${ms.toFixed(0)} ms`);
    assert.ok((await timingDelayMs(1)) >= REAL.tlsHandshakeMs + REAL.requestMs);
  });

  void it('real-firmware: GenerateKeyPair takes at least the key generation time', async () => {
    const { ms } = await timed(async () => methodOutput(await poster(1)(request.generateKeyPair(0, 2048)), 'GenerateKeyPair'));
    assert.ok(ms >= REAL.keyGenerationMs[2048], `took ${ms.toFixed(0)} ms`);
  });

  void it('real-firmware: CommitChanges takes the commit time, then handshakes wait for the TLS restart', async () => {
    const post = poster(2);
    const realm = harness.fleet.devices[2].firmware.state.digestRealm;
    methodOutput(await post(request.setAdminAclEntryEx('admin', digestPassword('admin', realm, 'Adm1n!Timing#1'))), 'SetAdminAclEntryEx');
    const { ms } = await timed(async () => methodOutput(await post(request.commitChanges()), 'CommitChanges'));
    const answeredAt = performance.now();
    assert.ok(ms >= REAL.commitMs, `commit took ${ms.toFixed(0)} ms`);
    // TLS is off after a small-business commit: the device closes the connection, but only once its TLS stack is back.
    const socket = net.connect({ host: IP(2), port: 16993 });
    await new Promise((resolve) => socket.once('close', resolve));
    const heldMs = performance.now() - answeredAt;
    assert.ok(heldMs >= REAL.tlsApplyMs - 200, `closed after ${heldMs.toFixed(0)} ms`);
    const counters = await harness.control.get<{ tlsRefusals: { reason: string }[] }>('/devices/2/counters');
    assert.equal(counters.tlsRefusals.at(-1)?.reason, 'tls-disabled');
  });

  // Defect found by the benchmark: on a kept-alive session the previous answer's late 'close'
  // cleared the request in flight, so the TLS restart after commit reset the socket instead of
  // answering CommitChanges, and the client retried the commit with the old password. Two
  // pipelined requests make that order certain: the second starts before the first closes.
  void it('real-firmware: a pipelined CommitChanges is answered before its session closes', async () => {
    const first = await rawRequest({ host: IP(3), port: 16993, tls: { keyPem: provisioning.keyPem, chainPems: provisioning.chainPems }, path: '/wsman', body: request.enumerate('AMT_GeneralSettings') });
    const challenge = parseChallenge(first.headers['www-authenticate']);
    const realm = harness.fleet.devices[3].firmware.state.digestRealm;
    const post = (xml: string, nc: number): string => {
      const auth = authorization({ username: 'admin', password: MEBX_PASSWORD, challenge, method: 'POST', uri: '/wsman', nc });
      return `POST /wsman HTTP/1.1\r\nHost: ${IP(3)}\r\nAuthorization: ${auth}\r\nContent-Type: application/soap+xml\r\nContent-Length: ${Buffer.byteLength(xml)}\r\n\r\n${xml}`;
    };
    const socket = tls.connect({ host: IP(3), port: 16993, key: provisioning.keyPem, cert: provisioning.chainPems.join('\n'), rejectUnauthorized: false });
    await once(socket, 'secureConnect');
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    socket.on('error', () => undefined);
    socket.write(post(request.setAdminAclEntryEx('admin', digestPassword('admin', realm, 'Adm1n!Timing#2')), 1) + post(request.commitChanges(), 2));
    await once(socket, 'close');
    assert.equal(received.match(/HTTP\/1\.1 200/g)?.length, 2, received.slice(0, 300));
    assert.match(received, /CommitChanges_OUTPUT/);
    assert.equal(harness.fleet.devices[3].firmware.phase, 'post');
  });

  void it('prepared keys: GenerateKeyPair hands out the device\'s own prepared key once, then generates', async () => {
    const files = [0, 1].map((i) => path.join(harness.stateDir, `${harness.fleet.devices[i].firmware.uuid}.keys.json`));
    for (const file of files) assert.equal(statSync(file).mode & 0o777, 0o600);
    const prepared = files.map((file) => (JSON.parse(readFileSync(file, 'utf8')) as { keys: { publicKeyDer: string }[] }).keys[0].publicKeyDer);
    assert.notEqual(prepared[0], prepared[1], 'two devices never share a key');
    const firmware = harness.fleet.devices[0].firmware;
    const held = firmware.state.keyStore.keyPairs.map((k) => k.publicKeyDer);
    assert.ok(held.includes(prepared[0]), 'the first GenerateKeyPair (first test) got the prepared key');
    const second = await firmware.generateKeyPair(2048);
    assert.notEqual(second.publicKeyDer, prepared[0], 'a second call generates a new key');
  });
});
