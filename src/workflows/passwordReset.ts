// Admin password reset (issue 11 item 3): the schedule's run resets every provisioned device's
// admin password, each in its own child run (activities/passwordReset.ts, pending-first).
import type { MaintenanceTarget, PasswordResetOutcome } from '../activities/scheduledMaintenanceTypes';
import type { MaintenanceResult, PasswordResetInput } from './scheduledMaintenance';
import { fanOut, onDevice, planningActivities, refuseUntrusted } from './maintenanceRun';

export interface DevicePasswordResetInput {
  target: MaintenanceTarget;
  retryForSeconds: number;
}

export async function resetDevicePasswordRun(input: DevicePasswordResetInput): Promise<PasswordResetOutcome> {
  refuseUntrusted(input);
  return onDevice('password-reset', input.target, input.retryForSeconds, (activities) =>
    activities.resetAdminPassword(input.target));
}

export async function resetPasswords(input: PasswordResetInput): Promise<MaintenanceResult> {
  refuseUntrusted(input);
  return fanOut('password-reset', () => planningActivities.planPasswordReset(input.computer !== undefined ? { computer: input.computer } : {}),
    resetDevicePasswordRun, (target, plan): DevicePasswordResetInput => ({ target, retryForSeconds: plan.retryForSeconds }),
    (outcome) => outcome.outcome);
}
