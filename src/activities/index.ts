// The activities the worker registers, bound to their dependencies. Each seed step lives in
// its own module; this file only wires them to the names the workflow calls.
import type { ActivityDeps } from './deps';
import type { ScheduledMaintenanceActivities } from './scheduledMaintenanceTypes';
import type { ProvisioningActivities } from './types';
import { renewDeviceCertificate } from './certificateRenewal';
import { planCertificateRenewal, planPasswordReset, recordMaintenanceFailure } from './maintenancePlan';
import { resetAdminPassword } from './passwordReset';
import { createDirectoryAccount } from './directoryAccount';
import { digestLogin, tlsHandshake } from './deviceContact';
import { phase1 } from './phase1';
import { phase2Wsman } from './phase2Wsman';
import { reportResult } from './reportResult';
import { validateDevice } from './validateDevice';
import { verifyIdentity } from './verifyIdentity';

export type { ActivityDeps } from './deps';

/** Everything a worker registers: provisioning and the maintenance tasks. */
export type WorkerActivities = ProvisioningActivities & ScheduledMaintenanceActivities;

export function createActivities(deps: ActivityDeps): WorkerActivities {
  return {
    validateDevice: (input) => Promise.resolve(validateDevice(deps, input)),
    tlsHandshake: (target) => tlsHandshake(deps, target),
    digestLogin: (target) => digestLogin(deps, target),
    verifyIdentity: (target) => verifyIdentity(deps, target),
    createDirectoryAccount: (input) => createDirectoryAccount(deps, input),
    phase1: (target) => phase1(deps, target),
    phase2Wsman: (target) => phase2Wsman(deps, target),
    reportResult: (input) => Promise.resolve(reportResult(deps, input)),
    planCertificateRenewal: (input) => planCertificateRenewal(deps, input),
    renewDeviceCertificate: (input) => renewDeviceCertificate(deps, input),
    planPasswordReset: (input) => planPasswordReset(deps, input),
    resetAdminPassword: (target) => resetAdminPassword(deps, target),
    recordMaintenanceFailure: (failure) => recordMaintenanceFailure(deps, failure),
  };
}
