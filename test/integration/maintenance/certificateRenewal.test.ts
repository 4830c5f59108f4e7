// Certificate renewal end to end (issue 11 item 2) on the real stack: Temporal, Samba AD, the
// emulator. Devices are provisioned first; a window longer than the certificates' 365 days
// makes them due. Modern firmware: the device serves the new certificate, the old certificate
// and key are gone, and a device that loses power in the middle of its renewal is reported,
// still serves its valid old certificate, and is renewed by the next run. Early firmware: EOI
// CertStore makes the key, the device switches, the old certificate is deleted.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_FIRMWARE_VERSION } from '../../../src/contract/firmwareFamilies';
import { isSiteIssued, certificateSha256 } from '../../../src/amt/deviceTls';
import { startMaintenanceRun } from '../../../src/schedules/maintenanceRuns';
import type { MaintenanceResult } from '../../../src/workflows/scheduledMaintenance';
import { useProvisioningStacks, type ProvisioningStack } from '../../support/provisioningStack';
import { servedCertificate } from '../../support/servedCertificate';

interface DeviceView {
  firmware: {
    keyStore: { keyPairs: { handle: number }[]; certificates: { handle: number; isRoot: boolean; pem: string }[] };
    tls: { certificateHandle: number | null };
  };
}

async function renew(s: ProvisioningStack, options: { computer?: string; force?: boolean } = {}): Promise<MaintenanceResult> {
  const handle = await startMaintenanceRun(s.client, 'certificate-renewal', { trigger: 'operator', ...options }, s.taskQueue);
  return await handle.result() as MaintenanceResult;
}

function siteIssuedNow(s: ProvisioningStack, der: Buffer, fqdn: string): boolean {
  return isSiteIssued(der, { caChainPem: [s.pki.issuingCa.certPem, s.pki.root.certPem], fqdn });
}

async function deviceLeaves(s: ProvisioningStack, uuid: string): Promise<{ keyPairs: number; leaves: number[]; tls: number | null }> {
  const { firmware } = await s.control<DeviceView>('GET', `/devices/${uuid}`);
  return { keyPairs: firmware.keyStore.keyPairs.length, leaves: firmware.keyStore.certificates.filter((c) => !c.isRoot).map((c) => c.handle), tls: firmware.tls.certificateHandle };
}

describe('certificate renewal', () => {
  const { stack } = useProvisioningStacks();

  test('modern firmware: renewed devices serve the new certificate without the old; one that loses power is reported and renewed at the next run', async (t) => {
    const s = await stack(t, { baseIp: '127.0.195.1', devices: 2, firmwareVersion: DEFAULT_FIRMWARE_VERSION.modern });
    for (const i of [0, 1]) assert.equal((await s.waitForResult(i)).outcome, 'Provisioned');
    await s.store.settings.apply({ ...(await s.store.settings.get()), maintenance: { certificateRenewal: { window: '400d', retryFor: '15s', concurrency: 2 } } });
    const [good, dark] = (await Promise.all(s.uuids.map((uuid) => s.store.computers.findByUuid(uuid)))).map((c) => c!);
    const ip = (i: number): string => s.fleet.devices[i].config.ip;
    const before = [await servedCertificate(ip(0)), await servedCertificate(ip(1))];
    for (const [i, c] of [good, dark].entries()) assert.ok(siteIssuedNow(s, before[i].raw, c.fqdn), 'phase 1 left a site-issued certificate');

    // The second device goes dark as soon as its renewal recorded the new certificate (before or after the switch).
    await s.control('POST', `/devices/${dark.uuid}/faults`, { latencyMs: 300 });
    const run = (await startMaintenanceRun(s.client, 'certificate-renewal', { trigger: 'operator' }, s.taskQueue)).result() as Promise<MaintenanceResult>;
    let finished: MaintenanceResult | undefined;
    void run.then((r) => { finished = r; }, () => {});
    for (const deadline = Date.now() + 60_000; !(await s.store.deviceTls.state(dark.id)).pending; await new Promise((r) => setTimeout(r, 10))) {
      if (finished) assert.fail(`the run ended before staging a certificate for the second device: ${JSON.stringify(finished)}`);
      if (Date.now() > deadline) assert.fail('the renewal never staged a certificate for the second device');
    }
    await s.control('POST', `/devices/${dark.uuid}/power`, { state: 'off' });
    const first = await run;
    assert.deepEqual(first.done, [{ fqdn: good.fqdn, outcome: 'renewed' }]);
    assert.equal(first.failed.length, 1);
    assert.equal(first.failed[0].fqdn, dark.fqdn);
    assert.equal(first.failed[0].type, 'DeviceUnreachable');

    const renewed = await servedCertificate(ip(0));
    assert.notEqual(renewed.fingerprint256, before[0].fingerprint256, 'the device serves another certificate');
    assert.ok(siteIssuedNow(s, renewed.raw, good.fqdn), 'issued by the site CA for the device');
    const goodDevice = await deviceLeaves(s, good.uuid);
    assert.equal(goodDevice.keyPairs, 1, 'the old key pair is gone');
    assert.deepEqual(goodDevice.leaves, [goodDevice.tls], 'the old certificate is gone; the one left is the TLS one');
    assert.deepEqual((await s.store.deviceTls.state(good.id)).active?.fingerprintSha256, certificateSha256(renewed.raw));
    assert.equal((await s.store.deviceTls.state(good.id)).pending, undefined);
    assert.equal((await s.store.audit.forComputer(good.uuid)).filter((a) => a.action === 'maintenance.certificate-renewal' && a.outcome === 'success').length, 1);

    // Back on, the dark device serves a valid site certificate (the old one, or the new one if the switch came first).
    await s.control('DELETE', `/devices/${dark.uuid}/faults`);
    await s.control('POST', `/devices/${dark.uuid}/power`, { state: 'on' });
    const meanwhile = await servedCertificate(ip(1));
    assert.ok(siteIssuedNow(s, meanwhile.raw, dark.fqdn), 'still a valid certificate meanwhile');
    assert.equal((await s.store.audit.forComputer(dark.uuid)).filter((a) => a.action === 'maintenance.certificate-renewal' && a.outcome === 'failure').length, 1, 'the give-up is audited');

    const second = await renew(s, { computer: dark.uuid });
    assert.deepEqual(second.failed, []);
    assert.deepEqual(second.done, [{ fqdn: dark.fqdn, outcome: 'renewed' }]);
    const after = await servedCertificate(ip(1));
    assert.notEqual(after.fingerprint256, before[1].fingerprint256);
    assert.ok(siteIssuedNow(s, after.raw, dark.fqdn));
    const darkDevice = await deviceLeaves(s, dark.uuid);
    assert.equal(darkDevice.keyPairs, 1, 'leftovers of the interrupted attempt removed too');
    assert.deepEqual(darkDevice.leaves, [darkDevice.tls]);
    assert.equal((await s.store.deviceTls.state(dark.id)).active?.fingerprintSha256, certificateSha256(after.raw));

    // The devices still work with the renewed certificates: a renewal within the default window finds nothing due.
    await s.store.settings.apply({ ...(await s.store.settings.get()), maintenance: {} });
    assert.deepEqual(await renew(s), { task: 'certificate-renewal', done: [], failed: [], skipped: [] });
  });

  test('early firmware (EOI): the device serves the new certificate and the old certificate is deleted', async (t) => {
    const s = await stack(t, { baseIp: '127.0.196.1', firmwareVersion: DEFAULT_FIRMWARE_VERSION.early });
    assert.equal((await s.waitForResult(0)).outcome, 'Provisioned');
    const computer = (await s.store.computers.findByUuid(s.uuids[0]))!;
    const ip = s.fleet.devices[0].config.ip;
    const before = await servedCertificate(ip);
    await s.store.settings.apply({ ...(await s.store.settings.get()), maintenance: { certificateRenewal: { retryFor: '15s' } } });
    const result = await renew(s, { force: true });
    assert.deepEqual(result.done, [{ fqdn: computer.fqdn, outcome: 'renewed' }]);
    const after = await servedCertificate(ip);
    assert.notEqual(after.fingerprint256, before.fingerprint256);
    assert.ok(siteIssuedNow(s, after.raw, computer.fqdn));
    const device = await deviceLeaves(s, computer.uuid);
    const { firmware } = await s.control<DeviceView>('GET', `/devices/${computer.uuid}`);
    assert.equal(firmware.keyStore.certificates.some((c) => c.pem === before.toString()), false, 'the old certificate is gone');
    assert.equal(firmware.keyStore.certificates.find((c) => c.handle === device.tls)?.pem, after.toString(), 'the TLS one is the one served');
    // Early firmware has no key pair deletion (docs/amt-protocol.md section 12): the old key stays.
    assert.equal(device.keyPairs, 2);
  });
});
