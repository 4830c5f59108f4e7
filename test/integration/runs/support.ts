// Shared by the run-control and fleet CLI tests: a site store on a temp SQLite file, a real
// Temporal dev server with a worker running the real workflow, device activities that hold a
// run open until the test releases it (the real reportResult writes the outcome to the
// store), and `bin/amtprov` run as a child process against both, as an operator would.
import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Context } from '@temporalio/activity';
import { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { reportResult } from '../../../src/activities/reportResult';
import type { ProvisioningActivities } from '../../../src/activities/types';
import { createLogger } from '../../../src/log';
import { parseKeyRing } from '../../../src/secrets/keyFile';
import { openSiteStore, type SiteStore } from '../../../src/site/store';
import { projectRoot } from '../../../src/config/paths';
import { dataConverter } from '../../../src/temporal/connection';
import { createProvisioningWorker } from '../../../src/worker';
import { startTestTemporal, uniqueTaskQueue } from '../../support/temporal';
import { workflowBundle } from '../../support/worker';

const keyText = (id: string) => `${id}:${randomBytes(32).toString('base64')}`;

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunsFixture {
  env: TestWorkflowEnvironment;
  client: Client;
  store: SiteStore;
  dir: string;
  taskQueue: string;
  /** Lets the held device activity of this computer finish, so its run ends Provisioned. */
  release(computerId: number): void;
  /** `bin/amtprov <args>` in a child process with this fixture's store and Temporal. */
  cli(args: string[]): Promise<CliResult>;
  spawnCli(args: string[]): ChildProcessWithoutNullStreams;
  close(): Promise<void>;
}

export async function runsFixture(name: string): Promise<RunsFixture> {
  const dir = mkdtempSync(path.join(os.tmpdir(), `amtprov-${name}-`));
  const masterKey = keyText('m');
  const codecKey = keyText('c');
  const db = path.join(dir, 'site.sqlite');
  const store = await openSiteStore({ location: db, keyRing: parseKeyRing(masterKey, 'test') });
  const env = await startTestTemporal();
  const codec = parseKeyRing(codecKey, 'test');
  const client = new Client({ connection: env.connection, namespace: env.namespace ?? 'default', dataConverter: dataConverter(codec) });
  const taskQueue = uniqueTaskQueue(name);

  const releases = new Map<number, () => void>();
  const released = new Set<number>();
  const release = (computerId: number): void => {
    released.add(computerId);
    releases.get(computerId)?.();
  };
  /** Heartbeats (so a cancel reaches it) until released or cancelled. */
  async function held(computerId: number): Promise<void> {
    if (released.has(computerId)) return;
    const ctx = Context.current();
    const beat = setInterval(() => ctx.heartbeat(), 200);
    try {
      await Promise.race([new Promise<void>((resolve) => releases.set(computerId, resolve)), ctx.cancelled]);
    } finally {
      clearInterval(beat);
    }
  }
  const log = createLogger('test', { level: 'error', sink: () => {} });
  const activities: ProvisioningActivities = {
    validateDevice: async (input) => {
      const computer = (await store.computers.findByUuid(input.uuid))!;
      await store.computers.setDeviceFacts(computer.id, { lastAddress: input.address, provisioningMode: input.mode, trustedRootHashes: input.trustedRootHashes });
      return Promise.resolve({ computerId: computer.id, netbiosName: computer.netbiosName, fqdn: computer.fqdn, certificateId: 1, unreachableDeadlineSeconds: 3600 });
    },
    tlsHandshake: async (target) => { await held(target.computerId); return { fingerprint: 'ab'.repeat(32), firstContact: true }; },
    digestLogin: () => Promise.resolve({ credential: 'account:1 admin', rejected: 0 }),
    verifyIdentity: () => Promise.resolve(),
    createDirectoryAccount: () => Promise.resolve({ dn: 'CN=PC,OU=AMT,DC=amt,DC=test', created: true, keyVersion: 1 }),
    phase1: () => Promise.resolve({ steps: ['commit'] }),
    phase2Wsman: () => Promise.resolve({ steps: ['acl'] }),
    reportResult: (input) => Promise.resolve(reportResult({ store, log }, input)),
  };
  const worker = await createProvisioningWorker({
    connection: env.nativeConnection, namespace: env.namespace ?? 'default', taskQueue, activities, codecKeys: codec,
    workflowBundle: await workflowBundle(),
  });
  const running = worker.run();

  const childEnv = {
    ...process.env, AMTPROV_DATA_DIR: dir, AMTPROV_SITE_DB: db, AMTPROV_MASTER_KEY: masterKey, AMTPROV_CODEC_KEY: codecKey,
    TEMPORAL_ADDRESS: env.address, TEMPORAL_NAMESPACE: env.namespace ?? 'default', AMTPROV_OPERATOR: 'test-operator',
  };
  const bin = path.join(projectRoot(), 'bin', 'amtprov');
  return {
    env, client, store, dir, taskQueue, release,
    cli: (args) => new Promise((resolve) => {
      execFile(process.execPath, [bin, ...args], { env: childEnv, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr });
      });
    }),
    spawnCli: (args) => spawn(process.execPath, [bin, ...args], { env: childEnv }),
    async close() {
      for (const resolve of releases.values()) resolve();
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
      await env.teardown();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls until `check` holds (every 100 ms, up to `ms`). */
export async function waitFor(check: () => boolean | Promise<boolean>, what: string, ms = 15_000): Promise<void> {
  for (const until = Date.now() + ms; Date.now() < until;) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}
