// `amtprov import <file.csv>`: imports computers from a ConfigMgr "Import Computer for Out
// of Band Management" file. All or nothing: every bad line is reported and nothing is
// written unless the whole file is valid. Re-importing a UUID updates that computer. Large
// files show progress on stderr (a terminal, or --progress); the summary goes to stdout.
import { readFileSync } from 'node:fs';
import { parseConfigMgrImport, type RowError } from '../site/configMgrCsv';
import { DB_OPTION, EXIT, operatorActor, parseCli, processIo, withStore, type CliIo } from './support';
import { importComputers, ImportRejectedError, type ImportProgress } from '../site/importComputers';
import { fleetCounts, formatCounts } from './fleetStatus';

const USAGE = `usage: amtprov import <file.csv> [--dry-run] [--progress] [--db <site.sqlite>]

Rows: <short name>,<FQDN>,<SMBIOS GUID>[,<MAC>[,<MEBx password base64>[,<admin password base64>]]]
  --dry-run   validate the file and report, change nothing
  --progress  report progress on stderr even when it is not a terminal (it is shown on one)
Prints what was imported and updated, then the site store's counts by AMT status and mode.`;

/** Progress on stderr: rewritten in place on a terminal, one line per step otherwise. */
function progressReporter(io: CliIo, asked: boolean): ImportProgress | undefined {
  const tty = io === processIo && process.stderr.isTTY;
  if (!tty && !asked) return undefined;
  const started = Date.now();
  return (phase, done, total) => {
    const text = `${phase}: ${done}/${total} rows (${Math.floor((done * 100) / total)}%, ${((Date.now() - started) / 1000).toFixed(1)} s)`;
    if (tty) process.stderr.write(`\r${text}${done === total ? '\n' : ''}`);
    else io.err(text);
  };
}

function reportErrors(errors: RowError[], io: CliIo): void {
  for (const { line, reasons } of errors) for (const reason of reasons) io.err(`line ${line}: ${reason}`);
  io.err(`${errors.length} bad line(s); nothing imported`);
}

export function runImportCommand(argv: string[], io: CliIo = processIo): Promise<number> {
  return Promise.resolve().then(() => importCommand(argv, io));
}

async function importCommand(argv: string[], io: CliIo): Promise<number> {
  const args = parseCli(argv, { ...DB_OPTION, 'dry-run': { type: 'boolean' }, progress: { type: 'boolean' } }, io, USAGE);
  if (typeof args === 'number') return args;
  if (args.positionals.length !== 1) { io.err(USAGE); return EXIT.usage; }
  const [file] = args.positionals as [string];

  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    io.err(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    return EXIT.refused;
  }
  const parsed = parseConfigMgrImport(text);
  if (parsed.errors.length > 0) { reportErrors(parsed.errors, io); return EXIT.refused; }
  if (parsed.rows.length === 0) { io.err(`${file} has no computer rows; nothing imported`); return EXIT.refused; }
  if (parsed.headerLine !== null) io.out(`line ${parsed.headerLine}: header, skipped`);
  if (args.values['dry-run']) { io.out(`${parsed.rows.length} valid row(s); dry run, nothing imported`); return EXIT.ok; }

  return withStore(args.values.db, async (store) => {
    try {
      const summary = await importComputers(store, parsed.rows, operatorActor(), progressReporter(io, args.values.progress ?? false));
      const counts = fleetCounts(await store.computers.list());
      io.out(`imported ${summary.imported}, updated ${summary.updated}`);
      io.out(`site store: ${counts.total} computers`);
      for (const line of formatCounts(counts)) io.out(line);
      return EXIT.ok;
    } catch (err) {
      if (!(err instanceof ImportRejectedError)) throw err;
      reportErrors(err.errors, io);
      return EXIT.refused;
    }
  });
}
