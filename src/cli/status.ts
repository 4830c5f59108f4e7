// `amtprov status`: what the site store knows. For the fleet: counts by AMT status and mode
// first, then a page of computers, filtered; `--watch` follows the fleet until no run is
// open. For one computer: its facts, audit trail and provisioning run with its live status.
import type { Computer } from '../site/computers';
import { RunControl } from '../runs/runControl';
import { describeStuckRun } from '../runs/stuckRun';
import type { ProvisioningStatus } from '../workflows/definitions';
import { countsLine, describeFilter, fleetCounts, formatCounts, parseFleetFilter, selectComputers, type FleetFilter } from './fleetStatus';
import { findComputer, operatorContext, type OperatorContext } from './operatorClient';
import { EXIT, parseCli, processIo, waitForStopSignal } from './support';

const USAGE = `usage: amtprov status [--status <s>] [--mode <m>] [--name <glob>] [--limit <n> | --all] [--offset <n>] [--json]
       amtprov status --watch [--interval <seconds>] [--status <s>] [--mode <m>] [--name <glob>]
       amtprov status <uuid or NetBIOS name> [--json]

Fleet: counts by AMT status and mode, then one line per computer (NAME, UUID, STATUS, MODE,
reason), sorted by name, --limit lines (default 50) from --offset (default 0); --all for every one.
  --status  Unknown, Not Supported, Detected, Not Provisioned, Provisioned, Externally Provisioned or Failed
  --mode    out-of-band, in-band, or none (never reached)
  --name    glob on the NetBIOS name or FQDN, * and ?, any case (quote it: --name 'LAB-*')
  --watch   a line of counts every --interval seconds (default 2) until no provisioning run is
            open in Temporal, then the final counts (exit 0); Ctrl-C stops early (exit 130)
One computer: its facts, its audit trail and its provisioning run (amt-provision-<uuid>) with
the run's live status (stage, attempt, last error) when it is running.`;

const OPTIONS = {
  json: { type: 'boolean' }, status: { type: 'string' }, mode: { type: 'string' }, name: { type: 'string' },
  limit: { type: 'string', default: '50' }, offset: { type: 'string', default: '0' }, all: { type: 'boolean' },
  watch: { type: 'boolean' }, interval: { type: 'string', default: '2' },
} as const;

const HEADER = 'NAME            UUID                                  STATUS          MODE';

function row(c: Computer): string {
  const reason = c.statusReason ? `  ${c.statusReason.slice(0, 80)}` : '';
  return `${c.netbiosName.padEnd(15)} ${c.uuid}  ${c.amtStatus.padEnd(15)} ${(c.provisioningMode ?? '-').padEnd(11)}${reason}`.trimEnd();
}

function wholeNumber(flag: string, value: string, min: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min) throw new Error(`--${flag} must be a whole number of at least ${min}, got "${value}"`);
  return n;
}

function countsBlock(matched: Computer[], total: number, filter: FleetFilter): string[] {
  const filterText = describeFilter(filter);
  const head = filterText ? `${matched.length} of ${total} computers match ${filterText}` : `${total} computers`;
  return [head, ...formatCounts(fleetCounts(matched))];
}

async function fleetCommand(ctx: OperatorContext, values: { json?: boolean; limit: string; offset: string; all?: boolean }, filter: FleetFilter): Promise<number> {
  const limit = values.all ? Infinity : wholeNumber('limit', values.limit, 1);
  const offset = wholeNumber('offset', values.offset, 0);
  const all = await ctx.store.computers.list();
  const matched = selectComputers(all, filter);
  const page = matched.slice(offset, offset + limit);
  if (values.json) {
    process.stdout.write(`${JSON.stringify({
      total: all.length, matched: matched.length, counts: fleetCounts(matched), offset, limit: values.all ? null : limit,
      computers: page.map(({ secretRefs: _s, ...c }) => c),
    }, null, 2)}\n`);
    return EXIT.ok;
  }
  const lines = [...countsBlock(matched, all.length, filter), ''];
  if (page.length > 0) lines.push(HEADER, ...page.map(row));
  if (page.length < matched.length) {
    const next = offset + page.length < matched.length ? `; --offset ${offset + page.length} for the next page` : '';
    lines.push(`showing ${page.length === 0 ? 0 : offset + 1}-${offset + page.length} of ${matched.length}${next}, --all for every one`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  return EXIT.ok;
}

async function watchCommand(ctx: OperatorContext, intervalText: string, filter: FleetFilter): Promise<number> {
  const intervalSeconds = Number(intervalText);
  if (!Number.isFinite(intervalSeconds) || intervalSeconds < 0.1) throw new Error(`--interval must be a number of seconds, at least 0.1, got "${intervalText}"`);
  const runs = new RunControl(await ctx.client());
  const stopped = waitForStopSignal();
  let interrupted = false;
  void stopped.then(() => { interrupted = true; });
  for (;;) {
    const open = await runs.openRuns();
    const counts = fleetCounts(selectComputers(await ctx.store.computers.list(), filter));
    process.stdout.write(`${new Date().toISOString()}  open runs ${open}; ${countsLine(counts)}\n`);
    if (open === 0 || interrupted) break;
    await Promise.race([new Promise((resolve) => setTimeout(resolve, intervalSeconds * 1000)), stopped]);
    if (interrupted) break;
  }
  const all = await ctx.store.computers.list();
  const final = countsBlock(selectComputers(all, filter), all.length, filter);
  process.stdout.write(`${[interrupted ? 'stopped; runs still open' : 'settled: no provisioning run is open', ...final].join('\n')}\n`);
  return interrupted ? 130 : EXIT.ok;
}

async function computerCommand(ctx: OperatorContext, id: string, json: boolean | undefined): Promise<number> {
  const { secretRefs: _secrets, ...computer } = await findComputer(ctx.store, id);
  const run = await new RunControl(await ctx.client()).status(computer.uuid);
  const audit = (await ctx.store.audit.forComputer(computer.uuid)).slice(-15);
  if (json) {
    process.stdout.write(`${JSON.stringify({ computer, run: run ?? null, audit }, null, 2)}\n`);
    return EXIT.ok;
  }
  const lines = [
    `${computer.netbiosName} (${computer.fqdn})  UUID ${computer.uuid}`,
    `  AMT status     ${computer.amtStatus}${computer.statusReason ? `: ${computer.statusReason}` : ''}`,
    `  mode           ${computer.provisioningMode ?? '-'}${computer.inBandManaged ? ' (in-band managed)' : ''}`,
    `  firmware       ${computer.firmwareVersion ?? '-'}    last address ${computer.lastAddress ?? '-'}`,
    `  device cert    ${computer.deviceCertFingerprint ?? 'not pinned yet'}`,
    `  run            ${run ? `${run.workflowId} ${run.status} since ${run.started}${run.summary ? `  (${run.summary})` : ''}` : 'none'}`,
  ];
  if (run?.stuck) lines.push(`  stuck          ${describeStuckRun(run.stuck).replace(/^stuck: /, '')}`);
  const live: ProvisioningStatus | undefined = run?.live;
  if (live) {
    lines.push(`  stage          ${live.stage} (attempt ${live.attempt}), Hellos absorbed ${live.hellosAbsorbed}`);
    if (live.lastError) lines.push(`  last error     ${live.lastError.type}: ${live.lastError.message}`);
  }
  lines.push('  audit:', ...audit.map((a) => `    ${a.at}  ${a.action}  ${a.outcome}  ${a.actor}`));
  process.stdout.write(`${lines.join('\n')}\n`);
  return EXIT.ok;
}

export async function runStatusCommand(argv: string[]): Promise<number> {
  const parsed = parseCli(argv, OPTIONS, processIo, USAGE);
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  if (positionals.length > 1) { processIo.err(`expected at most one computer\n\n${USAGE}`); return EXIT.usage; }
  const filter = parseFleetFilter(values);
  if (values.watch && (positionals.length > 0 || values.json)) {
    processIo.err(`--watch follows the fleet as lines: without a computer, without --json\n\n${USAGE}`);
    return EXIT.usage;
  }
  const ctx = await operatorContext();
  try {
    if (positionals.length === 1) return await computerCommand(ctx, positionals[0], values.json);
    if (values.watch) return await watchCommand(ctx, values.interval, filter);
    return fleetCommand(ctx, values, filter);
  } finally {
    await ctx.close();
  }
}
