// The fleet view behind `amtprov status`: filters (AMT status, mode, name glob), counts by
// AMT status and mode, and a page of rows, so 10,000 computers read as a few lines.
import type { AmtStatus, Computer, ProvisioningMode } from '../site/computers';
import { AMT_STATUSES } from '../site/schema';

const MODES = ['out-of-band', 'in-band', 'none'] as const;
type ModeFilter = ProvisioningMode | 'none';

export interface FleetFilter {
  status?: AmtStatus;
  mode?: ModeFilter;
  /** Shell-style glob (`*`, `?`) on the NetBIOS name or FQDN, case-insensitive. */
  name?: string;
}

export interface FleetCounts {
  total: number;
  byStatus: Record<AmtStatus, number>;
  byMode: Record<ModeFilter, number>;
}

function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  const found = allowed.find((a) => a.toLowerCase() === value.toLowerCase());
  if (!found) throw new Error(`--${flag} "${value}" is not one of: ${allowed.join(', ')}`);
  return found;
}

export function parseFleetFilter(values: { status?: string; mode?: string; name?: string }): FleetFilter {
  return {
    ...(values.status !== undefined ? { status: oneOf('status', values.status, AMT_STATUSES) } : {}),
    ...(values.mode !== undefined ? { mode: oneOf('mode', values.mode, MODES) } : {}),
    ...(values.name !== undefined ? { name: values.name } : {}),
  };
}

export function globPattern(glob: string): RegExp {
  const body = glob.split('').map((ch) => (ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[.+^${}()|[\]\\]/g, '\\$&'))).join('');
  return new RegExp(`^${body}$`, 'i');
}

export function selectComputers(computers: Computer[], filter: FleetFilter): Computer[] {
  const name = filter.name !== undefined ? globPattern(filter.name) : undefined;
  return computers.filter((c) => (filter.status === undefined || c.amtStatus === filter.status)
    && (filter.mode === undefined || (c.provisioningMode ?? 'none') === filter.mode)
    && (name === undefined || name.test(c.netbiosName) || name.test(c.fqdn)));
}

export function fleetCounts(computers: Computer[]): FleetCounts {
  const counts: FleetCounts = {
    total: computers.length,
    byStatus: Object.fromEntries(AMT_STATUSES.map((s) => [s, 0])) as Record<AmtStatus, number>,
    byMode: Object.fromEntries(MODES.map((m) => [m, 0])) as Record<ModeFilter, number>,
  };
  for (const c of computers) {
    counts.byStatus[c.amtStatus] += 1;
    counts.byMode[c.provisioningMode ?? 'none'] += 1;
  }
  return counts;
}

/** `Provisioned 1500, Failed 12, ...`: non-zero entries only, biggest first (all zero: "-"). */
function tally(entries: Record<string, number>): string {
  const shown = Object.entries(entries).filter(([, n]) => n > 0).sort(([, a], [, b]) => b - a);
  return shown.length === 0 ? '-' : shown.map(([k, n]) => `${k} ${n}`).join(', ');
}

export function formatCounts(counts: FleetCounts): string[] {
  return [`  AMT status  ${tally(counts.byStatus)}`, `  mode        ${tally(counts.byMode)}`];
}

/** The counts on one line, for `status --watch`. */
export function countsLine(counts: FleetCounts): string {
  return `AMT status ${tally(counts.byStatus)}; mode ${tally(counts.byMode)}`;
}

export function describeFilter(filter: FleetFilter): string {
  return Object.entries(filter).map(([k, v]) => `${k} ${String(v)}`).join(', ');
}
