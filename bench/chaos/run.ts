// Chaos bench (not a test): an emulated fleet provisioned through the real stack (Hello ->
// listener -> Temporal -> `amtprov worker` child -> devices and Samba DC, as
// bench/provision-fleet) while the worker is SIGKILLed at seeded random moments, and right
// after CommitChanges on a seeded subset of devices, and restarted each time, until every run
// closed. Then every device is checked: Provisioned in the store, exactly one AD computer
// object, the vault's admin password is the device's (control API check-admin), exactly one
// run (Temporal visibility), and an audit trail that says how its admin password came to be.
//   npx tsx bench/chaos/run.ts --devices 60 --kills 20 --seed 7 [--timeout-minutes 15]
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { startHelloListener } from '../../src/listener/helloListener';
import { siteHelloLookups } from '../../src/listener/siteLookups';
import { helloToWorkflow } from '../../src/listener/startProvisioning';
import { createLogger } from '../../src/log';
import { parseKeyRing } from '../../src/secrets/keyFile';
import { ensureSamba } from '../../src/stack/samba';
import { dataConverter } from '../../src/temporal/connection';
import { provisioningWorkflowId } from '../../src/workflows/definitions';
import type { SiteStore } from '../../src/site/store';
import { testAdDir, withAdminClient } from '../../test/support/ad';
import { benchStateRoot, fleetDevicePassword, fleetLayout, resetFleetToFactory, startBenchFleet, type FleetSpec } from '../provision-fleet/benchFleet';
import { benchPki, createBenchSite, createOu } from '../provision-fleet/benchSite';
import { startBenchTemporal, startWorkerProcess, type MeasuredChild } from '../provision-fleet/childProcesses';
import { round } from '../provision-fleet/procSampler';
import { countOpenRuns, listRuns } from '../provision-fleet/runAnalysis';
import { seededRandom } from '../network-fuzz/seededRandom';
import { runMain, type Cleanup } from '../provision-fleet/runMain';

const SERVICE_HOST = '127.4.255.1';
const TEMPORAL_HOST = '127.0.0.1';
/** How a device's admin password came to be, in its audit trail (src/activities: phase1Soap, deviceAccess). */
const ADMIN_PASSWORD_AUDIT = ['provisioning.phase1', 'provisioning.admin-password-recovered'];

const { values } = parseArgs({
  options: {
    devices: { type: 'string', default: '60' },
    kills: { type: 'string', default: '20' },
    seed: { type: 'string', default: '7' },
    /** Fraction of devices whose CommitChanges is followed at once by a kill (while kills remain). */
    'commit-kill-share': { type: 'string', default: '0.3' },
    'timeout-minutes': { type: 'string', default: '15' },
  },
});
const count = positiveInt('devices');
const killTarget = positiveInt('kills');
const seed = positiveInt('seed');
const commitKillShare = Number(values['commit-kill-share']);
const timeoutMs = Number(values['timeout-minutes']) * 60_000;
function positiveInt(name: 'devices' | 'kills' | 'seed'): number {
  const value = Number(values[name]);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer, got ${values[name]}`);
  return value;
}

const log = createLogger('chaos', { level: 'warn' });
const cleanups: Cleanup[] = [];
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const step = (text: string): void => console.error(`[${new Date().toISOString().slice(11, 19)}] ${text}`);

interface Kill { at: string; trigger: 'random' | 'after-commit'; device?: string; restartMs: number }
interface DeviceCheck {
  uuid: string;
  name: string;
  status: string;
  adObjects: number;
  vaultPasswordMatchesDevice: boolean;
  runs: number;
  runStatus: string;
  adminPasswordAudit: string[];
  passed: boolean;
}

async function main(): Promise<void> {
  const started = new Date();
  const loadAverageAtStart = os.loadavg().map((l) => round(l, 2));
  const random = seededRandom(seed);
  const spec: FleetSpec = { label: 'chaos', count, baseIp: '127.4.0.1', controlHost: '127.4.255.2' };
  const layout = fleetLayout(spec);
  const logDir = path.join(benchStateRoot(count), 'chaos-logs');
  rmSync(logDir, { recursive: true, force: true });
  mkdirSync(logDir, { recursive: true });
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'amtprov-chaos-'));
  cleanups.push(() => rmSync(tmp, { recursive: true, force: true }));

  step(`Samba AD DC (${testAdDir()})`);
  const samba = await ensureSamba(testAdDir());
  cleanups.push(() => samba.stop());
  const pki = benchPki();
  const devicePassword = fleetDevicePassword(count);
  const masterKeyRing = `chaos:${randomBytes(32).toString('base64')}`;
  const codecKeyRing = `chaos:${randomBytes(32).toString('base64')}`;
  step(`resetting ${count} devices to factory state`);
  await resetFleetToFactory({ spec, rootPem: pki.root.certPem, devicePassword });

  const ou = await createOu(samba, 'chaos');
  cleanups.push(() => ou.remove());
  const siteDb = path.join(tmp, 'site.sqlite');
  const store: SiteStore = await createBenchSite({
    file: siteDb, keyRing: parseKeyRing(masterKeyRing, 'chaos master'), pki, samba, ou: ou.dn, devicePassword,
    devices: layout.uuids.map((uuid) => ({ uuid })), namePrefix: 'CH',
  });
  cleanups.push(() => store.close());
  const server = await startBenchTemporal(TEMPORAL_HOST, tmp, logDir);
  cleanups.push(() => server.stop());
  const workerEnv = { temporalAddress: server.address, namespace: server.namespace, siteDb, masterKeyRing, codecKeyRing, dataDir: tmp };
  let workerRuns = 0;
  const startWorker = (): Promise<MeasuredChild> => startWorkerProcess(workerEnv, path.join(logDir, `worker-${++workerRuns}.log`));
  let worker = await startWorker();
  cleanups.push(() => worker.stop());

  const connection = await Connection.connect({ address: server.address });
  cleanups.push(() => connection.close());
  const client = new Client({ connection, namespace: server.namespace, dataConverter: dataConverter(parseKeyRing(codecKeyRing, 'chaos codec')) });
  const forward = helloToWorkflow(client);
  const forwarded = new Set<string>();
  const listener = await startHelloListener({
    host: SERVICE_HOST, port: 0, lookups: siteHelloLookups(store), log: log.child('listener'),
    provision: async (request) => { await forward(request); forwarded.add(request.uuid); },
  });
  cleanups.push(() => listener.close());

  // Kills: SIGKILL, wait for the exit, start a new worker; one at a time.
  const kills: Kill[] = [];
  const inProgress: { kill: Promise<void> | null } = { kill: null };
  const kill = (trigger: Kill['trigger'], device?: string): void => {
    if (inProgress.kill || kills.length >= killTarget) return;
    inProgress.kill = (async () => {
      const at = new Date().toISOString();
      worker.child.kill('SIGKILL');
      await worker.exited;
      const restart = Date.now();
      worker = await startWorker();
      kills.push({ at, trigger, ...(device ? { device } : {}), restartMs: Date.now() - restart });
      step(`kill ${kills.length}/${killTarget} (${trigger}${device ? ` ${device}` : ''}); worker back in ${Date.now() - restart} ms`);
    })().finally(() => { inProgress.kill = null; });
  };

  step(`powering on ${count} devices (${spec.baseIp}...); killing the worker ${killTarget} times (seed ${seed})`);
  const fleet = await startBenchFleet({ spec, rootPem: pki.root.certPem, devicePassword, helloTarget: listener });
  cleanups.push(() => fleet.stop());
  const commitKillDevices = new Set(layout.uuids.filter(() => random() < commitKillShare));
  for (const device of fleet.devices) {
    if (!commitKillDevices.has(device.firmware.uuid)) continue;
    device.firmware.on('phase', (phase: string) => { if (phase === 'post') kill('after-commit', device.firmware.uuid); });
  }

  const deadline = Date.now() + timeoutMs;
  let nextRandomKill = Date.now() + 2000 + random() * 6000;
  let timedOut = false;
  for (;;) {
    if (Date.now() >= nextRandomKill) {
      kill('random');
      nextRandomKill = Date.now() + 2000 + random() * 6000;
    }
    if (!inProgress.kill && forwarded.size === count && (await countOpenRuns(client)) === 0) break;
    if (Date.now() > deadline) { timedOut = true; break; }
    await sleep(250);
  }
  await inProgress.kill;
  step(`${timedOut ? 'TIMEOUT; ' : ''}${kills.length} kills; runs closed: checking every device`);

  const runs = await listRuns(client);
  const adNames = await withAdminClient(samba, async (ad) => {
    const { searchEntries } = await ad.search(ou.dn, { scope: 'sub', filter: '(objectClass=computer)', attributes: ['sAMAccountName'] });
    return searchEntries.map((entry) => String(entry.sAMAccountName).replace(/\$$/, '').toUpperCase());
  });
  const checks: DeviceCheck[] = [];
  for (const uuid of layout.uuids) {
    const computer = await store.computers.findByUuid(uuid);
    if (!computer) throw new Error(`computer ${uuid} is not in the site store`);
    const device = fleet.find(uuid);
    let matches = false;
    if (computer.secretRefs.adminPassword && device && fleet.controlUrl) {
      const response = await fetch(`${fleet.controlUrl}/devices/${uuid}/check-admin`, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'admin', password: await store.vault.getSecret(computer.secretRefs.adminPassword) }),
      });
      matches = response.ok && ((await response.json()) as { matches: boolean }).matches;
    }
    const deviceRuns = runs.get(provisioningWorkflowId(uuid)) ?? [];
    const audit = (await store.audit.forComputer(uuid)).map((r) => r.action).filter((action) => ADMIN_PASSWORD_AUDIT.includes(action));
    const check = {
      uuid, name: computer.netbiosName, status: computer.amtStatus,
      adObjects: adNames.filter((name) => name === computer.netbiosName).length,
      vaultPasswordMatchesDevice: matches, runs: deviceRuns.length, runStatus: deviceRuns[0]?.status ?? 'none',
      adminPasswordAudit: audit,
    };
    checks.push({ ...check, passed: check.status === 'Provisioned' && check.adObjects === 1 && matches && check.runs === 1 && audit.length > 0 });
  }

  const outcome = {
    provisioned: checks.filter((c) => c.status === 'Provisioned').length,
    oneAdObject: checks.filter((c) => c.adObjects === 1).length,
    vaultPasswordIsDevices: checks.filter((c) => c.vaultPasswordMatchesDevice).length,
    oneRun: checks.filter((c) => c.runs === 1).length,
    auditExplainsAdminPassword: checks.filter((c) => c.adminPasswordAudit.length > 0).length,
    allChecksPassed: checks.filter((c) => c.passed).length,
  };
  const results = {
    date: started.toISOString(), seed, devices: count, killTarget, commitKillShare, timedOut,
    wallSeconds: round((Date.now() - started.getTime()) / 1000, 1),
    machine: {
      cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown', memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version,
      loadAverageAtStart, loadAverageAtEnd: os.loadavg().map((l) => round(l, 2)),
    },
    kills: { total: kills.length, random: kills.filter((k) => k.trigger === 'random').length, afterCommit: kills.filter((k) => k.trigger === 'after-commit').length, list: kills },
    outcome, listener: listener.stats(),
    failures: checks.filter((c) => !c.passed),
    adminPasswordAuditKinds: Object.fromEntries(ADMIN_PASSWORD_AUDIT.map((a) => [a, checks.filter((c) => c.adminPasswordAudit.includes(a)).length])),
  };
  const file = path.join(__dirname, 'results', `${results.date.slice(0, 10)}-${seed}.json`);
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  console.log(JSON.stringify({ outcome, kills: results.kills.total, timedOut, wallSeconds: results.wallSeconds }, null, 2));
  step(`results in ${path.relative(process.cwd(), file)}; logs in ${path.relative(process.cwd(), logDir)}`);
  if (outcome.allChecksPassed !== count || timedOut) process.exitCode = 2;
}

runMain(main, cleanups);
