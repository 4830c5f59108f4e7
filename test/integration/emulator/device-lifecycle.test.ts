// Black-box (sockets + control API): persistence across an emulator restart, the plain port's
// policy, power, and every injected fault. Commits are driven in-process through the firmware
// API (the SOAP services that normally drive them are tested in services-*.test.ts).
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { DeviceSummary } from '../../../src/emulator/device';
import { PowerLossError } from '../../../src/emulator/firmware/errors';
import type { TlsRefusal } from '../../../src/emulator/firmware/counters';
import { digestRequest, rawRequest, type ClientTls } from './support/deviceClient';
import { MEBX_PASSWORD, startHarness, type Harness } from './support/emulatorHarness';
import { validProvisioningChain } from './support/testPki';

const SUFFIX = 'life.example.com';
const NEW_ADMIN_PASSWORD = 'N3w!AdminPass';
const pki = validProvisioningChain(SUFFIX);
const tls: ClientTls = { keyPem: pki.keyPem, chainPems: pki.chainPems };
let harness: Harness;

const ip = (index: number) => `127.0.13.${index + 1}`;
const firmware = (index: number) => harness.fleet.devices[index].firmware;
const summary = (index: number) => harness.control.get<DeviceSummary & { powered: boolean }>(`/devices/${index}`);

/** Small-business setup needs only the admin account at commit; TLS stays off. */
async function provisionInProcess(index: number): Promise<void> {
  const fw = firmware(index);
  fw.beginProvisioning();
  await fw.setAdminAccount('admin', NEW_ADMIN_PASSWORD);
  await fw.applySetting('hostName', `pc${index}`);
  await fw.commit();
}

async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

before(async () => {
  harness = await startHarness({
    count: 6,
    baseIp: ip(0),
    controlHost: '127.0.13.250',
    domainSuffix: SUFFIX,
    trustedRootHashes: pki.trustedRootHashes,
    provisioningMode: 'small-business',
  });
});
after(async () => {
  await harness?.close();
});

void describe('device lifecycle and faults', () => {
  void it('keeps provisioning state across an emulator restart (power cycle of the process)', async () => {
    await provisionInProcess(0);
    const realm = firmware(0).state.digestRealm;
    await harness.restart();
    const device = await harness.control.get<{ phase: string; firmware: { digestRealm: string; hostName: string } }>('/devices/0');
    assert.equal(device.phase, 'post');
    assert.equal(device.firmware.digestRealm, realm);
    assert.equal(device.firmware.hostName, 'pc0');
    assert.deepEqual(await harness.control.post('/devices/0/check-admin', { username: 'admin', password: NEW_ADMIN_PASSWORD }), { matches: true });
    assert.deepEqual(await harness.control.post('/devices/0/check-admin', { username: 'admin', password: MEBX_PASSWORD }), { matches: false });
  });

  void it('serves plain HTTP only once provisioned with TLS off; TLS is then refused with its reason', async () => {
    const pre = await rawRequest({ host: ip(1), port: 16992, path: '/echo' });
    assert.equal(pre.status, 403);
    await provisionInProcess(1);
    const { response } = await digestRequest({ host: ip(1), port: 16992, path: '/echo' }, 'admin', NEW_ADMIN_PASSWORD);
    assert.equal(response.status, 200);
    assert.equal((JSON.parse(response.body) as { transport: string }).transport, 'plain');
    await assert.rejects(rawRequest({ host: ip(1), port: 16993, tls, path: '/echo' }));
    const refusals = (await harness.control.get<{ tlsRefusals: TlsRefusal[] }>('/devices/1/counters')).tlsRefusals;
    assert.equal(refusals.at(-1)?.reason, 'tls-disabled');
  });

  void it('powered off, refuses connections on both ports; powered on, serves again', async () => {
    await harness.control.post('/devices/2/power', { state: 'off' });
    for (const port of [16992, 16993]) {
      await assert.rejects(rawRequest({ host: ip(2), port, path: '/echo', ...(port === 16993 ? { tls } : {}) }), /ECONNREFUSED/);
    }
    await harness.control.post('/devices/2/power', { state: 'on' });
    assert.equal((await rawRequest({ host: ip(2), port: 16993, tls, path: '/echo' })).status, 401);
  });

  void it('drops the connection of the request after N served, once', async () => {
    await harness.control.post('/devices/2/faults', { dropConnectionAfterRequests: 1 });
    assert.equal((await rawRequest({ host: ip(2), port: 16993, tls, path: '/echo' })).status, 401);
    await assert.rejects(rawRequest({ host: ip(2), port: 16993, tls, path: '/echo' }), /socket hang up|ECONNRESET/);
    assert.equal((await rawRequest({ host: ip(2), port: 16993, tls, path: '/echo' })).status, 401);
    assert.equal((await harness.control.get<{ droppedConnections: number }>('/devices/2/counters')).droppedConnections, 1);
  });

  void it('adds latency to every response until cleared', async () => {
    await harness.control.post('/devices/2/faults', { latencyMs: 400 });
    const started = Date.now();
    assert.equal((await rawRequest({ host: ip(2), port: 16993, tls, path: '/echo' })).status, 401);
    assert.ok(Date.now() - started >= 400, 'the answer cannot come before the injected latency');
    const cleared = await harness.control.del<{ latencyMs: number }>('/devices/2/faults');
    assert.equal(cleared.latencyMs, 0);
  });

  void it('fails a named operation with the given status, the given number of times', async () => {
    const view = await harness.control.post<{ failOperations: Record<string, { status: number }> }>('/devices/3/faults', {
      failOperation: { operation: 'CommitChanges', status: 0x809, times: 1 },
    });
    assert.equal(view.failOperations.CommitChanges?.status, 0x809);
    assert.equal(firmware(3).faults.takeFailure('SetHostName'), undefined);
    assert.equal(firmware(3).faults.takeFailure('CommitChanges'), 0x809);
    assert.equal(firmware(3).faults.takeFailure('CommitChanges'), undefined);
  });

  void it('loses power before the commit write: nothing committed, power returns by itself', async () => {
    await harness.control.post('/devices/4/faults', { losePowerDuringCommit: { point: 'before-write', restoreAfterMs: 100 } });
    await assert.rejects(provisionInProcess(4), PowerLossError);
    assert.equal((await summary(4)).powered, false);
    await eventually(async () => (await summary(4)).powered, 'power to return');
    assert.equal((await summary(4)).phase, 'pre');
    assert.deepEqual(await harness.control.post('/devices/4/check-admin', { username: 'admin', password: MEBX_PASSWORD }), { matches: true });
  });

  void it('loses power after the commit write: committed, device stays off until powered on', async () => {
    await harness.control.post('/devices/5/faults', { losePowerDuringCommit: { point: 'after-write' } });
    await assert.rejects(provisionInProcess(5), PowerLossError);
    const off = await summary(5);
    assert.equal(off.powered, false);
    assert.equal(off.phase, 'post');
    await harness.control.post('/devices/5/power', { state: 'on' });
    assert.deepEqual(await harness.control.post('/devices/5/check-admin', { username: 'admin', password: NEW_ADMIN_PASSWORD }), { matches: true });
  });

  void it('redacts secrets unless revealed, and presents an OTP set through the control API', async () => {
    await harness.control.post('/devices/3/otp', { otp: 'Presented#OTP1' });
    type View = { firmware: { admin: { ha1: string }; mebx: { passwordSha256: string; password?: string }; otp: { sha256: string; value?: string }; tls: { selfSigned: Record<string, string> } } };
    const redacted = await harness.control.get<View>('/devices/3');
    assert.equal(redacted.firmware.admin.ha1, '[redacted]');
    assert.equal(redacted.firmware.mebx.password, undefined);
    assert.equal(redacted.firmware.mebx.passwordSha256, crypto.createHash('sha256').update(MEBX_PASSWORD).digest('hex'));
    assert.equal(redacted.firmware.otp.value, undefined);
    assert.equal(redacted.firmware.otp.sha256, crypto.createHash('sha256').update('Presented#OTP1').digest('hex'));
    assert.deepEqual(Object.keys(redacted.firmware.tls.selfSigned), ['certificatePem']);
    const revealed = await harness.control.get<View>('/devices/3?secrets=reveal');
    const realm = firmware(3).state.digestRealm;
    assert.equal(revealed.firmware.admin.ha1, crypto.createHash('md5').update(`admin:${realm}:${MEBX_PASSWORD}`).digest('hex'));
    assert.equal(revealed.firmware.otp.value, 'Presented#OTP1');
    assert.equal(JSON.stringify(revealed).includes('PRIVATE KEY'), false, 'private keys are never shown');
  });
});
