// The two halves every maintenance workflow shares (issue 11): the parent that plans, fans out
// one child run per device with bounded concurrency and collects what each did; and the child
// that runs one device activity with retries for a bounded time, audits a give-up and fails
// under the activity's failure type (visible in the UI), so the parent reports it.
import {
  ActivityFailure, ApplicationFailure, ChildWorkflowFailure, executeChild, isCancellation, proxyActivities, setCurrentDetails, setHandler,
  upsertSearchAttributes, type ActivityInterfaceFor, type ActivityOptions,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { ScheduledMaintenanceActivities, MaintenancePlan, MaintenanceTarget } from '../activities/scheduledMaintenanceTypes';
import { searchAttributes } from './definitions';
import {
  maintenanceDeviceWorkflowId, maintenanceStatusQuery, type DeviceFailure, type MaintenanceResult, type MaintenanceStatus, type MaintenanceTask,
} from './scheduledMaintenance';
import { isUntrustedPayload } from './untrustedPayload';

const planning = proxyActivities<ScheduledMaintenanceActivities>({ startToCloseTimeout: '1 minute', retry: { maximumInterval: '30 seconds', maximumAttempts: 10 } });

export function refuseUntrusted(input: unknown): void {
  if (isUntrustedPayload(input)) {
    throw ApplicationFailure.create({
      type: 'UntrustedStart', nonRetryable: true,
      message: `refused: the run's input is not encrypted with a site codec key (arrived as ${input.encoding}); maintenance runs start only through the schedules or amtprov`,
    });
  }
}

/** Runs `run` for each item, at most `limit` at a time, keeping the order of the results. */
export async function forEachBounded<T, R>(items: readonly T[], limit: number, run: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await run(items[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
  return results;
}

function failureOf(err: unknown): { type: string; message: string } {
  let cause: unknown = err;
  while (cause instanceof ChildWorkflowFailure || cause instanceof ActivityFailure) cause = cause.cause;
  if (cause instanceof ApplicationFailure) return { type: cause.type ?? 'Error', message: cause.message };
  return { type: cause instanceof Error ? cause.name : 'Error', message: cause instanceof Error ? cause.message : String(cause) };
}

/** The parent: one child per planned device (the child's workflow and its input), results collected. */
export async function fanOut<I, O>(
  task: MaintenanceTask,
  plan: () => Promise<MaintenancePlan>,
  child: (input: I) => Promise<O>,
  childInput: (target: MaintenanceTarget, plan: MaintenancePlan) => I,
  describe: (result: O) => string,
): Promise<MaintenanceResult> {
  const status: MaintenanceStatus = { task, stage: 'planning', devices: 0, finished: 0, failed: 0 };
  setHandler(maintenanceStatusQuery, () => status);
  const planned = await plan();
  status.stage = 'running';
  status.devices = planned.targets.length;
  const result: MaintenanceResult = { task, done: [], failed: [], skipped: [...planned.skipped] };
  setCurrentDetails(`${task}: ${planned.targets.length} device(s), ${planned.skipped.length} skipped`);
  await forEachBounded(planned.targets, planned.concurrency, async (target) => {
    try {
      const outcome: O = await executeChild(child, {
        workflowId: maintenanceDeviceWorkflowId(task, target.uuid),
        args: [childInput(target, planned)],
        staticSummary: `${target.fqdn}: ${task}`,
      });
      result.done.push({ fqdn: target.fqdn, outcome: describe(outcome) });
    } catch (err) {
      if (isCancellation(err)) throw err;
      if (err instanceof WorkflowExecutionAlreadyStartedError) {
        result.skipped.push({ fqdn: target.fqdn, reason: `a ${task} run of this device is still open` });
        return;
      }
      const failure: DeviceFailure = { fqdn: target.fqdn, ...failureOf(err) };
      result.failed.push(failure);
      status.failed += 1;
      status.lastError = failure;
    } finally {
      status.finished += 1;
    }
  });
  status.stage = 'done';
  setCurrentDetails(`${task}: ${result.done.length} done, ${result.failed.length} failed, ${result.skipped.length} skipped`);
  return result;
}

/** The child: the device activity, retried with backoff for `retryForSeconds`; a give-up is audited and fails the run. */
export async function onDevice<R>(
  task: MaintenanceTask,
  target: MaintenanceTarget,
  retryForSeconds: number,
  call: (activities: ActivityInterfaceFor<ScheduledMaintenanceActivities>) => Promise<R>,
): Promise<R> {
  const status: MaintenanceStatus = { task, stage: 'running', devices: 1, finished: 0, failed: 0 };
  setHandler(maintenanceStatusQuery, () => status);
  upsertSearchAttributes([{ key: searchAttributes.uuid, value: target.uuid }, { key: searchAttributes.hostname, value: target.fqdn }]);
  const options: ActivityOptions = {
    startToCloseTimeout: '5 minutes',
    heartbeatTimeout: '20 seconds',
    scheduleToCloseTimeout: retryForSeconds * 1000,
    retry: { initialInterval: '2 seconds', maximumInterval: '1 minute' },
    summary: `${target.fqdn}: ${task}`,
  };
  try {
    const result = await call(proxyActivities<ScheduledMaintenanceActivities>(options));
    status.stage = 'done';
    status.finished = 1;
    return result;
  } catch (err) {
    // An operator's Cancel ends the run as cancelled, not as the device's failure.
    if (isCancellation(err)) throw err;
    const failure = failureOf(err);
    status.stage = 'failed';
    status.failed = 1;
    status.lastError = { fqdn: target.fqdn, ...failure };
    await planning.recordMaintenanceFailure({ task, target, ...failure });
    throw ApplicationFailure.create({ type: failure.type, message: `${target.fqdn}: ${failure.message}`, nonRetryable: true });
  }
}

export { planning as planningActivities };
