// Discover AMT Status end to end, per firmware family: the discoverAmtStatus run (one child
// per computer) classifies a provisioned, an unprovisioned and an externally provisioned
// emulated device, and a computer never reached, and records status and firmware facts.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DeviceTlsAgent } from '../../../src/amt/deviceTls';
import { DigestSession } from '../../../src/amt/digestClient';
import { EoiClients } from '../../../src/amt/soapClients';
import { WsmanClient } from '../../../src/amt/wsmanClient';
import { setAdminAclEntryEx } from '../../../src/amt/wsmanSetup';
import { getDigestRealm } from '../../../src/amt/wsmanSettings';
import { DEFAULT_FIRMWARE_VERSION, type FirmwareFamily } from '../../../src/contract/firmwareFamilies';
import { MaintenanceRuns } from '../../../src/runs/maintenanceRuns';
import type { DiscoverySummary } from '../../../src/workflows/maintenanceDefinitions';
import { useProvisioningStacks, type ProvisioningStack } from '../../support/provisioningStack';
import { waitUntil } from '../../support/waitUntil';

/** Each family's devices on their own /24 (this file's block: 127.0.192-193). */
const FAMILY_NET: Record<FirmwareFamily, string> = { modern: '127.0.192', early: '127.0.193' };
const { stack: startStack } = useProvisioningStacks();

/** Another server takes the device over: it logs in as admin (it knew the password) and sets its own. */
async function takeOver(s: ProvisioningStack, family: FirmwareFamily, host: string, password: string, newPassword: string): Promise<void> {
  const agent = new DeviceTlsAgent({ host, clientCredential: { chainPem: s.pki.provisioning.chainPem, privateKeyPem: s.pki.provisioning.keyPem }, identity: {} });
  try {
    const session = new DigestSession(agent, { username: 'admin', password });
    const wsman = new WsmanClient(session);
    const realm = await getDigestRealm(wsman);
    if (family === 'modern') await setAdminAclEntryEx(wsman, 'admin', newPassword, realm);
    else await (await EoiClients.connect(session)).setAdminAclEntry('admin', newPassword, realm);
  } finally {
    agent.destroy();
  }
}

for (const family of ['modern', 'early'] as const) describe(`discovery, ${family} firmware (AMT ${DEFAULT_FIRMWARE_VERSION[family]})`, () => {
  const firmwareVersion = DEFAULT_FIRMWARE_VERSION[family];

  test('classifies provisioned, unprovisioned, externally provisioned and never reached computers; touches nothing', async (t) => {
    const s = await startStack(t, { baseIp: `${FAMILY_NET[family]}.1`, devices: 3, firmwareVersion });
    for (const i of [0, 1, 2]) assert.equal((await s.waitForResult(i)).outcome, 'Provisioned');
    const [provisioned, unprovisioned, foreign] = await Promise.all(s.uuids.map(async (uuid) => (await s.store.computers.findByUuid(uuid))!));

    // Device 1 loses its provisioning behind the site's back (MEBx, say); its Hellos are held so no run redoes it.
    (await s.store.computers.setProvisioningHeld(unprovisioned.id, true));
    await s.control('POST', `/devices/${unprovisioned.uuid}/unprovision`, { mode: 'full' });
    // Device 2 is taken over by another server.
    const foreignPassword = 'Other!Server2026x';
    await takeOver(s, family, foreign.lastAddress!, (await s.store.vault.getSecret(foreign.secretRefs.adminPassword!)), foreignPassword);
    // A computer imported but never heard from.
    const silent = (await s.store.computers.add({ uuid: '00000000-0000-4000-8000-00000000d15c', netbiosName: 'NEVERSEEN', fqdn: 'neverseen.amt.test' }));

    const runs = new MaintenanceRuns(s.client, s.store, s.taskQueue);
    const run = await runs.discover({ concurrency: 2 });
    const summary = await s.client.workflow.getHandle(run.workflowId, run.runId).result() as DiscoverySummary;
    const byUuid = new Map(summary.results.map((r) => [r.uuid, r]));
    assert.deepEqual(summary.failures, []);
    assert.deepEqual(
      [provisioned, unprovisioned, foreign, silent].map((c) => byUuid.get(c.uuid)?.status),
      ['Provisioned', 'Not Provisioned', 'Externally Provisioned', 'Unknown'],
    );
    assert.deepEqual(summary.counts, { total: 4, done: 4, failed: 0, byStatus: { Provisioned: 1, 'Not Provisioned': 1, 'Externally Provisioned': 1, Unknown: 1 } });
    for (const c of [provisioned, unprovisioned]) {
      assert.deepEqual([byUuid.get(c.uuid)?.firmwareVersion, byUuid.get(c.uuid)?.firmwareFamily], [firmwareVersion, family]);
      assert.equal((await s.store.computers.get(c.id)).firmwareFamily, family);
    }
    // Recorded in the store with the reason, and audited.
    const stored = await Promise.all([provisioned, unprovisioned, foreign, silent].map((c) => s.store.computers.get(c.id)));
    assert.deepEqual(stored.map((c) => c.amtStatus), ['Provisioned', 'Not Provisioned', 'Externally Provisioned', 'Unknown']);
    assert.equal(stored[0].provisionedAt, provisioned.provisionedAt, 'confirming Provisioned keeps the provisioning time');
    assert.match(stored[2].statusReason ?? '', /another server holds the admin account/);
    assert.equal((await s.store.audit.forComputer(foreign.uuid)).filter((a) => a.action === 'discovery.classified').length, 1);

    // Touch nothing: the taken-over device still has the other server's password, the unprovisioned one is still in pre.
    assert.deepEqual(await s.control('POST', `/devices/${foreign.uuid}/check-admin`, { username: 'admin', password: foreignPassword }), { matches: true });
    const view = await s.control<{ firmware: { provisioningState: string } }>('GET', `/devices/${unprovisioned.uuid}`);
    assert.equal(view.firmware.provisioningState, 'pre');

    // One computer on its own, as `amtprov discover <name>` starts it.
    const one = await runs.discover({}, (await s.store.computers.get(provisioned.id)));
    const single = await s.client.workflow.getHandle(one.workflowId, one.runId).result() as DiscoverySummary;
    assert.deepEqual(single.results.map((r) => r.status), ['Provisioned']);

    // The device that went dark is Unknown at its next discovery.
    await s.control('POST', `/devices/${provisioned.uuid}/power`, { state: 'off' });
    const dark = await runs.discover({}, (await s.store.computers.get(provisioned.id)));
    await waitUntil(async () => (await s.client.workflow.getHandle(dark.workflowId, dark.runId).describe()).status.name === 'COMPLETED', 'the dark discovery');
    assert.equal((await s.store.computers.get(provisioned.id)).amtStatus, 'Unknown');
  });
});
