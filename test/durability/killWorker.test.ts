// kill -9 of the worker process at the worst moments of a run: while the new admin password
// is on the device but not committed (after SetAdminAclEntry, or SetAdminAclEntryEx on modern
// firmware), right after the device committed it (before the store promoted it), and during
// the directory step. After a restart every run completes, the directory holds one account,
// and the vault's admin password is the one the device has. The phase 1 kill points run on
// both firmware families (their dialects differ); the directory one on modern firmware only.
import { describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_FIRMWARE_VERSION, type FirmwareFamily } from '../../src/contract/firmwareFamilies';
import { statusQuery } from '../../src/workflows/definitions';
import { withAdminClient } from '../support/ad';
import { findSecrets, historySecretsScan } from '../support/secretScan';
import { useProvisioningStacks, type ProvisioningStack } from '../support/provisioningStack';

interface DeviceView {
  firmware: {
    provisioningState: string;
    stagedSettings: string[];
    keyStore: { keyPairs: { handle: number }[]; certificates: { handle: number; isRoot: boolean }[] };
    tls: { certificateHandle: number | null };
  };
}

const FAMILY_NET: Record<FirmwareFamily, string> = { modern: '127.0.42', early: '127.0.52' };
const SET_ADMIN: Record<FirmwareFamily, string> = { modern: 'SetAdminAclEntryEx', early: 'SetAdminAclEntry' };

describe('kill -9 of the worker mid-run', () => {
  const { stack } = useProvisioningStacks();
  const childWorkerStack = (t: TestContext, baseIp: string, family: FirmwareFamily = 'modern'): Promise<ProvisioningStack> =>
    stack(t, { baseIp, worker: 'child-process', firmwareVersion: DEFAULT_FIRMWARE_VERSION[family] });

  async function assertCompletedCleanly(s: ProvisioningStack, family: FirmwareFamily = 'modern'): Promise<void> {
    assert.equal((await s.waitForResult(0, 240_000)).outcome, 'Provisioned');
    const computer = (await s.store.computers.findByUuid(s.uuids[0]))!;
    assert.equal(computer.firmwareFamily, family);
    // Phase 1 spoke the family's dialect (a restarted run after the commit finds it done).
    const dialects = new Set((await s.store.audit.forComputer(computer.uuid)).filter((a) => a.action === 'provisioning.phase1').map((a) => a.detail?.dialect));
    assert.deepEqual([...dialects], [family === 'modern' ? 'ws-man' : 'eoi-soap']);
    if (family === 'modern') {
      // Nothing an interrupted attempt made is left over: one key pair, one device certificate, bound to TLS.
      const { firmware } = await s.control<DeviceView>('GET', `/devices/${s.uuids[0]}`);
      const leaves = firmware.keyStore.certificates.filter((c) => !c.isRoot);
      assert.equal(firmware.keyStore.keyPairs.length, 1, 'one key pair');
      assert.deepEqual(leaves.map((c) => c.handle), [firmware.tls.certificateHandle], 'one device certificate, the TLS one');
    }
    const password = await s.store.vault.getSecret(computer.secretRefs.adminPassword!);
    assert.deepEqual(await s.control('POST', `/devices/${s.uuids[0]}/check-admin`, { username: 'admin', password }), { matches: true },
      "the device's admin password is the vault's");
    assert.equal((await s.store.credentials.pendingAdminPasswords(computer.id)).length, 0);
    const accounts = await withAdminClient(s.facts, async (ldap) => (await ldap.search(s.facts.baseDn, {
      filter: `(sAMAccountName=${computer.netbiosName}$)`, attributes: ['dn'],
    })).searchEntries);
    assert.equal(accounts.length, 1, 'one AD object');
    // The killed and the restarted worker logged nothing secret, and the history holds none.
    const secrets = [password, s.devicePassword, await s.store.vault.getSecret(computer.secretRefs.adAccountPassword!)];
    assert.deepEqual(findSecrets(s.logs.join('\n'), secrets), []);
    assert.deepEqual(await historySecretsScan(s.client, s.workflowId(0), s.codecKeys, secrets), []);
  }

  async function pollDevice(s: ProvisioningStack, until: (view: DeviceView) => boolean, what: string): Promise<void> {
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      if (until(await s.control<DeviceView>('GET', `/devices/${s.uuids[0]}`))) return;
      await new Promise((r) => setTimeout(r, 15));
    }
    assert.fail(`timed out waiting for ${what}`);
  }

  for (const family of ['modern', 'early'] as const) {
    test(`${family}: killed after ${SET_ADMIN[family]}, before commit: the restarted worker redoes phase 1 and keeps the right password`, async (t) => {
      const s = await childWorkerStack(t, `${FAMILY_NET[family]}.1`, family);
      await s.control('POST', `/devices/${s.uuids[0]}/faults`, { latencyMs: 250 });
      await pollDevice(s, (v) => v.firmware.stagedSettings.includes('admin'), 'the new admin account to be staged on the device');
      s.killWorker();
      const computer = (await s.store.computers.findByUuid(s.uuids[0]))!;
      assert.equal((await s.store.credentials.pendingAdminPasswords(computer.id)).length, 1, 'the password was stored before it was sent');
      await s.control('DELETE', `/devices/${s.uuids[0]}/faults`);
      await s.startWorker();
      await assertCompletedCleanly(s, family);
      if (family === 'modern') {
        // The restarted attempt found the credential context the killed one had staged, and kept it.
        const tls = (await s.store.audit.forComputer(s.uuids[0])).filter((a) => a.action === 'provisioning.phase1').map((a) => String(a.detail?.tls));
        assert.equal(tls.length, 1);
        assert.match(tls[0], /kept from an earlier attempt/);
      }
    });

    test(`${family}: killed right after the device committed, before the store promoted the password: it is recovered, not lost`, async (t) => {
      const s = await childWorkerStack(t, `${FAMILY_NET[family]}.11`, family);
      // The commit reaches the flash, then the device goes dark before answering: the worker
      // never learns the commit happened. Kill it in that window.
      await s.control('POST', `/devices/${s.uuids[0]}/faults`, { losePowerDuringCommit: { point: 'after-write', restoreAfterMs: 4000 } });
      await pollDevice(s, (v) => v.firmware.provisioningState === 'post', 'the commit to land on the device');
      s.killWorker();
      const computer = (await s.store.computers.findByUuid(s.uuids[0]))!;
      assert.equal(computer.secretRefs.adminPassword, null, 'killed before the promotion');
      assert.equal((await s.store.credentials.pendingAdminPasswords(computer.id)).length, 1);
      await s.control('DELETE', `/devices/${s.uuids[0]}/faults`);
      await s.startWorker();
      await assertCompletedCleanly(s, family);
      const recovered = (await s.store.audit.forComputer(s.uuids[0])).filter((a) => a.action === 'provisioning.admin-password-recovered');
      assert.equal(recovered.length, 1, 'the restarted run logged in with the pending password and promoted it');
    });
  }

  test('killed during the directory step: after restart there is one AD account and the run completes', async (t) => {
    const s = await childWorkerStack(t, `${FAMILY_NET.modern}.21`);
    const handle = s.client.workflow.getHandle(s.workflowId(0));
    const deadline = Date.now() + 120_000;
    for (;;) {
      const stage = await handle.query(statusQuery).then((st) => st.stage, () => undefined);
      if (stage === 'directory') break;
      if (Date.now() > deadline) assert.fail('the run never reached the directory stage');
      await new Promise((r) => setTimeout(r, 10));
    }
    s.killWorker();
    await s.startWorker();
    await assertCompletedCleanly(s);
  });
});
