// The activities the worker registers, bound to their dependencies. Each seed step lives in
// its own module; this file only wires them to the names the workflow calls.
import type { ActivityDeps } from './deps';
import type { ScheduledMaintenanceActivities } from './scheduledMaintenanceTypes';
import type { ProvisioningActivities } from './types';
import { renewDeviceCertificate } from './certificateRenewal';
import { planCertificateRenewal, planPasswordReset, recordMaintenanceFailure } from './maintenancePlan';
import { resetAdminPassword } from './passwordReset';
import type { MaintenanceActivities } from './maintenanceTypes';
import { discoverComputer, listComputerUuids } from './discoverStatus';
import { createDirectoryAccount } from './directoryAccount';
import { digestLogin, tlsHandshake } from './deviceContact';
import { phase1 } from './phase1';
import { phase2Wsman } from './phase2Wsman';
import { reportResult } from './reportResult';
import { deleteDirectoryAccount, prepareUnprovision, removeProvisioningData, reportUnprovisioned } from './unprovision';
import { validateDevice } from './validateDevice';
import { verifyIdentity } from './verifyIdentity';

export type { ActivityDeps } from './deps';

/** Everything a worker registers: provisioning, unprovision and discovery, and the scheduled maintenance tasks. */
export type WorkerActivities = ProvisioningActivities & MaintenanceActivities & ScheduledMaintenanceActivities;

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
    prepareUnprovision: (input) => prepareUnprovision(deps, input),
    removeProvisioningData: (input) => removeProvisioningData(deps, input),
    deleteDirectoryAccount: (input) => deleteDirectoryAccount(deps, input),
    reportUnprovisioned: (input) => reportUnprovisioned(deps, input),
    listComputerUuids: () => listComputerUuids(deps),
    discoverComputer: (input) => discoverComputer(deps, input),
  };
}
