// `amtprov pki crl`: the issuing CA's CRL of the revoked device certificates (src/pki/crl.ts).
// `amtprov pki demo`: makes the demo PKI (root CA, AMT provisioning certificate for
// provisionserver.<domain>, issuing CA for device TLS certificates), writes it as PEM and
// PFX files (keys 0600) and registers the provisioning certificate and issuing CA in the
// site store. The printed root hashes are what an (emulated) device must trust.
import path from 'node:path';
import { rootHashes } from '../amt/certRules';
import { createDemoPki, existingDemoPkiFiles, overwriteRefusal, writeDemoPki } from '../pki/demoPki';
import { writeFileSync } from 'node:fs';
import { createCrl } from '../pki/crl';
import { registerDemoPki } from '../pki/register';
import { durationSeconds } from '../site/settingsSchema';
import { pemToDer } from '../pki/x509';
import { DB_OPTION, EXIT, operatorActor, parseCli, processIo, withStore, type CliIo } from './support';
import { dataDir } from '../config/paths';

const USAGE = `usage: amtprov pki demo [--domain amt.test] [--out <dir>] [--force] [--no-register] [--db <site store: path or postgres:// URL>]
       amtprov pki crl [--out <file.pem>] [--next-update 7d] [--db <site store: path or postgres:// URL>]

pki crl: the site issuing CA signs a CRL of every revoked device certificate (amtprov
unprovision revokes them) and writes it as PEM to --out (default stdout); publish it where
relying parties fetch it. --next-update: when it is due again (default 7d).

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

async function crlCommand(values: { out?: string; 'next-update'?: string; db?: string }, io: CliIo): Promise<number> {
  const raw = values['next-update'] ?? '7d';
  const next = durationSeconds.safeParse(/^\d+$/.test(raw) ? Number(raw) : raw);
  if (!next.success) {
    io.err(`pki crl: --next-update must be a duration from 1m to 30d, like 90m, 24h or 2d (got "${raw}")`);
    return EXIT.usage;
  }
  return withStore(values.db, async (store) => {
    const now = new Date();
    const revoked = await store.revocations.list();
    // Seconds since 1970 only grow: a later CRL always has the larger number (RFC 5280 5.2.3).
    const crl = createCrl(await store.issuingCa.loadIssuer(), revoked, { crlNumber: Math.floor(now.getTime() / 1000), thisUpdate: now, nextUpdate: new Date(now.getTime() + next.data * 1000) });
    if (values.out) {
      writeFileSync(values.out, crl);
      io.out(`CRL with ${revoked.length} revoked certificate(s) written to ${values.out}`);
    } else {
      io.out(crl.trimEnd());
    }
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
    'next-update': { type: 'string' },
  }, io, USAGE);
  if (typeof args === 'number') return args;
  const sub = args.positionals[0];
  if (args.positionals.length !== 1 || (sub !== 'demo' && sub !== 'crl')) { io.err(USAGE); return EXIT.usage; }
  try {
    return await (sub === 'demo' ? demoCommand(args.values, io) : crlCommand(args.values, io));
  } catch (err) {
    io.err(`pki ${sub}: ${(err as Error).message}`);
    return EXIT.refused;
  }
}

export function runPkiCommand(argv: string[], io: CliIo = processIo): Promise<number> {
  return Promise.resolve().then(() => pkiCommand(argv, io));
}
