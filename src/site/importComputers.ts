// Applies a validated ConfigMgr import to the store, all or nothing: new UUIDs are added,
// known UUIDs updated; passwords go to the vault; one audit record per computer. Rows that
// clash with computers outside the file (a name or FQDN already taken) are reported by line
// and nothing is written.
import type { ImportRow, RowError } from './configMgrCsv';
import type { SiteStoreTransaction, SiteStoreView } from './store';

export interface ImportSummary {
  imported: number;
  updated: number;
}

/**
 * Told after every twentieth of the rows and after the last one, first while rows are checked
 * against the store, then while they are written.
 */
export type ImportProgress = (phase: 'checking' | 'writing', done: number, total: number) => void;

/** Calls `onProgress` for row `index` when it ends a twentieth of the rows, or is the last. */
function progressAt(onProgress: ImportProgress | undefined, phase: 'checking' | 'writing', index: number, total: number): void {
  const step = Math.max(1, Math.ceil(total / 20));
  if (onProgress && ((index + 1) % step === 0 || index + 1 === total)) onProgress(phase, index + 1, total);
}

export class ImportRejectedError extends Error {
  override name = 'ImportRejectedError';
  constructor(readonly errors: RowError[]) {
    super(`import rejected: ${errors.length} bad line(s); nothing was imported`);
  }
}

async function conflicts(store: SiteStoreTransaction, rows: ImportRow[], onProgress?: ImportProgress): Promise<RowError[]> {
  const inFile = new Set(rows.map((r) => r.uuid));
  const errors: RowError[] = [];
  for (const [index, row] of rows.entries()) {
    const reasons: string[] = [];
    const byName = await store.computers.findByName(row.netbiosName);
    if (byName && !inFile.has(byName.uuid)) reasons.push(`short name ${row.netbiosName} already belongs to computer ${byName.uuid}`);
    const byFqdn = await store.computers.findByFqdn(row.fqdn);
    if (byFqdn && !inFile.has(byFqdn.uuid)) reasons.push(`FQDN ${row.fqdn} already belongs to computer ${byFqdn.uuid}`);
    if (reasons.length > 0) errors.push({ line: row.line, reasons });
    progressAt(onProgress, 'checking', index, rows.length);
  }
  return errors;
}

/**
 * Empty optional columns leave the stored value alone on re-import (a MAC or password once
 * imported is not erased by a file that omits it).
 */
export function importComputers(store: SiteStoreView, rows: ImportRow[], actor: string, onProgress?: ImportProgress): Promise<ImportSummary> {
  return store.transaction(async (tx) => {
    const errors = await conflicts(tx, rows, onProgress);
    if (errors.length > 0) throw new ImportRejectedError(errors);
    const existing = [];
    for (const row of rows) existing.push(await tx.computers.findByUuid(row.uuid));
    // Names may move between computers of the same file (a swap); park the old names first
    // so the unique indexes never see two owners mid-transaction.
    for (const computer of existing) {
      if (computer) await tx.computers.updateIdentity(computer.id, { netbiosName: `#${computer.id}`, fqdn: `#${computer.id}` });
    }
    const summary: ImportSummary = { imported: 0, updated: 0 };
    for (const [index, row] of rows.entries()) {
      const found = existing[index];
      const computer = found
        ? await tx.computers.updateIdentity(found.id, { netbiosName: row.netbiosName, fqdn: row.fqdn, mac: row.mac ?? found.mac })
        : await tx.computers.add({ uuid: row.uuid, netbiosName: row.netbiosName, fqdn: row.fqdn, mac: row.mac });
      if (row.mebxPassword !== null) await tx.computers.setSecret(computer.id, 'mebx-password', row.mebxPassword);
      if (row.adminPassword !== null) await tx.computers.setSecret(computer.id, 'imported-admin-password', row.adminPassword);
      summary[found ? 'updated' : 'imported']++;
      await tx.audit.recordAudit({
        actor,
        action: 'computer.import',
        computerUuid: computer.uuid,
        outcome: 'success',
        detail: {
          result: found ? 'updated' : 'imported',
          line: row.line,
          netbiosName: computer.netbiosName,
          fqdn: computer.fqdn,
          // Whether the file carried them; the values themselves went to the vault.
          suppliedMebx: row.mebxPassword !== null,
          suppliedAdmin: row.adminPassword !== null,
        },
      });
      progressAt(onProgress, 'writing', index, rows.length);
    }
    return summary;
  });
}
