// Audit records written by activities name the run that acted ("workflow:<id>/<run>").
import { Context } from '@temporalio/activity';
import type { AuditDetail, AuditOutcome } from '../site/auditLog';
import type { ActivityDeps } from './deps';

function runActor(): string {
  try {
    const { workflowExecution } = Context.current().info;
    if (workflowExecution) return `workflow:${workflowExecution.workflowId}/${workflowExecution.runId}`;
    return 'worker';
  } catch {
    return 'worker';
  }
}

export function auditStep(deps: ActivityDeps, computerUuid: string, action: string, outcome: AuditOutcome, detail?: AuditDetail): void {
  deps.store.audit.recordAudit({ actor: runActor(), action, computerUuid, outcome, ...(detail ? { detail } : {}) });
}
