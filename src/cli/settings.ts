// `amtprov settings show` prints the site's settings with every secret redacted, plus the
// registered certificates; `amtprov settings apply <file.yaml>` validates a settings file
// (errors name the key), loads its secrets from `passwordFile:` / `passwordEnv:` into the
// vault and replaces the settings in one transaction.
import YAML from 'yaml';
import { DB_OPTION, EXIT, operatorActor, parseCli, processIo, withStore, type CliIo } from './support';
import { redactSecrets } from '../site/settings';
import { loadSettingsFile } from '../site/settingsFile';
import type { SiteStore } from '../site/store';

const USAGE = `usage: amtprov settings show [--json] [--db <site.sqlite>]
       amtprov settings apply <file.yaml> [--db <site.sqlite>]

Secrets in the YAML are never inline: write { passwordFile: <path> } (relative to the YAML
file) or { passwordEnv: <VARIABLE> }.

802.1X (amt.wired8021x, and amt.wireless[].ieee8021x with authentication WPA-/WPA2-IEEE8021x):
  protocol                EAP-TLS, EAP-FAST/TLS, EAP-TTLS/MSCHAPv2, PEAPv0/EAP-MSCHAPv2, EAP-FAST/MSCHAPv2
  username                the identity the device gives RADIUS
  password                MSCHAPv2 methods only (a secret, as above)
  radiusRootCertificate   { pemFile: <path> }: the root CA of the RADIUS server's certificate,
                          self-signed, stored in the site store as PEM (not a secret); needed for
                          EAP-TLS / EAP-FAST/TLS and for every wireless 802.1X profile
  clientCertificate       site-ca-per-device: EAP-TLS / EAP-FAST/TLS only; the device generates a
                          key, the site's issuing CA certifies it (clientAuth, CN = device FQDN)
  domain, serverCertificateName, serverCertificateNameComparison (FullName | DomainSuffix)
Example:
  amt:
    wired8021x: { protocol: EAP-TLS, username: amt-wired, clientCertificate: site-ca-per-device,
                  radiusRootCertificate: { pemFile: radius-root.pem } }`;

async function siteView(store: SiteStore) {
  const issuingCa = await store.issuingCa.get();
  return {
    settings: redactSecrets(await store.settings.get()),
    provisioningCertificates: (await store.provisioningCertificates.list()).map((c) => ({
      id: c.id, subjectCn: c.subjectCn, dnsSuffix: c.dnsSuffix, notAfter: c.notAfter, rootSha256: c.rootHashes.sha256,
    })),
    issuingCa: issuingCa ? { subject: issuingCa.subject, notAfter: issuingCa.notAfter } : null,
  };
}

async function applyCommand(file: string, db: string | undefined, io: CliIo): Promise<number> {
  let loaded;
  try {
    loaded = loadSettingsFile(file);
  } catch (err) {
    io.err(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    return EXIT.refused;
  }
  if (!loaded.ok) {
    loaded.errors.forEach((error) => io.err(error));
    io.err(`${file}: ${loaded.errors.length} problem(s); settings unchanged`);
    return EXIT.refused;
  }
  const settings = loaded.settings;
  return withStore(db, async (store) => {
    await store.transaction(async (tx) => {
      const applied = await tx.settings.apply(settings);
      await tx.audit.recordAudit({
        actor: operatorActor(),
        action: 'settings.apply',
        outcome: 'success',
        detail: { digestAccounts: applied.digestAccounts.length, directory: applied.directory !== undefined, behaviour: applied.amt.configMgrBehaviour },
      });
    });
    io.out(`settings applied from ${file}`);
    return EXIT.ok;
  });
}

async function settingsCommand(argv: string[], io: CliIo): Promise<number> {
  const args = parseCli(argv, { ...DB_OPTION, json: { type: 'boolean' } }, io, USAGE);
  if (typeof args === 'number') return args;
  const [sub, ...rest] = args.positionals;
  if (sub === 'show' && rest.length === 0) {
    return withStore(args.values.db, async (store) => {
      const view = await siteView(store);
      io.out(args.values.json ? JSON.stringify(view, null, 2) : YAML.stringify(view).trimEnd());
      return EXIT.ok;
    });
  }
  if (sub === 'apply' && rest.length === 1) return applyCommand(rest[0], args.values.db, io);
  io.err(USAGE);
  return EXIT.usage;
}

export function runSettingsCommand(argv: string[], io: CliIo = processIo): Promise<number> {
  return Promise.resolve().then(() => settingsCommand(argv, io));
}
