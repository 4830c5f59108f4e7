// The provisioning run of one AMT device, step by step as the seed describes it. Each step
// is an activity (src/activities/); this file only sequences them, keeps the status operators
// see, and guarantees a result is reported whatever happens.
import {
  ApplicationFailure, CancellationScope, isCancellation, proxyActivities, setHandler, upsertSearchAttributes, workflowInfo,
} from '@temporalio/workflow';
import type { ProvisioningActivities, ValidatedDevice, DeviceTarget } from '../activities/types';
import {
  agentRequestSignal, helloSignal, retrySignal, searchAttributes, statusQuery,
  type AmtStatus, type ProvisionInput, type ProvisionResult, type ProvisioningStatus, type Stage, type StageError,
} from './definitions';
import { runStage, StageFailed, type StageHooks, type StageRetryPolicy } from './stageRunner';

// Retries happen in the workflow (stageRunner) so the run knows its attempt count; each
// activity call is one attempt. Heartbeat timeouts notice a dead worker quickly.
const quick = proxyActivities<ProvisioningActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 1 },
});
const device = proxyActivities<ProvisioningActivities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '20 seconds',
  retry: { maximumAttempts: 1 },
});
const reporting = proxyActivities<ProvisioningActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});

function retryPolicy(validated: ValidatedDevice | undefined): StageRetryPolicy {
  return {
    initialDelayMs: 2_000,
    maxDelayMs: 60_000,
    giveUpAfterMs: (validated?.unreachableDeadlineSeconds ?? 3600) * 1000,
  };
}

export async function provisionDevice(input: ProvisionInput): Promise<ProvisionResult> {
  const status: ProvisioningStatus = {
    uuid: input.uuid, mode: input.mode, stage: 'validate', attempt: 0, hellosAbsorbed: 0, agentRequests: 0, address: input.address,
  };
  let retryRequested = false;
  setHandler(statusQuery, () => status);
  setHandler(helloSignal, (hello) => {
    status.hellosAbsorbed += 1;
    // A device that moved (new DHCP lease) is reached at its newest address.
    status.address = hello.peerAddress;
  });
  setHandler(agentRequestSignal, (request) => {
    status.agentRequests += 1;
    status.address = request.peerAddress;
  });
  setHandler(retrySignal, () => { retryRequested = true; });

  const hooks: StageHooks = {
    onAttempt(stage, attempt) {
      if (stage !== status.stage) publish({ stage });
      status.stage = stage;
      status.attempt = attempt;
    },
    onError(error) { status.lastError = error; },
    retryRequested: () => retryRequested,
    clearRetryRequest() { retryRequested = false; },
  };

  publish({ stage: 'validate', status: 'Detected', uuid: input.uuid, mode: input.mode });
  let validated: ValidatedDevice | undefined;
  try {
    validated = await runStage('validate', retryPolicy(undefined), hooks, () =>
      quick.validateDevice({
        uuid: input.uuid, mode: input.mode, address: status.address, trustedRootHashes: input.trustedRootHashes,
        trigger: input.trigger, attempt: status.attempt,
      }));
    status.hostname = validated.fqdn;
    publish({ hostname: validated.fqdn });
    const policy = retryPolicy(validated);
    const v = validated;
    const target = (): DeviceTarget => ({ computerId: v.computerId, address: status.address, certificateId: v.certificateId });

    await runStage('tls', policy, hooks, () => device.tlsHandshake(target()));
    await runStage('digest', policy, hooks, () => device.digestLogin(target()));
    if (input.mode === 'in-band') {
      await runStage('identity', policy, hooks, () => device.verifyIdentity(target()));
    }
    const account = await runStage('directory', policy, hooks, () => device.createDirectoryAccount({ computerId: v.computerId }));
    await runStage('phase1', policy, hooks, () => device.phase1Soap(target()));
    await runStage('phase2', policy, hooks, () => device.phase2Wsman({ ...target(), directory: account }));

    await report('Provisioned');
    return { uuid: input.uuid, outcome: 'Provisioned', hostname: v.fqdn, directoryDn: account.dn };
  } catch (err) {
    if (isCancellation(err)) {
      status.lastError = { stage: status.stage, type: 'CancelledByOperator', message: 'cancelled by an operator', nonRetryable: true };
      await CancellationScope.nonCancellable(() => report('Failed', status.lastError));
      throw err;
    }
    const error: StageError = err instanceof StageFailed
      ? err.error
      : { stage: status.stage, type: 'InternalError', message: err instanceof Error ? err.message : String(err), nonRetryable: true };
    status.lastError = error;
    await report('Failed', error);
    throw ApplicationFailure.create({ type: error.type, message: `${error.stage}: ${error.message}`, nonRetryable: true });
  }

  async function report(outcome: 'Provisioned' | 'Failed', error?: StageError): Promise<void> {
    status.stage = 'report';
    publish({ stage: 'report' });
    await reporting.reportResult({
      uuid: input.uuid,
      computerId: validated?.computerId,
      runId: workflowInfo().runId,
      mode: input.mode,
      outcome,
      failedStage: error?.stage,
      reason: error ? `${error.type}: ${error.message}` : undefined,
      trigger: input.trigger,
    });
    status.outcome = outcome;
    status.stage = 'done';
    publish({ stage: 'done', status: outcome });
  }
}

function publish(update: { stage?: Stage; status?: AmtStatus; uuid?: string; mode?: string; hostname?: string }): void {
  const pairs = [];
  if (update.uuid) pairs.push({ key: searchAttributes.uuid, value: update.uuid });
  if (update.mode) pairs.push({ key: searchAttributes.mode, value: update.mode });
  if (update.hostname) pairs.push({ key: searchAttributes.hostname, value: update.hostname });
  if (update.stage) pairs.push({ key: searchAttributes.stage, value: update.stage });
  if (update.status) pairs.push({ key: searchAttributes.status, value: update.status });
  upsertSearchAttributes(pairs);
}
