// Remove Provisioning Information end to end, per firmware family: a device provisioned by
// the real stack (Temporal, Samba AD, the emulator) is unprovisioned by the unprovisionDevice
// run, and the test reads the device (control API, TLS), the directory and the store.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import tls from 'node:tls';
import { WorkflowFailedError } from '@temporalio/client';
import { DEFAULT_FIRMWARE_VERSION, type FirmwareFamily } from '../../../src/contract/firmwareFamilies';
import { MaintenanceRuns, RunRefused } from '../../../src/runs/maintenanceRuns';
import { RunControl } from '../../../src/runs/runControl';
import type { ProvisionResult } from '../../../src/workflows/definitions';
import { unprovisionStatusQuery, type UnprovisionInput, type UnprovisionResult } from '../../../src/workflows/maintenanceDefinitions';
import { withAdminClient } from '../../support/ad';
import { useProvisioningStacks, type ProvisioningStack } from '../../support/provisioningStack';
import { historySecretsScan } from '../../support/secretScan';
import { waitUntil } from '../../support/waitUntil';

interface DeviceView {
  firmware: { provisioningState: string; hostName: string; domainName: string; userAcl: unknown[]; kerberos: unknown };
}

/** Each family's devices on their own /24 (this file's block: 127.0.190-191). */
const FAMILY_NET: Record<FirmwareFamily, string> = { modern: '127.0.190', early: '127.0.191' };
const { stack: startStack } = useProvisioningStacks();

async function servedCertificate(host: string): Promise<X509Certificate> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host, port: 16993, rejectUnauthorized: false, maxVersion: 'TLSv1.2' }, () => {
      resolve(socket.getPeerX509Certificate()!);
      socket.destroy();
    });
    socket.on('error', reject);
  });
}

async function directoryAccounts(s: ProvisioningStack, netbiosName: string): Promise<number> {
  return withAdminClient(s.facts, async (ldap) => (await ldap.search(s.ou, { scope: 'one', filter: `(sAMAccountName=${netbiosName}$)` })).searchEntries.length);
}

/**
 * Waits until the provisioned device's Hello period is over (no Hello for 2 s, no run open). A
 * Hello the listener decided on before an unprovision held the computer can still start a
 * provisioning run while the removal runs (README "Unprovision", known limit); tests of the
 * removal start from a quiet device.
 */
async function helloQuiet(s: ProvisioningStack): Promise<void> {
  let last = -1;
  await waitUntil(async () => {
    const seen = s.listener.stats().connections;
    const quiet = seen === last && (await new RunControl(s.client, s.taskQueue).status(s.uuids[0]))?.status !== 'RUNNING';
    last = seen;
    if (!quiet) await new Promise((r) => setTimeout(r, 2_000));
    return quiet;
  }, 'the device to stop saying Hello');
}

async function unprovision(s: ProvisioningStack, options: Omit<UnprovisionInput, 'uuid'>) {
  const computer = (await s.store.computers.findByUuid(s.uuids[0]))!;
  const run = await new MaintenanceRuns(s.client, s.store, s.taskQueue).unprovision(computer, options);
  return { run, handle: s.client.workflow.getHandle(run.workflowId, run.runId) };
}

for (const family of ['modern', 'early'] as const) describe(`unprovision, ${family} firmware (AMT ${DEFAULT_FIRMWARE_VERSION[family]})`, () => {
  const firmwareVersion = DEFAULT_FIRMWARE_VERSION[family];
  const ip = (host: number): string => `${FAMILY_NET[family]}.${host}`;

  test('full, --no-reprovision, device dark at first: factory state, AD account gone, certificate revoked, Not Provisioned, Hellos held; a second run finds it done', async (t) => {
    const s = await startStack(t, { baseIp: ip(1), firmwareVersion });
    assert.equal((await s.waitForResult(0)).outcome, 'Provisioned');
    await helloQuiet(s);
    const computer = (await s.store.computers.findByUuid(s.uuids[0]))!;
    const served = await servedCertificate(ip(1));
    assert.equal(await directoryAccounts(s, computer.netbiosName), 1);
    const provisioningRun = (await s.client.workflow.getHandle(s.workflowId(0)).describe()).runId;

    // The device is dark when the removal starts: the run waits (retrying) and finishes once it is back.
    await s.control('POST', `/devices/${s.uuids[0]}/power`, { state: 'off' });
    const { handle } = await unprovision(s, { mode: 'full', reprovision: false });
    await waitUntil(async () => (await handle.query(unprovisionStatusQuery)).lastError?.type === 'DeviceUnreachable', 'the removal to meet the dark device');
    await s.control('POST', `/devices/${s.uuids[0]}/power`, { state: 'on' });
    const result = await handle.result() as UnprovisionResult;

    assert.deepEqual([result.outcome, result.alreadyUnprovisioned, result.directoryAccountDeleted, result.reprovision.started], ['Not Provisioned', false, true, false]);
    // The certificate the device served is revoked as superseded.
    assert.deepEqual(result.revokedSerials, [served.serialNumber.toLowerCase()]);
    const revocation = (await s.store.revocations.get(served.serialNumber))!;
    assert.deepEqual([revocation.reason, revocation.computerUuid, revocation.fingerprintSha256], ['superseded', computer.uuid, served.fingerprint256.replace(/:/g, '').toLowerCase()]);

    // Full: back to factory state, admin account `admin` + the factory password, names cleared.
    const fw = (await s.control<DeviceView>('GET', `/devices/${s.uuids[0]}`)).firmware;
    assert.deepEqual([fw.provisioningState, fw.hostName, fw.domainName, fw.userAcl, fw.kerberos], ['pre', '', '', [], null]);
    assert.deepEqual(await s.control('POST', `/devices/${s.uuids[0]}/check-admin`, { username: 'admin', password: s.devicePassword }), { matches: true });
    assert.equal(await directoryAccounts(s, computer.netbiosName), 0);
    const after = (await s.store.computers.get(computer.id));
    assert.deepEqual([after.amtStatus, after.provisioningHeld], ['Not Provisioned', true]);
    assert.match(after.statusReason ?? '', /provisioning removed \(full\); no automatic re-provisioning/);

    // The unprovisioned device says Hello again, and the listener drops it: no new run.
    await waitUntil(() => Promise.resolve((s.listener.stats().dropped['provisioning-held'] ?? 0) > 0), 'a held Hello');
    assert.equal((await s.client.workflow.getHandle(s.workflowId(0)).describe()).runId, provisioningRun);

    // Interrupted or repeated removals converge: nothing left to do, nothing fails.
    const again = await (await unprovision(s, { mode: 'full', reprovision: false })).handle.result() as UnprovisionResult;
    assert.deepEqual([again.alreadyUnprovisioned, again.directoryAccountDeleted, again.revokedSerials], [true, false, []]);
    const actions = (await s.store.audit.forComputer(computer.uuid)).map((a) => a.action).filter((a) => a.startsWith('unprovision.'));
    assert.deepEqual(actions, [
      'unprovision.started', 'unprovision.certificate-revoked', 'unprovision.device', 'unprovision.directory-account', 'unprovision.finished',
      'unprovision.started', 'unprovision.device', 'unprovision.directory-account', 'unprovision.finished',
    ]);
    // No secret in the run's history.
    const secrets = [s.devicePassword, (await s.store.vault.getSecret(after.secretRefs.adminPassword!))];
    assert.deepEqual(await historySecretsScan(s.client, handle.workflowId, s.codecKeys, secrets), []);
  });

  test('partial, then provisioned again automatically: the device keeps its admin account, gets a new certificate and AD account', async (t) => {
    const s = await startStack(t, { baseIp: ip(11), firmwareVersion });
    assert.equal((await s.waitForResult(0)).outcome, 'Provisioned');
    await helloQuiet(s);
    const computer = (await s.store.computers.findByUuid(s.uuids[0]))!;
    const adminPassword = (await s.store.vault.getSecret(computer.secretRefs.adminPassword!));
    const served = await servedCertificate(ip(11));

    const { handle } = await unprovision(s, { mode: 'partial', reprovision: true });
    const result = await handle.result() as UnprovisionResult;
    assert.equal(result.outcome, 'Not Provisioned');
    assert.deepEqual(result.revokedSerials, [served.serialNumber.toLowerCase()]);
    assert.equal(result.directoryAccountDeleted, true);
    assert.ok(result.reprovision.started, `a provisioning run was started: ${JSON.stringify(result.reprovision)}`);
    const audit = (await s.store.audit.forComputer(computer.uuid));
    assert.equal(audit.find((a) => a.action === 'unprovision.device')?.detail?.performed, 'partial');

    const provisioned = await s.client.workflow.getHandle(result.reprovision.workflowId, result.reprovision.runId).result() as ProvisionResult;
    assert.equal(provisioned.outcome, 'Provisioned');
    const now = (await s.store.computers.get(computer.id));
    assert.deepEqual([now.amtStatus, now.provisioningHeld], ['Provisioned', false]);
    // Partial kept the admin account: the new run logged in with the vault's current password.
    const logins = (await s.store.audit.forComputer(computer.uuid)).filter((a) => a.action === 'provisioning.digest-login').map((a) => String(a.detail?.credential));
    assert.equal(logins.at(-1), 'admin-current');
    assert.notEqual(adminPassword, (await s.store.vault.getSecret(now.secretRefs.adminPassword!)), 'the new run set a new admin password');
    const newCert = await servedCertificate(ip(11));
    assert.notEqual(newCert.serialNumber, served.serialNumber);
    assert.equal((await s.store.revocations.get(newCert.serialNumber)), undefined);
    assert.equal(await directoryAccounts(s, computer.netbiosName), 1);
  });

  if (family === 'modern') test('refused while the device\'s provisioning run is open, and while another unprovision runs; the Hellos are not left held', async (t) => {
    const s = await startStack(t, { baseIp: ip(21), firmwareVersion });
    await waitUntil(async () => (await new RunControl(s.client, s.taskQueue).status(s.uuids[0]))?.status === 'RUNNING', 'the provisioning run');
    // Dark device: the provisioning run stays open, backing off.
    await s.control('POST', `/devices/${s.uuids[0]}/power`, { state: 'off' });
    await assert.rejects(unprovision(s, { mode: 'full', reprovision: true }), (err: unknown) => err instanceof RunRefused && /open provisioning run/.test(err.message));
    assert.equal((await s.store.computers.findByUuid(s.uuids[0]))!.provisioningHeld, false);
    await s.control('POST', `/devices/${s.uuids[0]}/power`, { state: 'on' });
    assert.equal((await s.waitForResult(0)).outcome, 'Provisioned');

    await s.control('POST', `/devices/${s.uuids[0]}/power`, { state: 'off' });
    const first = await unprovision(s, { mode: 'full', reprovision: false, deadlineSeconds: 15 });
    await assert.rejects(unprovision(s, { mode: 'full', reprovision: false }), (err: unknown) => err instanceof RunRefused && /already running/.test(err.message));
    assert.equal((await s.store.computers.findByUuid(s.uuids[0]))!.provisioningHeld, true, 'the running removal keeps its hold');
    // A device that stays dark past the deadline: the removal fails, the computer keeps its status and its Hellos are welcome again.
    await assert.rejects(first.handle.result(), (err: unknown) => err instanceof WorkflowFailedError && /DeviceUnreachable|deadline/.test(`${err.cause?.message}`));
    const computer = (await s.store.computers.findByUuid(s.uuids[0]))!;
    assert.deepEqual([computer.amtStatus, computer.provisioningHeld], ['Provisioned', false]);
  });
});
