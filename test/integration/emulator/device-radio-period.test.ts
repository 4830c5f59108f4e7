// Black-box (sockets, WS-Man, control API): the Wi-Fi radio as a per-device firmware fact, and
// AMT_SetupAndConfigurationService.ExtendProvisioningPeriod restarting the Hello period.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { CIM } from '@device-management-toolkit/wsman-messages';
import type { DeviceSummary } from '../../../src/emulator/device';
import { registerServices } from '../../../src/emulator/services';
import { AMT_URI, enumerateAll, methodOutput, methodRequest, wsmanPoster } from './services-client';
import { digestRequest } from './support/deviceClient';
import { MEBX_PASSWORD, startHarness, type Harness } from './support/emulatorHarness';
import { validProvisioningChain } from './support/testPki';

const SUFFIX = 'radio.example.com';
const pki = validProvisioningChain(SUFFIX);
const cim = new CIM.Messages();
const NEW_ADMIN_PASSWORD = 'N3w!Admin#Pass';

/** Retry counts of the Hellos each device address sent (offset 4, u32 little-endian). */
const hellos = new Map<string, number[]>();
const waiters: (() => void)[] = [];
const collector = net.createServer((socket) => {
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  socket.on('end', () => {
    const from = socket.remoteAddress ?? '';
    hellos.set(from, [...(hellos.get(from) ?? []), Buffer.concat(chunks).readUInt32LE(4)]);
    waiters.splice(0).forEach((wake) => wake());
  });
});

/** Resolves once `ip` has sent `count` Hellos (they come on the device's schedule). */
async function hellosFrom(ip: string, count: number): Promise<number[]> {
  while ((hellos.get(ip)?.length ?? 0) < count) await new Promise<void>((resolve) => waiters.push(resolve));
  return hellos.get(ip) ?? [];
}

let radios: Harness;
let periods: Harness;

before(async () => {
  await new Promise<void>((resolve) => collector.listen({ host: '127.0.28.250', port: 0 }, resolve));
  const common = { domainSuffix: SUFFIX, trustedRootHashes: pki.trustedRootHashes, registerServices };
  radios = await startHarness({ ...common, count: 2, baseIp: '127.0.28.1', controlHost: '127.0.28.251' });
  // Real time: after a period's first Hello the next is a minute away.
  periods = await startHarness({
    ...common, count: 1, baseIp: '127.0.28.10', controlHost: '127.0.28.252', provisioningMode: 'small-business',
    provisionServer: { host: '127.0.28.250', port: (collector.address() as net.AddressInfo).port },
  });
});

after(async () => {
  await radios?.close();
  await periods?.close();
  await new Promise<void>((resolve) => collector.close(() => resolve()));
});

const wsman = (ip: string) => wsmanPoster(() => ({ host: ip, port: 16993, tls: { keyPem: pki.keyPem, chainPems: pki.chainPems }, username: 'admin', password: MEBX_PASSWORD }));
const wifiPorts = async (ip: string) => (await enumerateAll(wsman(ip), cim.WiFiPort, 'CIM_WiFiPort')).length;

void describe('the Wi-Fi radio is a firmware fact', () => {
  void it('a new device has one; the control API removes it, WS-Man follows, and the flash keeps it across a restart', async () => {
    assert.deepEqual((await radios.control.get<DeviceSummary[]>('/devices')).map((d) => d.hasRadio), [true, true]);
    assert.equal(await wifiPorts('127.0.28.2'), 1);
    const removed = await radios.control.post<DeviceSummary>('/devices/1/radio', { present: false });
    assert.equal(removed.hasRadio, false);
    assert.equal(await wifiPorts('127.0.28.2'), 0);
    await radios.restart();
    assert.deepEqual((await radios.control.get<DeviceSummary[]>('/devices')).map((d) => d.hasRadio), [true, false]);
    assert.equal((await radios.control.get<{ firmware: { hasRadio: boolean } }>('/devices/1')).firmware.hasRadio, false);
    assert.equal(await wifiPorts('127.0.28.1'), 1);
  });
});

void describe('ExtendProvisioningPeriod', () => {
  const ip = '127.0.28.10';
  const summary = () => periods.control.get<DeviceSummary>(`/devices/${ip}`);
  const extend = (duration?: number) =>
    wsman(ip)(methodRequest('AMT_SetupAndConfigurationService', 'ExtendProvisioningPeriod', duration === undefined ? '' : `<h:Duration>${duration}</h:Duration>`, undefined, AMT_URI));

  void it('in pre-provisioning restarts the Hello schedule: the next Hello is a period\'s first (retry 0)', async () => {
    assert.deepEqual(await hellosFrom(ip, 1), [0]);
    assert.equal((await summary()).hello?.retryCount, 1);
    periods.fleet.devices[0].firmware.extendProvisioningPeriod();
    assert.deepEqual(await hellosFrom(ip, 2), [0, 0]);
  });

  void it('over WS-Man (the device is then in-provisioning, Hellos paused) starts the count over; checks Duration', async () => {
    methodOutput(await extend(0), 'ExtendProvisioningPeriod', 'INVALID_PARAMETER');
    methodOutput(await extend(25), 'ExtendProvisioningPeriod', 'INVALID_PARAMETER');
    const during = await summary();
    assert.deepEqual([during.phase, during.hello?.running, during.hello?.retryCount], ['in', false, 1]);
    methodOutput(await extend(24), 'ExtendProvisioningPeriod');
    const after = await summary();
    assert.deepEqual([after.phase, after.hello?.running, after.hello?.retryCount], ['in', false, 0]);
    methodOutput(await extend(), 'ExtendProvisioningPeriod');
  });

  void it('is refused once provisioned (INVALID_PT_MODE)', async () => {
    const fw = periods.fleet.devices[0].firmware;
    await fw.setAdminAccount('admin', NEW_ADMIN_PASSWORD);
    await fw.commit();
    // Small business with TLS off: the provisioned device serves WS-Man on the plain port.
    const { response } = await digestRequest(
      { host: ip, port: 16992, path: '/wsman', body: methodRequest('AMT_SetupAndConfigurationService', 'ExtendProvisioningPeriod', '<h:Duration>1</h:Duration>'), headers: { 'Content-Type': 'application/soap+xml; charset=utf-8' } },
      'admin',
      NEW_ADMIN_PASSWORD,
    );
    methodOutput(response, 'ExtendProvisioningPeriod', 'INVALID_PT_MODE');
  });
});
