// Seed step 4.7: the outcome lands in the site store (AMT status, reason) and the audit log.
// Passwords are already in the vault by now: each was stored before it was used.
import { productMetrics } from '../metrics/productMetrics';
import type { ReportInput } from './types';
import type { ActivityDeps } from './deps';
import { auditStep } from './audit';

export async function reportResult(deps: ActivityDeps, input: ReportInput): Promise<void> {
  const { store } = deps;
  const computer = input.computerId !== undefined ? await store.computers.get(input.computerId) : await store.computers.findByUuid(input.uuid);
  await store.transaction(async (tx) => {
    // A run that never proved its address (a Hello nobody vouched for) must not degrade the computer.
    if (computer && !input.addressUnproven) {
      await tx.computers.setStatus(computer.id, input.outcome, input.outcome === 'Failed' ? input.reason : undefined);
      // An in-band OTP is good for one run, whatever its outcome.
      await tx.inBand.forget(computer.id);
    }
    await auditStep({ store: tx }, input.uuid, 'provisioning.finished', input.outcome === 'Provisioned' ? 'success' : 'failure', {
      outcome: input.outcome, stage: input.failedStage ?? null, reason: input.reason ?? null, trigger: input.trigger, runId: input.runId,
      ...(input.addressUnproven ? { addressUnproven: true } : {}),
    });
  });
  productMetrics.runFinished(input.outcome, input.mode);
  deps.log.info('provisioning finished', { uuid: input.uuid, outcome: input.outcome, stage: input.failedStage, reason: input.reason });
}
