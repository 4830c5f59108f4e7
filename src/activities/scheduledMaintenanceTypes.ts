// The activity surface of the scheduled maintenance workflows (issue 11: certificate renewal, admin
// password reset). Like provisioning's, inputs and outputs carry references and facts only.
import type { DeviceTarget } from './types';

/** One provisioned device a maintenance run acts on. */
export interface MaintenanceTarget extends DeviceTarget {
  uuid: string;
  fqdn: string;
}

/** A computer a run could not even try, and why (no address, no provisioning certificate). */
export interface SkippedComputer {
  fqdn: string;
  reason: string;
}

export interface MaintenancePlan {
  targets: MaintenanceTarget[];
  skipped: SkippedComputer[];
  /** From the site settings at the time of the run. */
  concurrency: number;
  retryForSeconds: number;
}

export interface RenewalPlan extends MaintenancePlan {
  /** ISO time: a certificate that expires before it is renewed (now + window). */
  renewBefore: string;
}

export interface RenewalInput {
  target: MaintenanceTarget;
  renewBefore: string;
  /** Renew even a certificate outside the window (amtprov renew-certs --now). */
  force: boolean;
}

export interface RenewalOutcome {
  outcome: 'renewed' | 'not-due';
  /** SHA-256 of the certificate the device serves now, and its expiry. */
  fingerprint: string;
  notAfter: string;
  /** Superseded certificates and key pairs deleted from the device. */
  removed: number;
  /** The device already served the pending certificate of an interrupted attempt. */
  recovered: boolean;
}

export interface PasswordResetOutcome {
  /** set: a new password was sent and promoted; recovered: the device held one an interrupted attempt had staged. */
  outcome: 'set' | 'recovered';
}

export interface MaintenanceFailure {
  task: 'certificate-renewal' | 'password-reset';
  target: MaintenanceTarget;
  type: string;
  message: string;
}

export interface ScheduledMaintenanceActivities {
  planCertificateRenewal(input: { computer?: string; force: boolean }): Promise<RenewalPlan>;
  renewDeviceCertificate(input: RenewalInput): Promise<RenewalOutcome>;
  planPasswordReset(input: { computer?: string }): Promise<MaintenancePlan>;
  resetAdminPassword(target: MaintenanceTarget): Promise<PasswordResetOutcome>;
  /** Audit record of a device the run gave up on (retried at the next scheduled run). */
  recordMaintenanceFailure(failure: MaintenanceFailure): Promise<void>;
}
