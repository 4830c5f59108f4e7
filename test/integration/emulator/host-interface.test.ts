// Black-box: the host interface socket (section 7) the in-band agent talks to.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_FIRMWARE_VERSION } from '../../../src/contract/firmwareFamilies';
import type { DeviceSummary } from '../../../src/emulator/device';
import { startHarness, type Harness } from './support/emulatorHarness';
import { validProvisioningChain } from './support/testPki';

const pki = validProvisioningChain('hi.example.com');
let harness: Harness;
const helloSink = net.createServer((socket) => socket.resume());

/** One request line, one answer line. */
function command(socketPath: string, request: unknown): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(socketPath);
    let buffered = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      const newline = buffered.indexOf('\n');
      if (newline >= 0) {
        socket.end();
        resolve(JSON.parse(buffered.slice(0, newline)) as Record<string, unknown>);
      }
    });
    socket.on('error', reject);
    socket.write(`${typeof request === 'string' ? request : JSON.stringify(request)}\n`);
  });
}

const summary = (index: number) => harness.control.get<DeviceSummary>(`/devices/${index}`);
async function socketPathOf(index: number): Promise<string> {
  const path = (await summary(index)).hostInterfacePath;
  assert.ok(path, 'host interface socket exists');
  return path;
}

before(async () => {
  await new Promise<void>((resolve) => helloSink.listen({ host: '127.0.14.250', port: 0 }, resolve));
  harness = await startHarness({
    count: 2,
    baseIp: '127.0.14.1',
    controlHost: '127.0.14.251',
    domainSuffix: 'hi.example.com',
    trustedRootHashes: pki.trustedRootHashes,
    provisioningMode: 'small-business',
    provisionServer: { host: '127.0.14.250', port: (helloSink.address() as net.AddressInfo).port },
  });
});
after(async () => {
  await harness?.close();
  await new Promise((resolve) => helloSink.close(resolve));
});

void describe('host interface (section 7)', () => {
  void it('is a 0600 socket under the state dir answering UUID, firmware info and trusted hashes', async () => {
    const path = await socketPathOf(0);
    assert.ok(path.startsWith(harness.stateDir));
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    const uuid = harness.fleet.devices[0].firmware.uuid;
    assert.deepEqual(await command(path, { id: 1, command: 'getUuid' }), { id: 1, ok: true, uuid });
    const info = await command(path, { id: 2, command: 'getFirmwareInfo' });
    assert.deepEqual(info, { id: 2, ok: true, uuid, firmwareVersion: DEFAULT_FIRMWARE_VERSION.modern, provisioningState: 0, provisioningStateName: 'pre-provisioning' });
    const hashes = await command(path, { id: 3, command: 'getTrustedRootHashes' });
    assert.deepEqual(hashes.hashes, [{ algorithm: 'sha256', hash: pki.trustedRootHashes[0].hash, name: 'test provisioning root', active: true }]);
  });

  void it('sets the OTP (8-32 printable characters) and starts a new Hello period', async () => {
    const path = await socketPathOf(0);
    assert.deepEqual(await command(path, { id: 'a', command: 'setProvisioningServerOtp', otp: 'OneTime#Pass42' }), { id: 'a', ok: true });
    const view = await harness.control.get<{ firmware: { otp: { value?: string } } }>('/devices/0?secrets=reveal');
    assert.equal(view.firmware.otp.value, 'OneTime#Pass42');
    const short = await command(path, { id: 'b', command: 'setProvisioningServerOtp', otp: 'short' });
    assert.deepEqual([short.ok, short.status, short.statusName], [false, 0x24, 'PT_STATUS_INVALID_PARAMETER']);
    assert.deepEqual(await command(path, { id: 'c', command: 'startNetworkInterface' }), { id: 'c', ok: true });
    const hello = (await summary(0)).hello;
    assert.equal(hello?.running, true);
    assert.ok((hello?.retryCount ?? 99) <= 1, 'a new period began');
  });

  void it('refuses the OTP and network start post-provisioning with INVALID_PT_MODE', async () => {
    const fw = harness.fleet.devices[1].firmware;
    fw.beginProvisioning();
    await fw.setAdminAccount('admin', 'N3w!AdminPass');
    await fw.commit();
    const path = await socketPathOf(1);
    for (const request of [{ command: 'setProvisioningServerOtp', otp: 'OneTime#Pass42' }, { command: 'startNetworkInterface' }]) {
      const answer = await command(path, { id: 7, ...request });
      assert.deepEqual([answer.ok, answer.status, answer.statusName], [false, 3, 'PT_STATUS_INVALID_PT_MODE']);
    }
    assert.equal(fw.state.otp, null);
  });

  void it('answers unknown commands and malformed lines with a status, not a crash', async () => {
    const path = await socketPathOf(0);
    assert.equal((await command(path, { id: 9, command: 'formatDisk' })).status, 0x24);
    assert.equal((await command(path, 'not json')).ok, false);
    assert.equal((await command(path, { id: 10, command: 'getUuid' })).ok, true, 'still serving');
  });

  void it('disappears while the HECI driver is absent or the device is off', async () => {
    const path = await socketPathOf(0);
    const absent = await harness.control.post<DeviceSummary>('/devices/0/heci', { present: false });
    assert.equal(absent.hostInterfacePath, null);
    assert.equal(existsSync(path), false);
    await assert.rejects(command(path, { command: 'getUuid' }), /ENOENT/);
    await harness.control.post('/devices/0/heci', { present: true });
    assert.equal((await command(path, { id: 1, command: 'getUuid' })).ok, true);
    await harness.control.post('/devices/0/power', { state: 'off' });
    assert.equal(existsSync(path), false);
    await harness.control.post('/devices/0/power', { state: 'on' });
    assert.equal(existsSync(path), true);
  });
});
