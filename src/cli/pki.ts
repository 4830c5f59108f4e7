// `amtprov pki demo`: makes the demo PKI (root CA, AMT provisioning certificate for
// provisionserver.<domain>, issuing CA for device TLS certificates), writes it as PEM and
// PFX files (keys 0600) and registers the provisioning certificate and issuing CA in the
// site store. The printed root hashes are what an (emulated) device must trust.
import path from 'node:path';
import { rootHashes } from '../amt/certRules';
import { createDemoPki, existingDemoPkiFiles, overwriteRefusal, writeDemoPki } from '../pki/demoPki';
import { registerDemoPki } from '../pki/register';
import { pemToDer } from '../pki/x509';
import { DB_OPTION, EXIT, operatorActor, parseCli, processIo, withStore, type CliIo } from './support';
import { dataDir } from '../config/paths';

const USAGE = `usage: amtprov pki demo [--domain amt.test] [--out <dir>] [--force] [--no-register] [--db <site.sqlite>]

  --domain       DNS domain of the demo (provisioning certificate CN provisionserver.<domain>)
  --out          where to write the files (default <data dir>/pki/demo)
  --force        replace existing files in --out
  --no-register  only write the files; leave the site store alone`;

async function demoCommand(values: { domain?: string; out?: string; force?: boolean; 'no-register'?: boolean; db?: string }, io: CliIo): Promise<number> {
  const dir = path.resolve(values.out ?? path.join(dataDir(), 'pki', 'demo'));
  const existing = existingDemoPkiFiles(dir);
  if (existing.length > 0 && !values.force) {
    io.err(overwriteRefusal(dir, existing));
    return EXIT.refused;
  }
  const pki = createDemoPki({ domain: values.domain ?? 'amt.test' });
  const files = writeDemoPki(pki, dir, { force: true });
  io.out(`demo PKI for ${pki.domain} written to ${dir}`);
  for (const file of Object.values(files)) io.out(`  ${path.basename(file)}`);
  const hashes = rootHashes(pemToDer(pki.root.certPem));
  io.out(`root CA hashes (devices must trust one):\n  SHA-1   ${hashes.sha1}\n  SHA-256 ${hashes.sha256}\n  SHA-384 ${hashes.sha384}`);
  if (values['no-register']) return EXIT.ok;
  return withStore(values.db, async (store) => {
    const { provisioning, issuingCa } = await registerDemoPki(store, pki, operatorActor());
    io.out(`registered provisioning certificate #${provisioning.id} (${provisioning.subjectCn}) and issuing CA "${issuingCa.subject}"`);
    return EXIT.ok;
  });
}

async function pkiCommand(argv: string[], io: CliIo): Promise<number> {
  const args = parseCli(argv, {
    ...DB_OPTION,
    domain: { type: 'string' },
    out: { type: 'string' },
    force: { type: 'boolean' },
    'no-register': { type: 'boolean' },
  }, io, USAGE);
  if (typeof args === 'number') return args;
  if (args.positionals.length !== 1 || args.positionals[0] !== 'demo') { io.err(USAGE); return EXIT.usage; }
  try {
    return demoCommand(args.values, io);
  } catch (err) {
    io.err(`pki demo: ${(err as Error).message}`);
    return EXIT.refused;
  }
}

export function runPkiCommand(argv: string[], io: CliIo = processIo): Promise<number> {
  return Promise.resolve().then(() => pkiCommand(argv, io));
}
