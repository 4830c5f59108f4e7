// Remove Provisioning Information for one device (issue 11 item 1), as ConfigMgr's console
// action does it: the device's Hellos held, its certificate revoked and its provisioning data
// removed (full or partial), its AD computer account deleted, the computer Not Provisioned,
// then, unless the operator said --no-reprovision, a new provisioning run. A dark device is
// retried with backoff until the deadline; every step is idempotent, so a run that resumes
// after a crash (or a second run after a failed one) converges.
import {
  ApplicationFailure, CancellationScope, isCancellation, ParentClosePolicy, proxyActivities, setCurrentDetails, setHandler, startChild,
  workflowInfo, type ActivityOptions,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { MaintenanceActivities, UnprovisionTarget } from '../activities/maintenanceTypes';
import { provisioningStartAttributes, provisioningWorkflowId, type StageError } from './definitions';
import {
  unprovisionStatusQuery, type UnprovisionInput, type UnprovisionResult, type UnprovisionStage, type UnprovisionStatus,
} from './maintenanceDefinitions';
import { provisionDevice } from './provisionDevice';
import { publishSearchAttributes } from './searchAttributeUpdates';
import { runStage, StageFailed, statusStageHooks } from './stageRunner';
import { isUntrustedPayload } from './untrustedPayload';

const quick = proxyActivities<MaintenanceActivities>({ startToCloseTimeout: '30 seconds', retry: { maximumAttempts: 1 } });
const device = proxyActivities<MaintenanceActivities>({ startToCloseTimeout: '5 minutes', heartbeatTimeout: '20 seconds', retry: { maximumAttempts: 1 } });
const reporting = proxyActivities<MaintenanceActivities>({ startToCloseTimeout: '30 seconds', retry: { initialInterval: '1 second', maximumInterval: '30 seconds' } });

/** What each step does, for the event history's summary column. */
const STEP_SUMMARIES: Record<Exclude<UnprovisionStage, 'done'>, string> = {
  prepare: 'find the computer, hold its Hellos',
  device: 'revoke the served certificate, remove the provisioning data from the device',
  directory: 'delete the AD computer account and its SPNs',
  report: 'mark the computer Not Provisioned (audit)',
  reprovision: 'start a new provisioning run',
};

/** The default deadline before the site's is known (prepare itself touches only the store). */
const PREPARE_DEADLINE_SECONDS = 600;

export async function unprovisionDevice(input: UnprovisionInput): Promise<UnprovisionResult> {
  if (isUntrustedPayload(input)) {
    throw ApplicationFailure.create({
      type: 'UntrustedStart', nonRetryable: true,
      message: `refused: the run's input is not encrypted with a site codec key (arrived as ${input.encoding}); runs start only through amtprov`,
    });
  }
  const status: UnprovisionStatus = { uuid: input.uuid, mode: input.mode, reprovision: input.reprovision, stage: 'prepare', attempt: 0 };
  const showDetails = (): void => setCurrentDetails(details(status));
  const step = (stage: Exclude<UnprovisionStage, 'done'>): ActivityOptions => ({
    summary: `${stage}${status.attempt > 1 ? ` (attempt ${status.attempt})` : ''}: ${STEP_SUMMARIES[stage]}`,
  });
  setHandler(unprovisionStatusQuery, () => status);
  const hooks = statusStageHooks(status, showDetails);
  const policy = (deadlineSeconds: number) => ({ initialDelayMs: 2_000, maxDelayMs: 60_000, giveUpAfterMs: deadlineSeconds * 1000 });

  publishSearchAttributes({ uuid: input.uuid, stage: 'prepare' });
  showDetails();
  let target: UnprovisionTarget | undefined;
  try {
    const t = await runStage('prepare', policy(input.deadlineSeconds ?? PREPARE_DEADLINE_SECONDS), hooks, () =>
      quick.prepareUnprovision.executeWithOptions(step('prepare'), [{ uuid: input.uuid, ...(input.deadlineSeconds !== undefined ? { deadlineSeconds: input.deadlineSeconds } : {}) }]));
    target = t;
    status.hostname = t.fqdn;
    publishSearchAttributes({ hostname: t.fqdn });
    const removed = await runStage('device', policy(t.deadlineSeconds), hooks, () =>
      device.removeProvisioningData.executeWithOptions(step('device'), [{ ...t, mode: input.mode }]));
    const directory = await runStage('directory', policy(t.deadlineSeconds), hooks, () =>
      device.deleteDirectoryAccount.executeWithOptions(step('directory'), [{ computerId: t.computerId }]));
    // In-band computers come back through their agent's request; Hellos start nothing for them.
    const reprovision = input.reprovision && !t.inBandManaged;
    await report('Not Provisioned', !reprovision);

    let started: UnprovisionResult['reprovision'] = {
      started: false, reason: input.reprovision ? 'managed in-band: its agent requests the next run' : 'not requested (--no-reprovision); its Hellos are held',
    };
    if (reprovision) started = await startProvisioning(t);
    status.stage = 'done';
    publishSearchAttributes({ stage: 'done' });
    showDetails();
    return {
      uuid: input.uuid, outcome: 'Not Provisioned', mode: input.mode, alreadyUnprovisioned: removed.alreadyUnprovisioned,
      revokedSerials: removed.revokedSerials, directoryAccountDeleted: directory.deleted, reprovision: started,
    };
  } catch (err) {
    if (isCancellation(err)) {
      status.lastError = { stage: status.stage, type: 'CancelledByOperator', message: 'cancelled by an operator', nonRetryable: true };
      await CancellationScope.nonCancellable(() => reportFailure(status.lastError!));
      throw err;
    }
    const error: StageError<UnprovisionStage> = err instanceof StageFailed
      ? (err as StageFailed<UnprovisionStage>).error
      : { stage: status.stage, type: 'InternalError', message: err instanceof Error ? err.message : String(err), nonRetryable: true };
    status.lastError = error;
    await reportFailure(error);
    throw ApplicationFailure.create({ type: error.type, message: `${error.stage}: ${error.message}`, nonRetryable: true });
  }

  async function report(outcome: 'Not Provisioned' | 'Failed', holdHellos: boolean, error?: StageError<UnprovisionStage>): Promise<void> {
    const stage = status.stage;
    status.stage = 'report';
    publishSearchAttributes({ stage: 'report' });
    showDetails();
    await reporting.reportUnprovisioned.executeWithOptions(step('report'), [{
      computerId: target!.computerId, uuid: input.uuid, runId: workflowInfo().runId, mode: input.mode, outcome, holdHellos,
      ...(error ? { reason: `${error.type} in ${stage}: ${error.message}` } : {}),
    }]);
    status.outcome = outcome;
    publishSearchAttributes({ status: outcome });
  }

  /** A run that never found its computer has nothing to report on. */
  async function reportFailure(error: StageError<UnprovisionStage>): Promise<void> {
    if (target) await report('Failed', false, error);
    else publishSearchAttributes({ status: 'Failed' });
    status.stage = 'done';
    showDetails();
  }

  /**
   * The device sends Hellos again, but they were held while it was being cleaned: the run is
   * started here, at its known address. One already open (started by an operator meanwhile) is fine.
   */
  async function startProvisioning(t: UnprovisionTarget): Promise<UnprovisionResult['reprovision']> {
    status.stage = 'reprovision';
    publishSearchAttributes({ stage: 'reprovision' });
    showDetails();
    const workflowId = provisioningWorkflowId(t.uuid);
    try {
      const child = await startChild(provisionDevice, {
        workflowId,
        args: [{ uuid: t.uuid, mode: 'out-of-band', address: t.address, trustedRootHashes: t.trustedRootHashes, trigger: 'operator' }],
        // The provisioning run outlives this one; it reports its own outcome.
        parentClosePolicy: ParentClosePolicy.ABANDON,
        typedSearchAttributes: provisioningStartAttributes({ uuid: t.uuid, hostname: t.fqdn, mode: 'out-of-band' }),
      });
      status.reprovisionRunId = child.firstExecutionRunId;
      return { started: true, workflowId, runId: child.firstExecutionRunId };
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return { started: false, reason: `${workflowId} is already running` };
      throw err;
    }
  }
}

function details(status: UnprovisionStatus): string {
  const lines = [
    status.stage === 'done' ? `**Outcome** ${status.outcome ?? 'unknown'}` : `**Stage** ${status.stage} (attempt ${status.attempt})`,
    `**Device** ${status.hostname ?? status.uuid}: ${status.mode} unprovision${status.reprovision ? ', then provisioned again' : ', no re-provisioning'}`,
  ];
  if (status.lastError) {
    const e = status.lastError;
    lines.push(`**Last error** ${e.type} in ${e.stage}: ${e.message}${e.nonRetryable ? '' : ' (retried)'}`);
  }
  if (status.reprovisionRunId) lines.push(`**Provisioning run** ${status.reprovisionRunId}`);
  return lines.join('\n\n');
}
