// Which computers a maintenance run acts on (issue 11): provisioned ones, or the one an operator
// named, each with what reaching it needs (its last address, a provisioning certificate whose
// root it trusts for the TLS client credential). Settings are read here, at run time, so a
// schedule picks up `settings apply` without being recreated.
import type { Computer } from '../site/computers';
import type { SiteSettings } from '../site/settings';
import { ProvisioningRefused } from '../errors';
import type { ActivityDeps } from './deps';
import { auditStep } from './audit';
import type { MaintenanceFailure, MaintenancePlan, MaintenanceTarget, RenewalPlan, SkippedComputer } from './scheduledMaintenanceTypes';

type TaskSettings = SiteSettings['maintenance']['certificateRenewal'] | SiteSettings['maintenance']['passwordReset'];

/** The one computer an operator named (the CLI resolved the name to its UUID). */
async function findNamed(deps: ActivityDeps, uuid: string): Promise<Computer> {
  const found = await deps.store.computers.findByUuid(uuid);
  if (!found) throw new ProvisioningRefused('ComputerNotFound', `no computer with UUID ${uuid} in the site store`);
  if (found.amtStatus !== 'Provisioned') throw new ProvisioningRefused('NotProvisioned', `${found.fqdn} is ${found.amtStatus}, not Provisioned`);
  return found;
}

async function toTarget(deps: ActivityDeps, computer: Computer): Promise<MaintenanceTarget | SkippedComputer> {
  if (!computer.lastAddress) return { fqdn: computer.fqdn, reason: 'no known address' };
  const certificates = deps.store.provisioningCertificates;
  const certificate = (await certificates.matchingDevice(computer.trustedRootHashes))[0] ?? (await certificates.list())[0];
  if (!certificate) return { fqdn: computer.fqdn, reason: 'no provisioning certificate for the TLS client credential' };
  return { computerId: computer.id, uuid: computer.uuid, fqdn: computer.fqdn, address: computer.lastAddress, certificateId: certificate.id };
}

async function plan(deps: ActivityDeps, computers: Computer[], settings: TaskSettings): Promise<MaintenancePlan> {
  const targets: MaintenanceTarget[] = [];
  const skipped: SkippedComputer[] = [];
  for (const computer of computers) {
    const target = await toTarget(deps, computer);
    if ('reason' in target) skipped.push(target);
    else targets.push(target);
  }
  return { targets, skipped, concurrency: settings.concurrency, retryForSeconds: settings.retryFor };
}

export async function planCertificateRenewal(deps: ActivityDeps, input: { computer?: string; force: boolean }): Promise<RenewalPlan> {
  const settings = (await deps.store.settings.get()).maintenance.certificateRenewal;
  const renewBefore = new Date((deps.now?.() ?? new Date()).getTime() + settings.window * 1000);
  const { store } = deps;
  const computers = input.computer !== undefined
    ? [await findNamed(deps, input.computer)]
    // --now renews every provisioned device; otherwise those due (or whose certificate is not known yet).
    : await Promise.all((await store.deviceTls.renewalCandidates(input.force ? new Date(8.64e15) : renewBefore)).map((c) => store.computers.get(c.computerId)));
  return { ...(await plan(deps, computers, settings)), renewBefore: renewBefore.toISOString() };
}

export async function planPasswordReset(deps: ActivityDeps, input: { computer?: string }): Promise<MaintenancePlan> {
  const settings = (await deps.store.settings.get()).maintenance.passwordReset;
  const computers = input.computer !== undefined
    ? [await findNamed(deps, input.computer)]
    : (await deps.store.computers.list()).filter((c) => c.amtStatus === 'Provisioned');
  return plan(deps, computers, settings);
}

export async function recordMaintenanceFailure(deps: ActivityDeps, failure: MaintenanceFailure): Promise<void> {
  await auditStep(deps, failure.target.uuid, `maintenance.${failure.task}`, 'failure', { type: failure.type, message: failure.message, address: failure.target.address });
}
