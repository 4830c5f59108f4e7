// `amtprov discover [<computer> | --all]`: Discover AMT Status, as one discoverAmtStatus run
// (one child run per computer for --all); prints each computer's status when it ends.
import { WorkflowFailedError } from '@temporalio/client';
import { MaintenanceRuns, RunRefused } from '../runs/maintenanceRuns';
import { TASK_QUEUE } from '../workflows/definitions';
import type { DiscoverySummary } from '../workflows/maintenanceDefinitions';
import { EXIT, parseCli, processIo } from './support';
import { findComputer, operatorContext } from './operatorClient';

const USAGE = `usage: amtprov discover <uuid or NetBIOS name> | --all [--concurrency <n>] [--no-wait] [--json]

Reaches each computer's AMT at its last known address and records its AMT status (Unknown,
Not Supported, Detected, Not Provisioned, Provisioned, Externally Provisioned), firmware
version and family (README "Status discovery" has the rules). Read-only towards devices.

  --all                 every computer in the site store, one child run each
  --concurrency <n>     child runs at once with --all (default 10, 1-100)
  --no-wait             print the run id and return
  --json                the run's result as JSON
  --task-queue <name>   default ${TASK_QUEUE}`;

export async function runDiscoverCommand(argv: string[]): Promise<number> {
  const parsed = parseCli(argv, {
    all: { type: 'boolean' }, concurrency: { type: 'string', default: '10' }, 'no-wait': { type: 'boolean' }, json: { type: 'boolean' },
    'task-queue': { type: 'string', default: TASK_QUEUE },
  }, processIo, USAGE);
  if (typeof parsed === 'number') return parsed;
  const all = parsed.values.all === true;
  if (all === (parsed.positionals.length === 1) || parsed.positionals.length > 1) {
    processIo.err(`expected one computer or --all\n\n${USAGE}`);
    return EXIT.usage;
  }
  const concurrency = Number(parsed.values.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 100) {
    processIo.err(`--concurrency must be a whole number from 1 to 100 (got "${parsed.values.concurrency}")`);
    return EXIT.usage;
  }
  const ctx = await operatorContext();
  try {
    const computer = all ? undefined : await findComputer(ctx.store, parsed.positionals[0]);
    const client = await ctx.client();
    let run;
    try {
      run = await new MaintenanceRuns(client, ctx.store, parsed.values['task-queue']).discover({ concurrency }, computer);
    } catch (err) {
      if (!(err instanceof RunRefused)) throw err;
      processIo.err(`refused: ${err.message}`);
      return EXIT.refused;
    }
    if (parsed.values['no-wait']) {
      processIo.out(`${run.workflowId}: discovery started (run ${run.runId})`);
      return EXIT.ok;
    }
    let summary: DiscoverySummary;
    try {
      summary = await client.workflow.getHandle(run.workflowId, run.runId).result() as DiscoverySummary;
    } catch (err) {
      if (!(err instanceof WorkflowFailedError)) throw err;
      processIo.err(`discovery failed: ${err.cause?.message ?? err.message}`);
      return EXIT.refused;
    }
    if (parsed.values.json) {
      processIo.out(JSON.stringify(summary, null, 2));
      return EXIT.ok;
    }
    const nameOf = async (uuid: string): Promise<string> => (await ctx.store.computers.findByUuid(uuid))?.fqdn ?? uuid;
    for (const r of summary.results) {
      const name = await nameOf(r.uuid);
      processIo.out(`${name}: ${r.status}${r.firmwareVersion ? ` (AMT ${r.firmwareVersion}, ${r.firmwareFamily ?? '?'})` : ''}: ${r.reason}`);
    }
    for (const f of summary.failures) processIo.err(`${await nameOf(f.uuid)}: discovery failed: ${f.reason}`);
    processIo.out(`${summary.counts.done} computer(s): ${Object.entries(summary.counts.byStatus).map(([s, n]) => `${n} ${s}`).join(', ') || 'none classified'}${summary.counts.failed ? `, ${summary.counts.failed} failed` : ''}`);
    return summary.failures.length > 0 ? EXIT.refused : EXIT.ok;
  } finally {
    await ctx.close();
  }
}
