// Starting a maintenance run by hand (amtprov renew-certs / reset-passwords): the same workflow
// a schedule starts, under the task's id prefix with the start time, so the UI lists both together.
import type { Client, WorkflowHandle } from '@temporalio/client';
import { TASK_QUEUE } from '../workflows/definitions';
import {
  maintenanceWorkflowId, type CertificateRenewalInput, type MaintenanceResult, type MaintenanceTask, type PasswordResetInput,
} from '../workflows/scheduledMaintenance';
import { MAINTENANCE_SCHEDULES } from './maintenanceSchedules';

export async function startMaintenanceRun(
  client: Client,
  task: MaintenanceTask,
  input: CertificateRenewalInput | PasswordResetInput,
  taskQueue = TASK_QUEUE,
): Promise<WorkflowHandle> {
  const schedule = MAINTENANCE_SCHEDULES.find((s) => s.task === task)!;
  return client.workflow.start(schedule.workflowType, {
    taskQueue, args: [input],
    workflowId: `${maintenanceWorkflowId(task)}-${input.computer ?? 'all'}-${new Date().toISOString()}`,
    staticSummary: `site maintenance: ${task} (${input.trigger}${input.computer ? `, ${input.computer}` : ''})`,
  });
}

/** One line per device for the operator. */
export function formatMaintenanceResult(result: MaintenanceResult): string[] {
  return [
    `${result.task}: ${result.done.length} done, ${result.failed.length} failed, ${result.skipped.length} skipped`,
    ...result.done.map((d) => `  ${d.fqdn}: ${d.outcome}`),
    ...result.failed.map((f) => `  ${f.fqdn}: FAILED ${f.type}: ${f.message}`),
    ...result.skipped.map((s) => `  ${s.fqdn}: skipped (${s.reason})`),
  ];
}
