// The activities the worker registers, bound to their dependencies. Each seed step lives in
// its own module; this file only wires them to the names the workflow calls.
import type { ActivityDeps } from './deps';
import type { ProvisioningActivities } from './types';
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

export type WorkerActivities = ProvisioningActivities & MaintenanceActivities;

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
    prepareUnprovision: (input) => prepareUnprovision(deps, input),
    removeProvisioningData: (input) => removeProvisioningData(deps, input),
    deleteDirectoryAccount: (input) => deleteDirectoryAccount(deps, input),
    reportUnprovisioned: (input) => reportUnprovisioned(deps, input),
    listComputerUuids: () => listComputerUuids(deps),
    discoverComputer: (input) => discoverComputer(deps, input),
  };
}
