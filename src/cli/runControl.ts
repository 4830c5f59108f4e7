// `amtprov retry` and `amtprov cancel`: an operator steering one device's run, through the
// run-control module (src/runs/runControl.ts) the listener and the site API use too.
import { RunControl } from '../runs/runControl';
import { TASK_QUEUE } from '../workflows/definitions';
import { EXIT, operatorActor, parseCli, processIo } from './support';
import { findComputer, operatorContext } from './operatorClient';

/** One computer and the task queue, or the exit code when the arguments were answered already. */
function parseTarget(argv: string[], usage: string): { id: string; taskQueue: string } | number {
  const parsed = parseCli(argv, { 'task-queue': { type: 'string', default: TASK_QUEUE } }, processIo, usage);
  if (typeof parsed === 'number') return parsed;
  if (parsed.positionals.length !== 1) {
    processIo.err(`expected one computer (UUID or NetBIOS name)\n\n${usage}`);
    return EXIT.usage;
  }
  return { id: parsed.positionals[0], taskQueue: parsed.values['task-queue'] };
}

export async function runRetryCommand(argv: string[]): Promise<number> {
  const usage = 'usage: amtprov retry <uuid or NetBIOS name> [--task-queue <name>]\n\nA running run retries its current stage now; otherwise a new run starts from the\ndevice\'s last known address and trusted root hashes. Hellos held by an unprovision\n(--no-reprovision) start runs again.';
  const target = parseTarget(argv, usage);
  if (typeof target === 'number') return target;
  const ctx = await operatorContext();
  try {
    const computer = await findComputer(ctx.store, target.id);
    // An operator's retry is the way back after `unprovision --no-reprovision`: its Hellos count again.
    if (computer.provisioningHeld) await ctx.store.computers.setProvisioningHeld(computer.id, false);
    const outcome = await new RunControl(await ctx.client(), target.taskQueue).retry({
      uuid: computer.uuid, hostname: computer.fqdn, address: computer.lastAddress, mode: computer.provisioningMode,
      trustedRootHashes: computer.trustedRootHashes,
    });
    if (outcome.action === 'signalled') {
      process.stdout.write(`${outcome.workflowId}: asked the running run to retry its current stage now\n`);
      return 0;
    }
    await ctx.store.audit.recordAudit({ actor: operatorActor(), action: 'provisioning.retry', computerUuid: computer.uuid, outcome: 'info', detail: { runId: outcome.runId } });
    process.stdout.write(`${outcome.workflowId}: started a new run ${outcome.runId} at ${computer.lastAddress}\n`);
    return 0;
  } finally {
    await ctx.close();
  }
}

export async function runCancelCommand(argv: string[]): Promise<number> {
  const usage = 'usage: amtprov cancel <uuid or NetBIOS name> [--task-queue <name>]\n\nCancels the running run; it reports the computer Failed ("cancelled by an operator").';
  const target = parseTarget(argv, usage);
  if (typeof target === 'number') return target;
  const ctx = await operatorContext();
  try {
    const computer = await findComputer(ctx.store, target.id);
    const cancelled = await new RunControl(await ctx.client(), target.taskQueue).cancel(computer.uuid);
    await ctx.store.audit.recordAudit({ actor: operatorActor(), action: 'provisioning.cancel', computerUuid: computer.uuid, outcome: 'info', detail: { runId: cancelled.runId } });
    process.stdout.write(`${cancelled.workflowId}: cancel requested\n`);
    return 0;
  } finally {
    await ctx.close();
  }
}
