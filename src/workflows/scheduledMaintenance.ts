// Names and shapes of the maintenance workflows (issue 11), shared with the schedules and the
// CLI: one parent run per task that plans and fans out, one child run per device.
import { defineQuery } from '@temporalio/workflow';
import type { SkippedComputer } from '../activities/scheduledMaintenanceTypes';

export type MaintenanceTask = 'certificate-renewal' | 'password-reset';

/** What started a maintenance run, for its summary. */
export type MaintenanceTrigger = 'schedule' | 'operator';

export interface CertificateRenewalInput {
  trigger: MaintenanceTrigger;
  /** One computer's UUID instead of every provisioned one that is due. */
  computer?: string;
  /** Renew whatever the expiry (amtprov renew-certs --now). */
  force?: boolean;
}

export interface PasswordResetInput {
  trigger: MaintenanceTrigger;
  /** One computer's UUID instead of every provisioned one. */
  computer?: string;
}

export interface DeviceOutcome {
  fqdn: string;
  /** The child's own result in words (renewed, not-due, set, recovered). */
  outcome: string;
}

export interface DeviceFailure {
  fqdn: string;
  type: string;
  message: string;
}

export interface MaintenanceResult {
  task: MaintenanceTask;
  done: DeviceOutcome[];
  /** Gave up on these for this run (dark, refused); the next run tries them again. */
  failed: DeviceFailure[];
  skipped: SkippedComputer[];
}

export interface MaintenanceStatus {
  task: MaintenanceTask;
  stage: 'planning' | 'running' | 'done' | 'failed';
  devices: number;
  finished: number;
  failed: number;
  lastError?: DeviceFailure;
}

export const maintenanceStatusQuery = defineQuery<MaintenanceStatus>('status');

/** Child runs are one per device and task: a second run for the same device waits for the next window. */
export function maintenanceDeviceWorkflowId(task: MaintenanceTask, uuid: string): string {
  return `amt-${task}-${uuid}`;
}

/** The parent run's id prefix (a schedule appends its time; the CLI appends its own). */
export function maintenanceWorkflowId(task: MaintenanceTask): string {
  return `amt-maintenance-${task}`;
}
