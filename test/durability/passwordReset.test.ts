// Admin password reset (issue 11 item 3) with a kill -9 of the worker between the device taking
// the new password and the store recording it: the restarted worker's Digest rotation finds the
// device accepting the pending password and promotes it. Afterwards the vault's admin password
// is the device's (compared on the device, and used for a real Digest login), nothing is pending,
// and neither logs nor history hold it.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DeviceTlsAgent } from '../../src/amt/deviceTls';
import { rotateDigestCredentials } from '../../src/amt/digestClient';
import { DEFAULT_FIRMWARE_VERSION, type FirmwareFamily } from '../../src/contract/firmwareFamilies';
import { startMaintenanceRun } from '../../src/schedules/maintenanceRuns';
import type { MaintenanceResult } from '../../src/workflows/scheduledMaintenance';
import { maintenanceDeviceWorkflowId } from '../../src/workflows/scheduledMaintenance';
import { findSecrets, historySecretsScan } from '../support/secretScan';
import { useProvisioningStacks } from '../support/provisioningStack';

const FAMILY_NET: Record<FirmwareFamily, string> = { modern: '127.0.197.1', early: '127.0.197.21' };

describe('admin password reset', () => {
  const { stack } = useProvisioningStacks();

  for (const family of ['modern', 'early'] as const) {
    test(`${family}: killed after the device took the new password, before the store promoted it: the vault's password is the device's`, async (t) => {
      const s = await stack(t, { baseIp: FAMILY_NET[family], worker: 'child-process', firmwareVersion: DEFAULT_FIRMWARE_VERSION[family] });
      assert.equal((await s.waitForResult(0, 240_000)).outcome, 'Provisioned');
      const computer = (await s.store.computers.findByUuid(s.uuids[0]))!;
      const oldPassword = await s.store.vault.getSecret(computer.secretRefs.adminPassword!);
      const matches = async (password: string): Promise<boolean> =>
        (await s.control<{ matches: boolean }>('POST', `/devices/${computer.uuid}/check-admin`, { username: 'admin', password })).matches;
      assert.equal(await matches(oldPassword), true);

      // Each request waits 400 ms before the device handles it: time for the test to see the new
      // password stored (it is stored before it is sent) and to take the site store's write lock,
      // so the worker's promotion waits on the lock, and the kill lands before it whatever the load.
      await s.control('POST', `/devices/${computer.uuid}/faults`, { latencyMs: 400 });
      const handle = await startMaintenanceRun(s.client, 'password-reset', { trigger: 'operator', computer: computer.uuid }, s.taskQueue);
      for (const deadline = Date.now() + 120_000; (await s.store.credentials.pendingAdminPasswords(computer.id)).length === 0; await new Promise((r) => setTimeout(r, 5))) {
        if (Date.now() > deadline) assert.fail('the new admin password was never stored');
      }
      // Nothing in the block may use the test's store: its calls queue behind this transaction.
      await s.store.transaction(async () => {
        for (const deadline = Date.now() + 120_000; await matches(oldPassword); await new Promise((r) => setTimeout(r, 5))) {
          if (Date.now() > deadline) assert.fail('the device never took a new admin password');
        }
        s.killWorker();
      });
      assert.equal((await s.store.computers.get(computer.id)).secretRefs.adminPassword, computer.secretRefs.adminPassword, 'killed before the promotion');
      assert.equal((await s.store.credentials.pendingAdminPasswords(computer.id)).length, 1, 'the new password was stored before it was sent');
      await s.control('DELETE', `/devices/${computer.uuid}/faults`);
      await s.startWorker();

      const result = await handle.result() as MaintenanceResult;
      assert.deepEqual(result.failed, []);
      assert.deepEqual(result.done, [{ fqdn: computer.fqdn, outcome: 'recovered' }]);
      const current = (await s.store.computers.get(computer.id)).secretRefs.adminPassword!;
      assert.notEqual(current, computer.secretRefs.adminPassword);
      const password = await s.store.vault.getSecret(current);
      assert.notEqual(password, oldPassword);
      assert.equal(await matches(password), true, "the device's admin password is the vault's");
      assert.equal((await s.store.credentials.pendingAdminPasswords(computer.id)).length, 0);

      // Log in with it, as any later run will.
      const certificate = (await s.store.provisioningCertificates.list())[0];
      const agent = new DeviceTlsAgent({
        host: s.fleet.devices[0].config.ip,
        clientCredential: { chainPem: certificate.chainPem, privateKeyPem: await s.store.vault.getSecret(certificate.keyRef) },
        identity: { siteIssued: { caChainPem: [s.pki.issuingCa.certPem, s.pki.root.certPem], fqdn: computer.fqdn } },
      });
      try {
        const login = await rotateDigestCredentials(agent, [{ id: 'vault', username: 'admin', password }]);
        assert.equal(login.id, 'vault');
      } finally {
        agent.destroy();
      }

      const secrets = [password, oldPassword];
      assert.deepEqual(findSecrets(s.logs.join('\n'), secrets), []);
      assert.deepEqual(await historySecretsScan(s.client, maintenanceDeviceWorkflowId('password-reset', computer.uuid), s.codecKeys, secrets), []);
    });
  }
});
