// Certificate renewal (issue 11 item 2): the schedule's run plans the devices whose certificate
// expires within the window and renews each in its own child run (activities/certificateRenewal.ts).
import type { RenewalOutcome } from '../activities/scheduledMaintenanceTypes';
import type { CertificateRenewalInput, MaintenanceResult } from './scheduledMaintenance';
import { fanOut, onDevice, planningActivities, refuseUntrusted } from './maintenanceRun';
import type { MaintenanceTarget } from '../activities/scheduledMaintenanceTypes';

export interface DeviceRenewalInput {
  target: MaintenanceTarget;
  renewBefore: string;
  force: boolean;
  retryForSeconds: number;
}

export async function renewDeviceCertificateRun(input: DeviceRenewalInput): Promise<RenewalOutcome> {
  refuseUntrusted(input);
  return onDevice('certificate-renewal', input.target, input.retryForSeconds, (activities) =>
    activities.renewDeviceCertificate({ target: input.target, renewBefore: input.renewBefore, force: input.force }));
}

export async function renewCertificates(input: CertificateRenewalInput): Promise<MaintenanceResult> {
  refuseUntrusted(input);
  const force = input.force === true;
  let renewBefore = '';
  return fanOut('certificate-renewal', async () => {
    const plan = await planningActivities.planCertificateRenewal({ ...(input.computer !== undefined ? { computer: input.computer } : {}), force });
    renewBefore = plan.renewBefore;
    return plan;
  }, renewDeviceCertificateRun, (target, plan): DeviceRenewalInput => ({ target, renewBefore, force, retryForSeconds: plan.retryForSeconds }),
  (outcome) => outcome.outcome);
}
