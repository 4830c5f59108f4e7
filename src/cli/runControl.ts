// `amtprov retry` and `amtprov cancel`: an operator steering one device's run. Retry cuts
// a running run's backoff short, or starts a new run for a device whose last run ended.
import { WorkflowNotFoundError } from '@temporalio/client';
import type { provisionDevice } from '../workflows';
import { provisioningWorkflowId, retrySignal, searchAttributes, TASK_QUEUE } from '../workflows/definitions';
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
  const usage = 'usage: amtprov retry <uuid or NetBIOS name> [--task-queue <name>]\n\nA running run retries its current stage now; otherwise a new run starts from the\ndevice\'s last known address and trusted root hashes.';
  const target = parseTarget(argv, usage);
  if (typeof target === 'number') return target;
  const { id, taskQueue } = target;
  const ctx = operatorContext();
  try {
    const computer = findComputer(ctx.store, id);
    const client = await ctx.client();
    const workflowId = provisioningWorkflowId(computer.uuid);
    const handle = client.workflow.getHandle<typeof provisionDevice>(workflowId);
    const running = await handle.describe().then((d) => d.status.name === 'RUNNING', (err: unknown) => {
      if (err instanceof WorkflowNotFoundError) return false;
      throw err;
    });
    if (running) {
      await handle.signal(retrySignal);
      process.stdout.write(`${workflowId}: asked the running run to retry its current stage now\n`);
      return 0;
    }
    if (!computer.lastAddress || !computer.provisioningMode) {
      throw new Error(`${computer.netbiosName} has never been reached: there is no address to retry; wait for its Hello or its agent`);
    }
    const started = await client.workflow.start<typeof provisionDevice>('provisionDevice', {
      taskQueue, workflowId,
      args: [{ uuid: computer.uuid, mode: computer.provisioningMode, address: computer.lastAddress, trustedRootHashes: computer.trustedRootHashes, trigger: 'operator' }],
      typedSearchAttributes: [{ key: searchAttributes.uuid, value: computer.uuid }, { key: searchAttributes.mode, value: computer.provisioningMode }],
    });
    ctx.store.audit.recordAudit({ actor: operatorActor(), action: 'provisioning.retry', computerUuid: computer.uuid, outcome: 'info', detail: { runId: started.firstExecutionRunId } });
    process.stdout.write(`${workflowId}: started a new run ${started.firstExecutionRunId} at ${computer.lastAddress}\n`);
    return 0;
  } finally {
    await ctx.close();
  }
}

export async function runCancelCommand(argv: string[]): Promise<number> {
  const usage = 'usage: amtprov cancel <uuid or NetBIOS name>\n\nCancels the running run; it reports the computer Failed ("cancelled by an operator").';
  const target = parseTarget(argv, usage);
  if (typeof target === 'number') return target;
  const ctx = operatorContext();
  try {
    const computer = findComputer(ctx.store, target.id);
    await (await ctx.client()).workflow.getHandle(provisioningWorkflowId(computer.uuid)).cancel();
    ctx.store.audit.recordAudit({ actor: operatorActor(), action: 'provisioning.cancel', computerUuid: computer.uuid, outcome: 'info' });
    process.stdout.write(`${provisioningWorkflowId(computer.uuid)}: cancel requested\n`);
    return 0;
  } finally {
    await ctx.close();
  }
}
