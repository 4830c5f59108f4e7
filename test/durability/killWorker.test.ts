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
import { waitUntil } from '../support/waitUntil';
import { trustedHashesOfRoot } from '../../src/emulator/fleet';
import { RunControl } from '../../src/runs/runControl';
import type { ProvisioningActivities } from '../../src/activities/types';
import { temporal } from '@temporalio/proto';

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

  async function assertCompletedCleanly(s: ProvisioningStack, family: FirmwareFamily = 'modern', index = 0): Promise<void> {
    assert.equal((await s.waitForResult(index, 240_000)).outcome, 'Provisioned');
    const computer = (await s.store.computers.findByUuid(s.uuids[index]))!;
    assert.equal(computer.firmwareFamily, family);
    // Phase 1 spoke the family's dialect (a restarted run after the commit finds it done).
    const dialects = new Set((await s.store.audit.forComputer(computer.uuid)).filter((a) => a.action === 'provisioning.phase1').map((a) => a.detail?.dialect));
    assert.deepEqual([...dialects], [family === 'modern' ? 'ws-man' : 'eoi-soap']);
    if (family === 'modern') {
      // Nothing an interrupted attempt made is left over: one key pair, one device certificate, bound to TLS.
      const { firmware } = await s.control<DeviceView>('GET', `/devices/${s.uuids[index]}`);
      const leaves = firmware.keyStore.certificates.filter((c) => !c.isRoot);
      assert.equal(firmware.keyStore.keyPairs.length, 1, 'one key pair');
      assert.deepEqual(leaves.map((c) => c.handle), [firmware.tls.certificateHandle], 'one device certificate, the TLS one');
    }
    const password = await s.store.vault.getSecret(computer.secretRefs.adminPassword!);
    assert.deepEqual(await s.control('POST', `/devices/${s.uuids[index]}/check-admin`, { username: 'admin', password }), { matches: true },
      "the device's admin password is the vault's");
    assert.equal((await s.store.credentials.pendingAdminPasswords(computer.id)).length, 0);
    const accounts = await withAdminClient(s.facts, async (ldap) => (await ldap.search(s.facts.baseDn, {
      filter: `(sAMAccountName=${computer.netbiosName}$)`, attributes: ['dn'],
    })).searchEntries);
    assert.equal(accounts.length, 1, 'one AD object');
    // The killed and the restarted worker logged nothing secret, and the history holds none.
    const secrets = [password, s.devicePassword, await s.store.vault.getSecret(computer.secretRefs.adAccountPassword!)];
    assert.deepEqual(findSecrets(s.logs.join('\n'), secrets), []);
    assert.deepEqual(await historySecretsScan(s.client, s.workflowId(index), s.codecKeys, secrets), []);
    // One run, and an audit trail that says what happened, whatever was killed when.
    const runsQuery = `WorkflowId = '${s.workflowId(index)}'`;
    await waitUntil(async () => (await s.client.workflow.count(runsQuery)).count > 0, 'the run in visibility', 10_000);
    assert.equal((await s.client.workflow.count(runsQuery)).count, 1, 'one run');
    const actions = new Set((await s.store.audit.forComputer(computer.uuid)).map((a) => a.action));
    for (const action of ['provisioning.started', 'provisioning.digest-login', 'provisioning.directory-account', 'provisioning.phase2', 'provisioning.finished']) {
      assert.ok(actions.has(action), `audit has ${action}: ${[...actions].join(', ')}`);
    }
    assert.ok(actions.has('provisioning.phase1') || actions.has('provisioning.admin-password-recovered'), 'audit explains the admin password');
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

  /**
   * The out-of-band stages that run as activities on the worker's task queue, and the activity
   * that starts each (src/workflows/provisionDevice.ts); validate and report are local
   * activities, with no ActivityTaskScheduled event: the tests after this one kill inside them.
   */
  const STAGE_ACTIVITIES: [string, keyof ProvisioningActivities][] = [
    ['tls', 'tlsHandshake'], ['digest', 'digestLogin'], ['directory', 'createDirectoryAccount'], ['phase1', 'phase1'], ['phase2', 'phase2Wsman'],
  ];
  type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

  /** Follows a run's history as Temporal writes it (long poll) until `reached` holds for the events so far. */
  async function waitForHistory(s: ProvisioningStack, index: number, what: string, reached: (events: HistoryEvent[]) => boolean): Promise<void> {
    const deadline = Date.now() + 180_000;
    const events: HistoryEvent[] = [];
    let nextPageToken: Uint8Array | undefined;
    while (Date.now() < deadline) {
      const page = await s.client.workflowService.getWorkflowExecutionHistory({
        namespace: s.client.options.namespace, execution: { workflowId: s.workflowId(index) }, waitNewEvent: true, ...(nextPageToken ? { nextPageToken } : {}),
      });
      events.push(...(page.history?.events ?? []));
      if (reached(events)) return;
      if (!page.nextPageToken?.length) assert.fail(`run ${index} closed before ${what}`);
      nextPageToken = page.nextPageToken;
    }
    assert.fail(`run ${index} never reached ${what}`);
  }
  const scheduled = (activity: string) => (events: HistoryEvent[]): boolean =>
    events.some((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === activity);
  const EventType = temporal.api.enums.v1.EventType;
  /** The worker that held a workflow task died with it: the task timed out and went to the next worker. */
  const timedOutTasks = async (s: ProvisioningStack, index: number): Promise<number> =>
    ((await s.client.workflow.getHandle(s.workflowId(index)).fetchHistory()).events ?? [])
      .filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT).length;

  /** Starts device `index`'s run as its Hello would; `hostname` is its FQDN in the store, looked up by the caller. */
  async function startRun(s: ProvisioningStack, index: number, hostname?: string): Promise<void> {
    const runs = new RunControl(s.client, s.taskQueue);
    // What the device's Hello would offer: the hex of its active root hashes.
    const roots = trustedHashesOfRoot(s.pki.root.certPem).filter((h) => h.active).map((h) => h.hash);
    const uuid = s.uuids[index];
    await runs.fromHello({ uuid, hostname: hostname ?? (await s.store.computers.findByUuid(uuid))!.fqdn, address: s.fleet.devices[index].config.ip, trustedRootHashes: roots }, 0);
  }

  test('one kill -9 at every remote stage boundary, tls to phase2: every device ends Provisioned, one AD object, the vault\'s password, one run, a full audit', async (t) => {
    // One device per stage, started one after another by the test (no Hellos), so each kill lands where it is meant to;
    // the earlier runs, still going, take the later kills wherever they are.
    const s = await stack(t, { baseIp: '127.0.183.1', devices: STAGE_ACTIVITIES.length, worker: 'child-process', hellos: false });
    for (const [index, [, activity]] of STAGE_ACTIVITIES.entries()) {
      await startRun(s, index);
      await waitForHistory(s, index, `${activity} scheduled`, scheduled(activity));
      s.killWorker();
      await s.startWorker();
    }
    for (const index of STAGE_ACTIVITIES.keys()) await assertCompletedCleanly(s, 'modern', index);
  });

  test('killed inside the local validate step (it waits on the site store\'s write lock): the restarted worker validates again and the run completes', async (t) => {
    const s = await stack(t, { baseIp: '127.0.184.1', devices: 1, worker: 'child-process', hellos: false });
    const computer = (await s.store.computers.findByUuid(s.uuids[0]))!;
    // The test holds the store's write lock, so validate's first write (Detected, provisioning.started) waits inside the
    // worker's workflow task. Nothing in the block may use the test's store: its calls queue behind this transaction.
    await s.store.transaction(async () => {
      await startRun(s, 0, computer.fqdn);
      await waitForHistory(s, 0, 'its first workflow task started', (events) => events.some((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED));
      await new Promise((r) => setTimeout(r, 500));
      s.killWorker();
    });
    const startedRows = async (): Promise<number> => (await s.store.audit.forComputer(computer.uuid)).filter((a) => a.action === 'provisioning.started').length;
    assert.equal(await startedRows(), 0, 'the killed attempt wrote nothing');
    await s.startWorker();
    await assertCompletedCleanly(s);
    assert.ok(await timedOutTasks(s, 0) >= 1, 'the killed worker held the workflow task running validate');
    assert.equal(await startedRows(), 1, 'validated once, by the restarted worker');
  });

  test('killed right after the local report step wrote the outcome, before its workflow task completed: the report is written again and the run completes', async (t) => {
    // The kill races the worker's completion of the workflow task by a few milliseconds: the
    // history says whether it landed in that window; up to three devices are tried until one does.
    const s = await stack(t, { baseIp: '127.0.185.1', devices: 3, worker: 'child-process', hellos: false });
    for (const index of s.uuids.keys()) {
      const uuid = s.uuids[index];
      await startRun(s, index);
      await waitForHistory(s, index, 'phase2 scheduled', scheduled('phase2Wsman'));
      const deadline = Date.now() + 120_000;
      const finished = async (): Promise<number> => (await s.store.audit.forComputer(uuid)).filter((a) => a.action === 'provisioning.finished').length;
      while (await finished() === 0) {
        if (Date.now() > deadline) assert.fail('the report never reached the store');
        await new Promise((r) => setImmediate(r));
      }
      s.killWorker();
      await s.startWorker();
      await assertCompletedCleanly(s, 'modern', index);
      const landed = await timedOutTasks(s, index) >= 1;
      const reports = (await s.store.audit.forComputer(uuid)).filter((a) => a.action === 'provisioning.finished');
      // Each report names the same run: a repeat is the same fact written twice, never a second run's.
      assert.equal(new Set(reports.map((a) => a.actor)).size, 1, 'every report names the one run');
      if (!landed) {
        assert.equal(reports.length, 1, 'the workflow task completed before the kill: reported once');
        t.diagnostic(`device ${index}: the workflow task completed before the kill landed; trying the next device`);
        continue;
      }
      assert.equal(reports.length, 2, 'the restarted worker reran the report step');
      return;
    }
    assert.fail('no kill landed between the report\'s write and its workflow task\'s completion on three devices');
  });
});
