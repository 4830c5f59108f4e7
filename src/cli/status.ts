// `amtprov status [computer] [--json]`: what the site store knows (AMT status, reason, mode,
// last address, audit trail) and, for one computer, its provisioning run in Temporal.
import { WorkflowNotFoundError } from '@temporalio/client';
import type { Computer } from '../site/computers';
import { provisioningWorkflowId, statusQuery, type ProvisioningStatus } from '../workflows/definitions';
import { findComputer, operatorContext, type OperatorContext } from './operatorClient';
import { parseCli, processIo } from './support';

const USAGE = `usage: amtprov status [<uuid or NetBIOS name>] [--json]

Without a computer: one line per computer in the site store (AMT status, mode, reason).
With one: its facts, its audit trail and its provisioning run (amt-provision-<uuid>) with the
run's live status (stage, attempt, last error) when it is running.`;

function row(c: Computer): string {
  const reason = c.statusReason ? `  ${c.statusReason.slice(0, 80)}` : '';
  return `${c.netbiosName.padEnd(15)} ${c.uuid}  ${c.amtStatus.padEnd(15)} ${(c.provisioningMode ?? '-').padEnd(11)}${reason}`;
}

async function runOf(ctx: OperatorContext, uuid: string): Promise<Record<string, unknown> | undefined> {
  const handle = (await ctx.client()).workflow.getHandle(provisioningWorkflowId(uuid));
  try {
    const description = await handle.describe();
    let live: ProvisioningStatus | undefined;
    if (description.status.name === 'RUNNING') live = await handle.query(statusQuery);
    return {
      workflowId: description.workflowId, runId: description.runId, status: description.status.name,
      started: description.startTime.toISOString(), closed: description.closeTime?.toISOString(), ...(live ? { live } : {}),
    };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}

export async function runStatusCommand(argv: string[]): Promise<number> {
  const parsed = parseCli(argv, { json: { type: 'boolean' } }, processIo, USAGE);
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  const ctx = operatorContext();
  try {
    if (positionals.length === 0) {
      const computers = ctx.store.computers.list();
      process.stdout.write(values.json ? `${JSON.stringify(computers.map(({ secretRefs: _s, ...c }) => c), null, 2)}\n`
        : `${['NAME            UUID                                  STATUS          MODE', ...computers.map(row)].join('\n')}\n`);
      return 0;
    }
    const { secretRefs: _secrets, ...computer } = findComputer(ctx.store, positionals[0]);
    const run = await runOf(ctx, computer.uuid);
    const audit = ctx.store.audit.forComputer(computer.uuid).slice(-15);
    if (values.json) {
      process.stdout.write(`${JSON.stringify({ computer, run: run ?? null, audit }, null, 2)}\n`);
      return 0;
    }
    const lines = [
      `${computer.netbiosName} (${computer.fqdn})  UUID ${computer.uuid}`,
      `  AMT status     ${computer.amtStatus}${computer.statusReason ? `: ${computer.statusReason}` : ''}`,
      `  mode           ${computer.provisioningMode ?? '-'}${computer.inBandManaged ? ' (in-band managed)' : ''}`,
      `  firmware       ${computer.firmwareVersion ?? '-'}    last address ${computer.lastAddress ?? '-'}`,
      `  device cert    ${computer.deviceCertFingerprint ?? 'not pinned yet'}`,
      `  run            ${run ? `${String(run.workflowId)} ${String(run.status)} since ${String(run.started)}` : 'none'}`,
    ];
    const live = run?.live as ProvisioningStatus | undefined;
    if (live) {
      lines.push(`  stage          ${live.stage} (attempt ${live.attempt}), Hellos absorbed ${live.hellosAbsorbed}`);
      if (live.lastError) lines.push(`  last error     ${live.lastError.type}: ${live.lastError.message}`);
    }
    lines.push('  audit:', ...audit.map((a) => `    ${a.at}  ${a.action}  ${a.outcome}  ${a.actor}`));
    process.stdout.write(`${lines.join('\n')}\n`);
    return 0;
  } finally {
    await ctx.close();
  }
}
