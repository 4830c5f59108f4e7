// `amtprov unprovision <computer> [--partial] [--no-reprovision]`: Remove Provisioning
// Information, as one unprovisionDevice run (src/runs/maintenanceRuns.ts has the policy).
import { WorkflowFailedError } from '@temporalio/client';
import { MaintenanceRuns, RunRefused } from '../runs/maintenanceRuns';
import { durationSeconds } from '../site/settingsSchema';
import { TASK_QUEUE } from '../workflows/definitions';
import type { UnprovisionResult } from '../workflows/maintenanceDefinitions';
import { EXIT, operatorActor, parseCli, processIo } from './support';
import { findComputer, operatorContext } from './operatorClient';

const USAGE = `usage: amtprov unprovision <uuid or NetBIOS name> [--partial] [--no-reprovision] [--deadline <duration>] [--wait]

Removes the computer's provisioning: revokes the device certificate it serves (reason
superseded), removes the provisioning data from the device (full by default: admin account
reset to the factory one, host and domain name cleared; --partial keeps those), deletes its
AD computer account and SPNs, marks it Not Provisioned, then starts a new provisioning run.
The computer's Hellos start no run meanwhile. Refused while its provisioning run is open
(amtprov cancel it first) or another unprovision of it runs.

  --partial             partial unprovision (post-provisioning devices)
  --no-reprovision      no new run afterwards; its Hellos stay held until "amtprov retry"
  --deadline <d>        how long a dark device is waited for, e.g. 30m, 2h (default: the site's provisioningDeadline)
  --wait                wait for the run and print its outcome (exit 1 when it failed)
  --task-queue <name>   default ${TASK_QUEUE}`;

export async function runUnprovisionCommand(argv: string[]): Promise<number> {
  const parsed = parseCli(argv, {
    partial: { type: 'boolean' }, 'no-reprovision': { type: 'boolean' }, deadline: { type: 'string' }, wait: { type: 'boolean' },
    'task-queue': { type: 'string', default: TASK_QUEUE },
  }, processIo, USAGE);
  if (typeof parsed === 'number') return parsed;
  if (parsed.positionals.length !== 1) {
    processIo.err(`expected one computer (UUID or NetBIOS name)\n\n${USAGE}`);
    return EXIT.usage;
  }
  let deadlineSeconds: number | undefined;
  if (parsed.values.deadline !== undefined) {
    const deadline = durationSeconds.safeParse(/^\d+$/.test(parsed.values.deadline) ? Number(parsed.values.deadline) : parsed.values.deadline);
    if (!deadline.success) {
      processIo.err(`--deadline must be a duration from 1m to 30d, like 90m, 24h or 2d (got "${parsed.values.deadline}")`);
      return EXIT.usage;
    }
    deadlineSeconds = deadline.data;
  }
  const mode = parsed.values.partial ? 'partial' : 'full';
  const reprovision = parsed.values['no-reprovision'] !== true;
  const ctx = await operatorContext();
  try {
    const computer = await findComputer(ctx.store, parsed.positionals[0]);
    const client = await ctx.client();
    let run;
    try {
      run = await new MaintenanceRuns(client, ctx.store, parsed.values['task-queue']).unprovision(computer, {
        mode, reprovision, ...(deadlineSeconds !== undefined ? { deadlineSeconds } : {}),
      });
    } catch (err) {
      if (!(err instanceof RunRefused)) throw err;
      processIo.err(`refused: ${err.message}`);
      return EXIT.refused;
    }
    await ctx.store.audit.recordAudit({ actor: operatorActor(), action: 'unprovision.requested', computerUuid: computer.uuid, outcome: 'info', detail: { mode, reprovision, runId: run.runId } });
    processIo.out(`${run.workflowId}: ${mode} unprovision of ${computer.fqdn} started (run ${run.runId})${reprovision ? ', then a new provisioning run' : ''}`);
    if (!parsed.values.wait) return EXIT.ok;
    try {
      const result = await client.workflow.getHandle(run.workflowId, run.runId).result() as UnprovisionResult;
      processIo.out(`${computer.fqdn}: ${result.outcome}${result.alreadyUnprovisioned ? ' (the device was unprovisioned already)' : ''}; ` +
        `revoked ${result.revokedSerials.length} certificate(s); AD account ${result.directoryAccountDeleted ? 'deleted' : 'was gone'}; ` +
        (result.reprovision.started ? `provisioning run ${result.reprovision.workflowId} started` : `not provisioned again: ${result.reprovision.reason}`));
      return EXIT.ok;
    } catch (err) {
      if (!(err instanceof WorkflowFailedError)) throw err;
      processIo.err(`${computer.fqdn}: unprovision failed: ${err.cause?.message ?? err.message}`);
      return EXIT.refused;
    }
  } finally {
    await ctx.close();
  }
}
