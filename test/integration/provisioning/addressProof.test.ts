// A Hello is unauthenticated (docs/amt-protocol.md section 2): a Hello for a Provisioned
// computer, or from an address other than its last, must not degrade the computer or move
// its address until the device there shows the pinned certificate. Real Temporal, Samba AD,
// and emulated devices: an impostor with the victim's UUID and keys of its own, and the
// victim itself coming back, unprovisioned, from a new DHCP address.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { startFleet, trustedHashesOfRoot, type Fleet } from '../../../src/emulator/fleet';
import { DOMAIN, useProvisioningStacks, type ProvisioningStack } from '../../support/provisioningStack';
import { waitUntil } from '../../support/waitUntil';

/** Another fleet emulating the stack's devices (same UUIDs) on `baseIp`, sending Hellos to its listener. */
function sameUuidFleet(s: ProvisioningStack, baseIp: string, stateDir: string): Promise<Fleet> {
  return startFleet({
    count: 1, baseIp, stateDir, uuidSeed: s.uuidSeed, provisionServer: { host: s.listener.host, port: s.listener.port },
    domainSuffix: DOMAIN, trustedRootHashes: trustedHashesOfRoot(s.pki.root.certPem), adminPasswords: [s.devicePassword],
    timeScale: 60, control: { host: baseIp.replace(/\.\d+$/, '.250'), port: 0 },
  });
}

async function runsOf(s: ProvisioningStack): Promise<{ runId: string; status: string }[]> {
  const runs = [];
  for await (const wf of s.client.workflow.list({ query: `WorkflowId = "${s.workflowId(0)}"` })) runs.push({ runId: wf.runId, status: wf.status.name });
  return runs;
}

describe('address proof: Hellos cannot degrade or move a pinned computer', () => {
  const { stack } = useProvisioningStacks();

  test('an impostor with a Provisioned computer\'s UUID is refused as ImpostorDevice; the computer stays Provisioned at its address', async (t) => {
    const s = await stack(t, { baseIp: '127.0.47.1' });
    await s.waitForResult(0);
    const before = (await s.store.computers.findByUuid(s.uuids[0]))!;
    assert.deepEqual([before.amtStatus, before.lastAddress], ['Provisioned', '127.0.47.1']);

    const dir = mkdtempSync(path.join(os.tmpdir(), 'amtprov-impostor-'));
    const impostor = await sameUuidFleet(s, '127.0.48.1', dir);
    t.after(async () => {
      await impostor.stop();
      rmSync(dir, { recursive: true, force: true });
    });
    await waitUntil(async () => (await runsOf(s)).length === 2 && (await runsOf(s)).every((r) => r.status !== 'RUNNING'), 'the impostor\'s run to end');
    const err = await s.client.workflow.getHandle(s.workflowId(0)).result().then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof WorkflowFailedError && err.cause instanceof ApplicationFailure);
    assert.equal(err.cause.type, 'ImpostorDevice');

    const after = (await s.store.computers.findByUuid(s.uuids[0]))!;
    assert.deepEqual([after.amtStatus, after.lastAddress, after.deviceCertFingerprint], ['Provisioned', '127.0.47.1', before.deviceCertFingerprint]);
    const trail = await s.store.audit.forComputer(s.uuids[0]);
    const event = trail.find((a) => a.action === 'security.impostor-device');
    assert.equal(event?.detail?.address, '127.0.48.1');
    assert.equal(trail.at(-1)?.action, 'provisioning.finished');
    assert.equal(trail.at(-1)?.detail?.addressUnproven, true);
    // The impostor got a TLS handshake and nothing else: no Digest login, nothing set.
    const fake = impostor.devices[0].firmware;
    assert.deepEqual([fake.phase, fake.state.admin.setByServer], ['pre', false]);
    // The real device still answers with the password the vault holds.
    const real = s.fleet.devices[0].firmware;
    assert.equal(real.phase, 'post');
  });

  test('the real device back from a new address, unprovisioned, proves itself with its pinned certificate and is provisioned there', async (t) => {
    const s = await stack(t, { baseIp: '127.0.47.11' });
    await s.waitForResult(0);
    const pinned = (await s.store.computers.findByUuid(s.uuids[0]))!.deviceCertFingerprint;
    // The device powers off and comes back with the same flash at another address (new DHCP lease).
    const original = s.fleet.devices[0];
    await s.control('POST', '/devices/0/power', { state: 'off' });
    const dir = mkdtempSync(path.join(os.tmpdir(), 'amtprov-moved-'));
    copyFileSync(path.join(original.config.stateDir, `${s.uuids[0]}.json`), path.join(dir, `${s.uuids[0]}.json`));
    const moved = await sameUuidFleet(s, '127.0.49.1', dir);
    t.after(async () => {
      await moved.stop();
      rmSync(dir, { recursive: true, force: true });
    });
    assert.equal(moved.devices[0].firmware.phase, 'post', 'the flash came along');
    // Someone unprovisions it locally: it says Hello again, from its new address.
    const response = await fetch(`${moved.controlUrl}/devices/0/unprovision`, { method: 'POST', body: JSON.stringify({ mode: 'full' }), headers: { 'content-type': 'application/json' } });
    assert.equal(response.status, 200, await response.text());
    await waitUntil(async () => (await runsOf(s)).length === 2 && (await runsOf(s)).every((r) => r.status === 'COMPLETED'), 'the new run to provision it');

    const computer = (await s.store.computers.findByUuid(s.uuids[0]))!;
    assert.deepEqual([computer.amtStatus, computer.lastAddress, computer.deviceCertFingerprint], ['Provisioned', '127.0.49.1', pinned]);
    const proven = (await s.store.audit.forComputer(s.uuids[0])).find((a) => a.action === 'provisioning.address-proven');
    assert.deepEqual([proven?.detail?.address, proven?.detail?.from], ['127.0.49.1', '127.0.47.11']);
    assert.equal(moved.devices[0].firmware.phase, 'post');
    const password = (await s.store.credentials.credentialCandidates(computer.id))[0];
    assert.ok(moved.devices[0].firmware.isAdminPassword('admin', await s.store.vault.getSecret(password.passwordRef)), 'the vault holds the moved device\'s password');
  });
});
