// `amtprov certs add <pfx>` checks a provisioning certificate (PKCS#12) against the rules an
// AMT device applies (docs/amt-protocol.md section 3) and names each rule it fails; when it
// passes, the chain, root hashes and DNS suffix are stored and the key goes to the vault, and
// it prints which firmware generations the chain can provision (docs/amt-protocol.md section 10).
// `amtprov certs list` shows what is registered.
import { readFileSync } from 'node:fs';
import { firmwareGenerationVerdicts } from '../amt/certRules';
import { splitPkcs12 } from '../amt/pkcs12';
import { registerProvisioningCertificate } from '../pki/register';
import type { ProvisioningCertificate } from '../site/certificates';
import { DB_OPTION, EXIT, operatorActor, parseCli, processIo, withStore, type CliIo } from './support';

const USAGE = `usage: amtprov certs add <file.pfx> [--passphrase-file <file>] [--db <site.sqlite>]
       amtprov certs list [--json] [--db <site.sqlite>]`;

export function describeProvisioningCertificate(cert: ProvisioningCertificate): string[] {
  return [
    `#${cert.id} ${cert.subjectCn} (DNS suffix ${cert.dnsSuffix}), expires ${cert.notAfter}, chain of ${cert.chainPem.length}`,
    `    root SHA-1   ${cert.rootHashes.sha1}`,
    `    root SHA-256 ${cert.rootHashes.sha256}`,
    `    root SHA-384 ${cert.rootHashes.sha384}`,
    ...firmwareGenerationVerdicts(cert.chainPem).map(({ label, failures }) =>
      `    ${label}: ${failures.length === 0 ? 'yes' : `no (${failures.map((f) => f.message).join('; ')})`}`),
  ];
}

function readPassphrase(file: string | undefined): string {
  // One trailing newline is the editor's, not the passphrase's.
  return file === undefined ? '' : readFileSync(file, 'utf8').replace(/\r?\n$/, '');
}

async function addCommand(file: string, passphraseFile: string | undefined, db: string | undefined, io: CliIo): Promise<number> {
  let credential;
  try {
    credential = splitPkcs12(readFileSync(file), readPassphrase(passphraseFile));
  } catch (err) {
    io.err(`${file}: ${(err as Error).message}`);
    return EXIT.refused;
  }
  return withStore(db, async (store) => {
    const result = await registerProvisioningCertificate(store, { chainPem: credential.chainPem, keyPem: credential.privateKeyPem }, operatorActor());
    if (!result.ok) {
      for (const failure of result.failures) io.err(`rule ${failure.rule}: ${failure.message}`);
      io.err(`${file} was not registered`);
      return EXIT.refused;
    }
    io.out(result.added ? 'registered provisioning certificate' : 'already registered, unchanged');
    describeProvisioningCertificate(result.certificate).forEach((line) => io.out(line));
    return EXIT.ok;
  });
}

async function certsCommand(argv: string[], io: CliIo): Promise<number> {
  const args = parseCli(argv, { ...DB_OPTION, 'passphrase-file': { type: 'string' }, json: { type: 'boolean' } }, io, USAGE);
  if (typeof args === 'number') return args;
  const [sub, ...rest] = args.positionals;
  if (sub === 'add' && rest.length === 1) return addCommand(rest[0], args.values['passphrase-file'], args.values.db, io);
  if (sub === 'list' && rest.length === 0) {
    return withStore(args.values.db, async (store) => {
      const certs = await store.provisioningCertificates.list();
      if (args.values.json) io.out(JSON.stringify(certs.map(({ keyRef: _keyRef, ...cert }) => cert), null, 2));
      else if (certs.length === 0) io.out('no provisioning certificates registered');
      else certs.forEach((cert) => describeProvisioningCertificate(cert).forEach((line) => io.out(line)));
      return EXIT.ok;
    });
  }
  io.err(USAGE);
  return EXIT.usage;
}

export function runCertsCommand(argv: string[], io: CliIo = processIo): Promise<number> {
  return Promise.resolve().then(() => certsCommand(argv, io));
}
