// `amtprov runs`: provisioning runs as Temporal's visibility lists them, filtered by the
// search attributes the workflow keeps up to date.
import { WORKFLOW_TYPE } from '../runs/runControl';
import { searchAttributes } from '../workflows/definitions';
import { operatorContext } from './operatorClient';
import { parseCli, processIo } from './support';

const USAGE = `usage: amtprov runs [--status <AmtStatus>] [--stage <stage>] [--limit <n>] [--json]

Lists provisioning runs, newest first (Temporal visibility, search attributes AmtUuid,
AmtHostname, ProvisioningMode, ProvisioningStage, AmtStatus). --status: Detected,
Provisioned or Failed; --stage: validate, tls, digest, identity, directory, phase1, phase2,
report, done.`;

const QUOTABLE = /^[A-Za-z0-9 _.-]+$/;

export async function runRunsCommand(argv: string[]): Promise<number> {
  const parsed = parseCli(argv, { status: { type: 'string' }, stage: { type: 'string' }, limit: { type: 'string', default: '50' }, json: { type: 'boolean' } }, processIo, USAGE);
  if (typeof parsed === 'number') return parsed;
  const { values } = parsed;
  const limit = Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1) throw new Error(`--limit must be a positive whole number, got "${values.limit}"`);
  const clauses = [`WorkflowType = '${WORKFLOW_TYPE}'`];
  for (const [flag, attribute] of [['status', 'AmtStatus'], ['stage', 'ProvisioningStage']] as const) {
    const value = values[flag];
    if (value === undefined) continue;
    if (!QUOTABLE.test(value)) throw new Error(`--${flag} "${value}" has characters a query cannot hold`);
    clauses.push(`${attribute} = '${value}'`);
  }
  const ctx = await operatorContext();
  try {
    const rows = [];
    for await (const wf of (await ctx.client()).workflow.list({ query: clauses.join(' AND ') })) {
      const attrs = wf.typedSearchAttributes;
      rows.push({
        workflowId: wf.workflowId, runId: wf.runId, status: wf.status.name, started: wf.startTime.toISOString(),
        uuid: attrs.get(searchAttributes.uuid), hostname: attrs.get(searchAttributes.hostname), mode: attrs.get(searchAttributes.mode),
        stage: attrs.get(searchAttributes.stage), amtStatus: attrs.get(searchAttributes.status),
      });
      if (rows.length >= limit) break;
    }
    if (values.json) {
      process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    } else {
      const lines = rows.map((r) => `${r.started}  ${r.status.padEnd(10)} ${(r.amtStatus ?? '-').padEnd(12)} ${(r.stage ?? '-').padEnd(9)} ${(r.mode ?? '-').padEnd(11)} ${r.hostname ?? r.uuid ?? r.workflowId}`);
      process.stdout.write(`${['STARTED                   RUN        AMT STATUS   STAGE     MODE        DEVICE', ...lines].join('\n')}\n`);
    }
    return 0;
  } finally {
    await ctx.close();
  }
}
