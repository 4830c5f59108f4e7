// The baseline without Temporal: the same activity functions the worker registers
// (createActivities), called directly in the workflow's stage order for every device at
// once, at most `concurrency` activities running at a time (the worker's activity slots),
// with the workflow's retry rule (2 s doubling to 60 s, until the site's deadline). Runs as
// its own process so its CPU and memory are measured like the worker's.
//   node --import tsx bench/provision-fleet/plainRun.ts <input.json> <output.json>
// Input: { siteDb, devices: [{uuid, address}], trustedRootHashes, concurrency }; the vault
// key comes from AMTPROV_MASTER_KEY.
import { readFileSync, writeFileSync } from 'node:fs';
import { createActivities } from '../../src/activities';
import { toApplicationFailure } from '../../src/activities/failureMapping';
import { withSecretScope } from '../../src/activities/secretScope';
import type { ProvisioningActivities } from '../../src/activities/types';
import { createLogger, type Logger } from '../../src/log';
import { openSiteStore } from '../../src/site/store';
import type { ActivityAttempt, DeviceRecord } from './runAnalysis';

export interface PlainInput {
  siteDb: string;
  devices: { uuid: string; address: string }[];
  trustedRootHashes: string[];
  concurrency: number;
}

class Slots {
  private free: number;
  private readonly waiting: (() => void)[] = [];
  constructor(size: number) {
    this.free = size;
  }
  async acquire(): Promise<void> {
    if (this.free > 0) {
      this.free -= 1;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }
  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free += 1;
  }
}

class StageGaveUp extends Error {
  constructor(readonly stage: string, readonly type: string) {
    super(`${stage}: ${type}`);
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function provisionOne(activities: ProvisioningActivities, log: Logger, slots: Slots, input: PlainInput, device: PlainInput['devices'][number]): Promise<DeviceRecord> {
  const attempts: ActivityAttempt[] = [];
  let deadlineMs = 3600_000;
  /** One stage: attempts in a slot each, as the worker's interceptor runs them, retried like the workflow's stageRunner. */
  const stage = async <T>(name: keyof ProvisioningActivities, call: (attempt: number) => Promise<T>): Promise<T> => {
    let failingSince: number | undefined;
    for (let attempt = 1; ; attempt++) {
      const queued = Date.now();
      await slots.acquire();
      const startedAt = Date.now();
      let failure: { type: string; nonRetryable: boolean } | undefined;
      try {
        const result = await withSecretScope(async () => {
          try {
            return await call(attempt);
          } catch (err) {
            throw toApplicationFailure(err);
          }
        });
        attempts.push({ activity: name, waitMs: startedAt - queued, runMs: Date.now() - startedAt, startedAt, closedAt: Date.now() });
        return result;
      } catch (err) {
        const mapped = err as { type?: string; nonRetryable?: boolean; message?: string };
        failure = { type: mapped.type ?? 'Error', nonRetryable: mapped.nonRetryable === true };
        // The message was redacted by toApplicationFailure, as the worker's interceptor does.
        log.warn('activity attempt failed', { uuid: device.uuid, activity: name, attempt, type: failure.type, message: mapped.message });
        attempts.push({ activity: name, waitMs: startedAt - queued, runMs: Date.now() - startedAt, startedAt, closedAt: Date.now(), failure: failure.type });
      } finally {
        slots.release();
      }
      failingSince ??= Date.now();
      if (failure.nonRetryable || Date.now() - failingSince >= deadlineMs) throw new StageGaveUp(name, failure.type);
      await sleep(Math.min(60_000, 2_000 * 2 ** (attempt - 1)));
    }
  };

  return (async (): Promise<DeviceRecord> => {
    const startedAt = Date.now();
    let computerId: number | undefined;
    let outcome: DeviceRecord['outcome'] = 'Provisioned';
    let failure: string | undefined;
    try {
      const v = await stage('validateDevice', (attempt) => activities.validateDevice({
        uuid: device.uuid, mode: 'out-of-band', address: device.address, trustedRootHashes: input.trustedRootHashes, trigger: 'hello', attempt,
      }));
      computerId = v.computerId;
      deadlineMs = v.unreachableDeadlineSeconds * 1000;
      const target = { computerId: v.computerId, address: device.address, certificateId: v.certificateId };
      await stage('tlsHandshake', () => activities.tlsHandshake(target));
      await stage('digestLogin', () => activities.digestLogin(target));
      const account = await stage('createDirectoryAccount', () => activities.createDirectoryAccount({ computerId: v.computerId }));
      await stage('phase1', () => activities.phase1(target));
      await stage('phase2Wsman', () => activities.phase2Wsman({ ...target, directory: account }));
    } catch (err) {
      outcome = 'Failed';
      failure = err instanceof StageGaveUp ? err.message : `internal: ${(err as Error).name}`;
    }
    await stage('reportResult', () => activities.reportResult({
      uuid: device.uuid, computerId, runId: 'plain-benchmark', mode: 'out-of-band', outcome, trigger: 'hello',
      ...(failure ? { failedStage: failure.split(':')[0], reason: failure } : {}),
    }));
    return { uuid: device.uuid, startedAt, finishedAt: Date.now(), outcome, attempts, ...(failure ? { failure } : {}) };
  })();
}

async function main(): Promise<void> {
  const [inputFile, outputFile] = process.argv.slice(2);
  if (!inputFile || !outputFile) throw new Error('usage: plainRun.ts <input.json> <output.json>');
  const input = JSON.parse(readFileSync(inputFile, 'utf8')) as PlainInput;
  const store = await openSiteStore({ location: input.siteDb });
  const log = createLogger('plain');
  const activities = createActivities({ store, log: log.child('activity') });
  const slots = new Slots(input.concurrency);
  try {
    const devices = await Promise.all(input.devices.map((device) => provisionOne(activities, log, slots, input, device)));
    writeFileSync(outputFile, JSON.stringify({ devices }));
  } finally {
    await store.close();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? `${err.name}: ${err.message}` : String(err));
  process.exitCode = 1;
});
