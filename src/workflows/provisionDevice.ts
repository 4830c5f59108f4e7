// The provisioning run of one AMT device, step by step as the seed describes it. Each step
// is an activity (src/activities/); this file only sequences them, keeps the status operators
// see, and guarantees a result is reported whatever happens.
import {
  ApplicationFailure, CancellationScope, isCancellation, patched, proxyActivities, proxyLocalActivities, setCurrentDetails, setHandler, workflowInfo,
} from '@temporalio/workflow';
import type { ProvisioningActivities, ValidatedDevice, DeviceTarget } from '../activities/types';
import {
  agentRequestSignal, helloSignal, statusQuery,
  type ProvisionInput, type ProvisionResult, type ProvisioningStatus, type Stage, type StageError,
} from './definitions';
import { activitySummary, currentDetails } from './runDescription';
import { publishSearchAttributes } from './searchAttributeUpdates';
import { runStage, StageFailed, statusStageHooks, type StageHooks, type StageRetryPolicy } from './stageRunner';
import { isUntrustedPayload } from './untrustedPayload';

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
// The two site-store steps (validate, report) run as local activities: in the worker that runs
// the workflow task, recorded as a marker in that task's completion, so each saves the server
// an activity dispatch and a workflow task (about four persistence writes). They may: both are
// short, touch only the site store and are safe to repeat: a worker killed inside one, or
// after it wrote but before its workflow task completed, makes the next worker run it again
// (test/durability/killWorker.test.ts). A repeated report rewrites the same status and adds
// a second identical audit line naming the same run.
const localQuick = proxyLocalActivities<ProvisioningActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 1 },
});
const localReporting = proxyLocalActivities<ProvisioningActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});
/** Runs started before the site steps became local activities replay with the remote ones. */
const LOCAL_SITE_STEPS_PATCH = 'local-site-steps';

function retryPolicy(validated: ValidatedDevice | undefined): StageRetryPolicy {
  return {
    initialDelayMs: 2_000,
    maxDelayMs: 60_000,
    giveUpAfterMs: (validated?.unreachableDeadlineSeconds ?? 3600) * 1000,
  };
}

export async function provisionDevice(input: ProvisionInput): Promise<ProvisionResult> {
  // Input that did not come through the site's own roles (not encrypted with a site codec
  // key) is refused before anything is read, reported or changed.
  if (isUntrustedPayload(input)) {
    throw ApplicationFailure.create({
      type: 'UntrustedStart', nonRetryable: true,
      message: `refused: the run's input is not encrypted with a site codec key (arrived as ${input.encoding}); runs start only through the listener, the site server or amtprov`,
    });
  }
  const status: ProvisioningStatus = {
    uuid: input.uuid, mode: input.mode, stage: 'validate', attempt: 0, hellosAbsorbed: 0, agentRequests: 0, untrustedSignals: 0, address: input.address,
  };
  /** The run's address has yet to show the pinned device (ValidatedDevice.addressUnproven). */
  let addressUnproven = false;
  // The UI shows these details on the run page (the SDK's workflow metadata query).
  const showDetails = (): void => setCurrentDetails(currentDetails(status));
  /** Call options naming the seed step of the current stage and attempt. */
  const step = (stage: Exclude<Stage, 'done'>, attempt = status.attempt): { summary: string } => ({ summary: activitySummary(stage, attempt) });
  const local = patched(LOCAL_SITE_STEPS_PATCH);
  const site = { validate: local ? localQuick : quick, report: local ? localReporting : reporting };
  setHandler(statusQuery, () => status);
  setHandler(helloSignal, (hello) => {
    // A signal nobody vouched for must not move the run's address.
    if (isUntrustedPayload(hello)) {
      status.untrustedSignals += 1;
      showDetails();
      return;
    }
    status.hellosAbsorbed += 1;
    // A Hello is unauthenticated: its address is only a candidate, taken when the current one
    // stops answering, and the device there must then prove itself (onError below).
    if (hello.peerAddress !== status.address) status.candidateAddress = hello.peerAddress;
    showDetails();
  });
  setHandler(agentRequestSignal, (request) => {
    if (isUntrustedPayload(request)) {
      status.untrustedSignals += 1;
      showDetails();
      return;
    }
    status.agentRequests += 1;
    status.address = request.peerAddress;
    showDetails();
  });
  const hooks: StageHooks = statusStageHooks(status, showDetails, (error) => {
    // A device that moved (new DHCP lease) is tried at the newest Hello's address, unproven.
    if (error.type === 'DeviceUnreachable' && status.candidateAddress !== undefined) {
      status.address = status.candidateAddress;
      status.candidateAddress = undefined;
      addressUnproven = true;
    }
  });

  publishSearchAttributes({ stage: 'validate', status: 'Detected', uuid: input.uuid, mode: input.mode });
  showDetails();
  let validated: ValidatedDevice | undefined;
  try {
    validated = await runStage('validate', retryPolicy(undefined), hooks, () =>
      site.validate.validateDevice.executeWithOptions(step('validate'), [{
        uuid: input.uuid, mode: input.mode, address: status.address, trustedRootHashes: input.trustedRootHashes,
        trigger: input.trigger, attempt: status.attempt,
      }]));
    status.hostname = validated.fqdn;
    publishSearchAttributes({ hostname: validated.fqdn });
    showDetails();
    const policy = retryPolicy(validated);
    const v = validated;
    addressUnproven = v.addressUnproven === true;
    const target = (): DeviceTarget => ({
      computerId: v.computerId, address: status.address, certificateId: v.certificateId, ...(addressUnproven ? { addressUnproven: true } : {}),
    });
    /** A device stage that succeeded reached the device at this address and checked its certificate. */
    const onDevice = async <T>(stage: Stage, attempt: () => Promise<T>): Promise<T> => {
      const result = await runStage(stage, policy, hooks, attempt);
      addressUnproven = false;
      return result;
    };

    await onDevice('tls', () => device.tlsHandshake.executeWithOptions(step('tls'), [target()]));
    await onDevice('digest', () => device.digestLogin.executeWithOptions(step('digest'), [target()]));
    if (input.mode === 'in-band') {
      await onDevice('identity', () => device.verifyIdentity.executeWithOptions(step('identity'), [target()]));
    }
    const account = await runStage('directory', policy, hooks, () =>
      device.createDirectoryAccount.executeWithOptions(step('directory'), [{ computerId: v.computerId }]));
    await onDevice('phase1', () => device.phase1.executeWithOptions(step('phase1'), [target()]));
    await onDevice('phase2', () => device.phase2Wsman.executeWithOptions(step('phase2'), [{ ...target(), directory: account }]));

    await report('Provisioned');
    return { uuid: input.uuid, outcome: 'Provisioned', hostname: v.fqdn, directoryDn: account.dn };
  } catch (err) {
    if (isCancellation(err)) {
      status.lastError = { stage: status.stage, type: 'CancelledByOperator', message: 'cancelled by an operator', nonRetryable: true };
      await CancellationScope.nonCancellable(() => report('Failed', status.lastError));
      throw err;
    }
    const error: StageError = err instanceof StageFailed
      ? (err as StageFailed).error
      : { stage: status.stage, type: 'InternalError', message: err instanceof Error ? err.message : String(err), nonRetryable: true };
    status.lastError = error;
    await report('Failed', error);
    throw ApplicationFailure.create({ type: error.type, message: `${error.stage}: ${error.message}`, nonRetryable: true });
  }

  async function report(outcome: 'Provisioned' | 'Failed', error?: StageError): Promise<void> {
    // ProvisioningStage keeps the last device stage until the result is recorded (one upsert
    // fewer per run); the run's details and status query say 'report'. Runs from before the
    // patch published it, and replay must see the same commands.
    status.stage = 'report';
    if (!local) publishSearchAttributes({ stage: 'report' });
    showDetails();
    await site.report.reportResult.executeWithOptions(step('report', 1), [{
      uuid: input.uuid,
      computerId: validated?.computerId,
      runId: workflowInfo().runId,
      mode: input.mode,
      outcome,
      failedStage: error?.stage,
      reason: error ? `${error.type}: ${error.message}` : undefined,
      trigger: input.trigger,
      ...(addressUnproven ? { addressUnproven: true } : {}),
    }]);
    status.outcome = outcome;
    status.stage = 'done';
    publishSearchAttributes({ stage: 'done', status: outcome });
    showDetails();
  }
}
