// Audit records written by activities name the run that acted ("workflow:<id>/<run>").
import { Context } from '@temporalio/activity';
import type { AuditDetail, AuditOutcome } from '../site/auditLog';
import type { SiteStoreView } from '../site/store';

function runActor(): string {
  try {
    const { workflowExecution } = Context.current().info;
    if (workflowExecution) return `workflow:${workflowExecution.workflowId}/${workflowExecution.runId}`;
    return 'worker';
  } catch {
    return 'worker';
  }
}

/** `to` is the activity's deps, or `{ store: tx }` inside a store transaction. */
export async function auditStep(to: { store: SiteStoreView }, computerUuid: string, action: string, outcome: AuditOutcome, detail?: AuditDetail): Promise<void> {
  await to.store.audit.recordAudit({ actor: runActor(), action, computerUuid, outcome, ...(detail ? { detail } : {}) });
}
