// The whole out-of-band pipeline for a test, built from real parts: a Temporal dev server,
// the shared Samba DC (own OU per stack), a site store on a temp SQLite file with the demo
// PKI, an emulated fleet on the caller's 127.0.x.y range, the hello listener, and a worker,
// in this process or (for kill -9 tests) as a child process running `amtprov worker`.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, type TestContext } from 'node:test';
import { Client, Connection, WorkflowFailedError, WorkflowNotFoundError } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { createActivities } from '../../src/activities';
import { startFleet, trustedHashesOfRoot, type Fleet } from '../../src/emulator/fleet';
import { deviceUuid } from '../../src/emulator/fleetAddressing';
import { startHelloListener, type HelloListener } from '../../src/listener/helloListener';
import { siteHelloLookups } from '../../src/listener/siteLookups';
import { helloToWorkflow } from '../../src/listener/startProvisioning';
import { createLogger } from '../../src/log';
import { createDemoPki, type DemoPki, type DemoPkiOptions } from '../../src/pki/demoPki';
import { registerDemoPki } from '../../src/pki/register';
import { generateRsaKeyPair } from '../../src/pki/x509';
import { parseKeyRing, type KeyRing } from '../../src/secrets/keyFile';
import { importComputers } from '../../src/site/importComputers';
import { SecretValue } from '../../src/site/settings';
import { openSiteStore, type SiteStore } from '../../src/site/store';
import { dataConverter } from '../../src/temporal/connection';
import { createProvisioningWorker } from '../../src/worker';
import { provisioningWorkflowId, type ProvisionResult } from '../../src/workflows/definitions';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { useTestDirectory, type TestDirectory, type TestDirectoryFacts } from './ad';
import { startTestTemporal, uniqueTaskQueue } from './temporal';
import { workflowBundle } from './worker';

export const DOMAIN = 'amt.test';

/** The `amtprov` command of this checkout. */
export const AMTPROV_BIN = path.resolve(__dirname, '../../bin/amtprov');

/** Demo PKI keys are slow to make; one set per test process. */
let pkiKeys: DemoPkiOptions['keys'];
function demoPki(): DemoPki {
  pkiKeys ??= { root: generateRsaKeyPair(), provisioning: generateRsaKeyPair(), issuingCa: generateRsaKeyPair() };
  return createDemoPki({ domain: DOMAIN, keys: pkiKeys });
}

export interface TemporalTarget {
  address: string;
  namespace: string;
}

export interface StackOptions {
  temporal: TemporalTarget;
  directory: TestDirectory;
  t: TestContext;
  /** First device address, e.g. 127.0.41.1; the fleet takes the next ones. */
  baseIp: string;
  devices?: number;
  firmwareVersion?: string;
  /** The password the devices' MEBx set up (the factory admin account's). */
  devicePassword?: string;
  /** Digest accounts to try, in order; default: just the device password. */
  digestPasswords?: (devicePassword: string) => string[];
  /** Settings `amt` section overrides (SecretValues for secrets). */
  amt?: Record<string, unknown>;
  deadline?: string;
  worker?: 'in-process' | 'child-process';
  /** The child worker's --metrics address (host:port); default off, so parallel test files never share a port. */
  workerMetrics?: string;
  /** Import the devices (default); in-band tests let their agents register them instead. */
  importDevices?: boolean;
  /** Devices send Hellos to the listener (default). */
  hellos?: boolean;
  /** Devices without a Wi-Fi radio (startFleet's option). */
  withoutRadio?: 'all' | readonly number[];
}

export interface ProvisioningStack {
  client: Client;
  store: SiteStore;
  fleet: Fleet;
  listener: HelloListener;
  pki: DemoPki;
  facts: TestDirectoryFacts;
  ou: string;
  taskQueue: string;
  uuids: string[];
  /** The fleet's UUID seed: another fleet with it emulates the same devices (an impostor, or a device that moved). */
  uuidSeed: string;
  devicePassword: string;
  codecKeys: KeyRing;
  /** Log lines of the stack's own components (listener, activities when in-process, child worker output). */
  logs: string[];
  /** The environment a role process of this stack runs with (Temporal, store, keys, data dir), as the docs set it. */
  roleEnv: NodeJS.ProcessEnv;
  workflowId(index: number): string;
  waitForResult(index: number, timeoutMs?: number): Promise<ProvisionResult>;
  control<T>(method: 'GET' | 'POST' | 'DELETE', route: string, body?: unknown): Promise<T>;
  startWorker(): Promise<void>;
  killWorker(): void;
  /** SIGTERM to a child worker (shutdown of an in-process one); resolves with the child's exit code (null in-process). */
  stopWorker(): Promise<number | null>;
  stop(): Promise<void>;
}

export async function startProvisioningStack(options: StackOptions): Promise<ProvisioningStack> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'amtprov-stack-'));
  const logs: string[] = [];
  const log = createLogger('stack', { level: 'debug', sink: (line) => logs.push(line) });
  const masterRing = `m:${randomBytes(32).toString('base64')}`;
  const codecRing = `c:${randomBytes(32).toString('base64')}`;
  const codecKeys = parseKeyRing(codecRing, 'test codec');
  const siteDb = path.join(dir, 'site.sqlite');
  const store = await openSiteStore({ location: siteDb, keyRing: parseKeyRing(masterRing, 'test master') });
  const facts = options.directory.facts();
  const ou = await options.directory.uniqueOu(options.t, 'amt');
  const pki = demoPki();
  await registerDemoPki(store, pki, 'test');
  const devicePassword = options.devicePassword ?? `Dev1ce!${randomBytes(4).toString('hex')}`;
  const digest = (options.digestPasswords ?? ((p) => [p]))(devicePassword);
  await store.settings.apply({
    directory: {
      url: facts.url, bindDn: facts.bindDn, bindPassword: new SecretValue('directory-bind-password', facts.bindPassword),
      caCertPem: facts.caCertPem, tlsServerName: facts.tlsServerName, computerOu: ou, kerberosRealm: facts.realm,
    },
    digestAccounts: digest.map((password) => ({ username: 'admin', password: new SecretValue('digest-account-password', password) })),
    amt: options.amt ?? {},
    provisioningDeadline: options.deadline ?? '10m',
  });

  const count = options.devices ?? 1;
  const seed = `stack-${randomBytes(4).toString('hex')}`;
  const uuids = Array.from({ length: count }, (_, i) => deviceUuid(seed, i));
  if (options.importDevices !== false) await importComputers(store, uuids.map((uuid, i) => {
    const name = `T${randomBytes(3).toString('hex').toUpperCase()}${i}`.slice(0, 15);
    return { line: i + 1, netbiosName: name, fqdn: `${name.toLowerCase()}.${DOMAIN}`, uuid, mac: null, mebxPassword: null, adminPassword: null };
  }), 'test');

  const connection = await NativeConnection.connect({ address: options.temporal.address });
  const client = new Client({
    connection: await Connection.connect({ address: options.temporal.address }), namespace: options.temporal.namespace, dataConverter: dataConverter(codecKeys),
  });
  const taskQueue = uniqueTaskQueue('e2e');
  const listenerIp = options.baseIp.replace(/\.\d+$/, '.250');
  const listener = await startHelloListener({
    host: listenerIp, port: 0, lookups: siteHelloLookups(store), provision: helloToWorkflow(client, taskQueue), log: log.child('listener'),
  });

  const roleEnv: NodeJS.ProcessEnv = {
    ...process.env, TEMPORAL_ADDRESS: options.temporal.address, TEMPORAL_NAMESPACE: options.temporal.namespace,
    AMTPROV_SITE_DB: siteDb, AMTPROV_MASTER_KEY: masterRing, AMTPROV_CODEC_KEY: codecRing, AMTPROV_DATA_DIR: dir, AMTPROV_LOG_LEVEL: 'info',
  };
  let worker: { kind: 'in-process'; worker: Worker; running: Promise<void> } | { kind: 'child'; child: ChildProcess; exited: Promise<number | null> } | undefined;
  const startWorker = async (): Promise<void> => {
    if (options.worker === 'child-process') {
      // The command as the docs run it (bin/amtprov), so signals reach the role directly.
      const child = spawn(AMTPROV_BIN, ['worker', '--task-queue', taskQueue], {
        env: { ...roleEnv, AMTPROV_METRICS_LISTEN: options.workerMetrics ?? '0' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const collect = (chunk: Buffer): void => { logs.push(...chunk.toString().split('\n').filter(Boolean)); };
      child.stdout.on('data', collect);
      child.stderr.on('data', collect);
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      worker = { kind: 'child', child, exited };
      return;
    }
    const w = await createProvisioningWorker({
      connection, namespace: options.temporal.namespace, taskQueue, codecKeys, workflowBundle: await workflowBundle(),
      activities: createActivities({ store, log: log.child('activity') }),
    });
    worker = { kind: 'in-process', worker: w, running: w.run() };
  };
  const stopWorker = async (): Promise<number | null> => {
    const current = worker;
    worker = undefined;
    if (!current) return null;
    if (current.kind === 'child') {
      current.child.kill('SIGTERM');
      return current.exited;
    }
    if (current.worker.getState() === 'RUNNING') current.worker.shutdown();
    await current.running;
    return null;
  };
  const killWorker = (): void => {
    if (worker?.kind !== 'child') throw new Error('killWorker needs worker: child-process');
    worker.child.kill('SIGKILL');
    worker = undefined;
  };
  /** Everything but the fleet, in reverse order of start. */
  const closeStack = async (): Promise<void> => {
    await listener.close();
    await stopWorker();
    await client.connection.close();
    await connection.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  };
  let fleet: Fleet;
  try {
    await startWorker();
    fleet = await startFleet({
      count, baseIp: options.baseIp, stateDir: path.join(dir, 'emulator'),
      provisionServer: options.hellos === false ? null : { host: listener.host, port: listener.port },
      domainSuffix: DOMAIN, trustedRootHashes: trustedHashesOfRoot(pki.root.certPem), adminPasswords: [devicePassword],
      timeScale: 60, uuidSeed: seed, control: { host: listenerIp, port: 0 },
      ...(options.firmwareVersion ? { firmwareVersion: options.firmwareVersion } : {}),
      ...(options.withoutRadio ? { withoutRadio: options.withoutRadio } : {}),
    });
  } catch (err) {
    // Half a stack must not keep the test process alive (its listener, worker, connections).
    await closeStack();
    throw err;
  }

  const control = async <T>(method: 'GET' | 'POST' | 'DELETE', route: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${fleet.controlUrl}${route}`, {
      method, ...(body !== undefined ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`control API ${method} ${route}: ${response.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  };

  const workflowId = (index: number): string => provisioningWorkflowId(uuids[index]);
  const waitForResult = async (index: number, timeoutMs = 180_000): Promise<ProvisionResult> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        return await client.workflow.getHandle(workflowId(index)).result() as ProvisionResult;
      } catch (err) {
        // Test output shows only the message: make it say why the run failed.
        if (err instanceof WorkflowFailedError && err.cause) err.message = `${err.message}: ${err.cause.message}`;
        if (!(err instanceof WorkflowNotFoundError) || Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  };

  return {
    client, store, fleet, listener, pki, facts, ou, taskQueue, uuids, uuidSeed: seed, devicePassword, codecKeys, logs, roleEnv,
    workflowId, waitForResult, control, startWorker, killWorker, stopWorker,
    async stop() {
      await fleet.stop();
      await closeStack();
    },
  };
}

/**
 * For a test file: one Temporal dev server and the shared DC, and `stack(t, options)` to
 * start a provisioning stack on them; everything is stopped after the file's tests.
 */
export function useProvisioningStacks(): { stack: (t: TestContext, options: Omit<StackOptions, 'temporal' | 'directory' | 't'>) => Promise<ProvisioningStack> } {
  const directory = useTestDirectory();
  let env: TestWorkflowEnvironment | undefined;
  const stacks: ProvisioningStack[] = [];
  before(async () => { env = await startTestTemporal(); });
  after(async () => {
    for (const s of stacks) await s.stop();
    await env?.teardown();
  });
  return {
    stack: async (t, options) => {
      if (!env) throw new Error('useProvisioningStacks(): Temporal is not up yet (call stack() inside a test)');
      const s = await startProvisioningStack({ temporal: { address: env.address, namespace: env.namespace ?? 'default' }, directory, t, ...options });
      stacks.push(s);
      return s;
    },
  };
}
