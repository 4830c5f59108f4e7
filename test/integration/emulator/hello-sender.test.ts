// Black-box: Hellos arrive at a plain TCP server in the documented layout (parsed here by
// hand), on the seed's schedule, stop once provisioning begins, restart after a power cycle
// or an unprovision.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { DeviceSummary } from '../../../src/emulator/device';
import { digestRequest } from './support/deviceClient';
import { MEBX_PASSWORD, startHarness, type Harness } from './support/emulatorHarness';
import { validProvisioningChain } from './support/testPki';

interface ParsedHello {
  peer: string;
  adminCredentialsSet: number;
  interfaceVersion: number;
  retryCount: number;
  uuid: string;
  hashes: { algorithm: number; hex: string }[];
}

/** Section 2 by hand: u16 admin, u16 version, u32 retry, 16-byte SMBIOS UUID, u8 count, entries. */
function parseHello(buf: Buffer, peer: string): ParsedHello {
  const hex = (b: Buffer) => b.toString('hex');
  const uuidBytes = buf.subarray(8, 24);
  const uuid = [
    hex(Buffer.from(uuidBytes.subarray(0, 4)).reverse()),
    hex(Buffer.from(uuidBytes.subarray(4, 6)).reverse()),
    hex(Buffer.from(uuidBytes.subarray(6, 8)).reverse()),
    hex(uuidBytes.subarray(8, 10)),
    hex(uuidBytes.subarray(10, 16)),
  ].join('-');
  const hashes: ParsedHello['hashes'] = [];
  let offset = 25;
  for (let i = 0; i < buf[24]; i += 1) {
    const length = buf[offset + 1];
    hashes.push({ algorithm: buf[offset], hex: hex(buf.subarray(offset + 2, offset + 2 + length)) });
    offset += 2 + length;
  }
  assert.equal(offset, buf.length, 'no trailing bytes');
  return { peer, adminCredentialsSet: buf.readUInt16LE(0), interfaceVersion: buf.readUInt16LE(2), retryCount: buf.readUInt32LE(4), uuid, hashes };
}

class HelloCollector {
  readonly hellos: ParsedHello[] = [];
  private readonly server = net.createServer((socket) => {
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('end', () => this.hellos.push(parseHello(Buffer.concat(chunks), socket.remoteAddress ?? '')));
  });
  port = 0;

  async listen(host: string): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen({ host, port: 0 }, resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  from(ip: string): ParsedHello[] {
    return this.hellos.filter((h) => h.peer === ip);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** Polls until `check` holds (state changes that happen on the device's own schedule). */
async function eventually(check: () => Promise<boolean> | boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const pki = validProvisioningChain('hello.example.com');
const collector = new HelloCollector();
let fast: Harness;
let slow: Harness;

before(async () => {
  await collector.listen('127.0.12.250');
  const common = { domainSuffix: 'hello.example.com', trustedRootHashes: pki.trustedRootHashes, provisionServer: { host: '127.0.12.250', port: collector.port } };
  // A day of Hellos in under a second.
  fast = await startHarness({ ...common, count: 2, baseIp: '127.0.12.1', controlHost: '127.0.12.251', timeScale: 100_000, uuidSeed: 'hello-fast' });
  // Real time: after the first Hello the next is a minute away, so state can be observed in between.
  slow = await startHarness({ ...common, count: 1, baseIp: '127.0.12.10', controlHost: '127.0.12.252', timeScale: 1, uuidSeed: 'hello-slow' });
});
after(async () => {
  await fast?.close();
  await slow?.close();
  await collector.close();
});

const summary = (h: Harness, id: string) => h.control.get<DeviceSummary>(`/devices/${id}`);

void describe('Hello sender (section 2)', () => {
  void it('sends the whole schedule (40 Hellos, retry 0..39) in the documented layout, from the device IP, then stops', async () => {
    for (const device of fast.fleet.devices) {
      const ip = device.config.ip;
      await eventually(async () => !(await summary(fast, ip)).hello?.running, `end of the Hello period of ${ip}`);
      await eventually(() => collector.from(ip).length === 40, `40 Hellos from ${ip}`);
      const hellos = collector.from(ip).sort((a, b) => a.retryCount - b.retryCount);
      assert.deepEqual(hellos.map((h) => h.retryCount), Array.from({ length: 40 }, (_, i) => i));
      for (const hello of hellos) {
        assert.equal(hello.adminCredentialsSet, 0);
        assert.equal(hello.interfaceVersion, 3);
        assert.equal(hello.uuid, device.firmware.uuid);
        assert.deepEqual(hello.hashes, [{ algorithm: 2, hex: pki.trustedRootHashes[0].hash }]);
      }
    }
    assert.notEqual(fast.fleet.devices[0].firmware.uuid, fast.fleet.devices[1].firmware.uuid);
  });

  void it('starts a new period (retry count 0) after a power cycle and after a partial unprovision', async () => {
    const ip = fast.fleet.devices[0].config.ip;
    const zeroes = () => collector.from(ip).filter((h) => h.retryCount === 0).length;
    await fast.control.post(`/devices/${ip}/power`, { state: 'cycle' });
    await eventually(() => zeroes() === 2, 'a retry-0 Hello after the power cycle');
    await fast.control.post(`/devices/${ip}/unprovision`, { mode: 'partial' });
    await eventually(() => zeroes() === 3, 'a retry-0 Hello after the partial unprovision');
  });

  void it('stops once provisioning begins (first authenticated TLS request) and restarts after a power cycle', async () => {
    const ip = '127.0.12.10';
    await eventually(() => collector.from(ip).length === 1, 'the first Hello');
    assert.equal((await summary(slow, ip)).hello?.running, true);
    const { response } = await digestRequest({ host: ip, port: 16993, tls: { keyPem: pki.keyPem, chainPems: pki.chainPems }, path: '/echo' }, 'admin', MEBX_PASSWORD);
    assert.equal(response.status, 200);
    const during = await summary(slow, ip);
    assert.equal(during.phase, 'in');
    assert.equal(during.hello?.running, false);
    const cycled = await slow.control.post<DeviceSummary>(`/devices/${ip}/power`, { state: 'cycle' });
    assert.equal(cycled.phase, 'pre', 'in-provisioning does not survive power loss');
    assert.equal(cycled.hello?.running, true);
    await eventually(() => collector.from(ip).filter((h) => h.retryCount === 0).length === 2, 'a new first Hello');
  });

  void it('sends no Hellos while powered off', async () => {
    const ip = '127.0.12.10';
    const off = await slow.control.post<DeviceSummary>(`/devices/${ip}/power`, { state: 'off' });
    assert.equal(off.powered, false);
    assert.equal(off.hello?.running, false);
    await slow.control.post(`/devices/${ip}/power`, { state: 'on' });
  });
});
