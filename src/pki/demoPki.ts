// A self-contained demo PKI for `npm start --demo` and the tests: a root CA, an AMT
// provisioning certificate (EKU serverAuth + Intel's provisioning OID, CN
// provisionserver.<domain>) issued by the root, and an issuing CA for device TLS
// certificates. All RSA 2048: AMT refuses CA keys above 2048 bits (docs/amt-protocol.md 3.5).
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import forge from 'node-forge';
import { AMT_PROVISIONING_EKU_OID } from '../contract/oids';
import { checkFqdn } from '../site/identifiers';
import { writePkcs12 } from './pkcs12';
import { addDays, caExtensions, generateRsaKeyPair, signCertificate, type RsaKeyPair } from './x509';

export interface CertAndKey {
  certPem: string;
  /** PKCS#8 PEM. */
  keyPem: string;
}

export interface DemoPki {
  domain: string;
  root: CertAndKey;
  /** chainPem: leaf, root. */
  provisioning: CertAndKey & { chainPem: string[] };
  /** chainPem: the issuing CA's parents (the root). */
  issuingCa: CertAndKey & { chainPem: string[] };
}

export interface DemoPkiOptions {
  domain?: string;
  now?: Date;
  /** Pre-made keys, so tests can reuse them across runs. */
  keys?: { root?: RsaKeyPair; provisioning?: RsaKeyPair; issuingCa?: RsaKeyPair };
}

const ORGANIZATION = { name: 'organizationName', value: 'amt-provisioner demo' };

export function createDemoPki(options: DemoPkiOptions = {}): DemoPki {
  const domain = checkFqdn(options.domain ?? 'amt.test');
  if (!domain.ok) throw new Error(`demo PKI domain: ${domain.reason}`);
  const now = options.now ?? new Date();
  const notBefore = new Date(now.getTime() - 60 * 60_000);
  const rootKeys = options.keys?.root ?? generateRsaKeyPair();
  const provisioningKeys = options.keys?.provisioning ?? generateRsaKeyPair();
  const issuingKeys = options.keys?.issuingCa ?? generateRsaKeyPair();

  const root = signCertificate({
    subject: [{ name: 'commonName', value: `AMT Demo Root CA (${domain.value})` }, ORGANIZATION],
    publicKey: rootKeys.publicKey,
    notBefore,
    notAfter: addDays(now, 3650),
    extensions: caExtensions(),
  }, { privateKey: rootKeys.privateKey });
  const rootSigner = { cert: root, privateKey: rootKeys.privateKey };

  const serverName = `provisionserver.${domain.value}`;
  const provisioning = signCertificate({
    subject: [{ name: 'commonName', value: serverName }, ORGANIZATION],
    publicKey: provisioningKeys.publicKey,
    notBefore,
    notAfter: addDays(now, 730),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true, [AMT_PROVISIONING_EKU_OID]: true },
      { name: 'subjectAltName', altNames: [{ type: 2, value: serverName }] },
    ],
  }, rootSigner);

  const issuingCa = signCertificate({
    subject: [{ name: 'commonName', value: `AMT Demo Device Issuing CA (${domain.value})` }, ORGANIZATION],
    publicKey: issuingKeys.publicKey,
    notBefore,
    notAfter: addDays(now, 1825),
    extensions: caExtensions(0),
  }, rootSigner);

  const rootPem = forge.pki.certificateToPem(root);
  const provisioningPem = forge.pki.certificateToPem(provisioning);
  return {
    domain: domain.value,
    root: { certPem: rootPem, keyPem: rootKeys.privateKeyPem },
    provisioning: { certPem: provisioningPem, keyPem: provisioningKeys.privateKeyPem, chainPem: [provisioningPem, rootPem] },
    issuingCa: { certPem: forge.pki.certificateToPem(issuingCa), keyPem: issuingKeys.privateKeyPem, chainPem: [rootPem] },
  };
}

export const DEMO_PKI_FILES = {
  rootCert: 'root-ca.cert.pem',
  rootKey: 'root-ca.key.pem',
  provisioningCert: 'provisioning.cert.pem',
  provisioningChain: 'provisioning.chain.pem',
  provisioningKey: 'provisioning.key.pem',
  provisioningPfx: 'provisioning.pfx',
  provisioningPfxPassphrase: 'provisioning.pfx.passphrase',
  issuingCaCert: 'issuing-ca.cert.pem',
  issuingCaKey: 'issuing-ca.key.pem',
} as const;

function demoPkiPaths(dir: string): Record<keyof typeof DEMO_PKI_FILES, string> {
  return Object.fromEntries(Object.entries(DEMO_PKI_FILES).map(([k, name]) => [k, path.join(dir, name)])) as
    Record<keyof typeof DEMO_PKI_FILES, string>;
}

/** Demo PKI files already in `dir` (checked before spending time on key generation). */
export function existingDemoPkiFiles(dir: string): string[] {
  return Object.values(demoPkiPaths(dir)).filter((file) => existsSync(file));
}

/**
 * Writes the demo PKI as PEM files plus a passphrase-protected PFX of the provisioning
 * certificate; keys and the passphrase are 0600. Refuses to overwrite unless `force`.
 */
export function writeDemoPki(pki: DemoPki, dir: string, options: { force?: boolean } = {}): Record<keyof typeof DEMO_PKI_FILES, string> {
  const paths = demoPkiPaths(dir);
  const existing = existingDemoPkiFiles(dir);
  if (existing.length > 0 && !options.force) throw new Error(overwriteRefusal(dir, existing));
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const passphrase = randomBytes(18).toString('base64url');
  const write = (file: string, data: string | Buffer, secret: boolean) => {
    writeFileSync(file, data, { mode: secret ? 0o600 : 0o644 });
    chmodSync(file, secret ? 0o600 : 0o644); // an overwritten file keeps its old mode otherwise
  };
  write(paths.rootCert, pki.root.certPem, false);
  write(paths.rootKey, pki.root.keyPem, true);
  write(paths.provisioningCert, pki.provisioning.certPem, false);
  write(paths.provisioningChain, pki.provisioning.chainPem.join(''), false);
  write(paths.provisioningKey, pki.provisioning.keyPem, true);
  write(paths.provisioningPfxPassphrase, `${passphrase}\n`, true);
  write(paths.provisioningPfx, writePkcs12(pki.provisioning.chainPem, pki.provisioning.keyPem, passphrase, 'AMT provisioning (demo)'), true);
  write(paths.issuingCaCert, pki.issuingCa.certPem, false);
  write(paths.issuingCaKey, pki.issuingCa.keyPem, true);
  return paths;
}

export function overwriteRefusal(dir: string, existing: string[]): string {
  return `${existing.length} demo PKI file(s) already exist in ${dir} (e.g. ${path.basename(existing[0])}); pass --force to replace them`;
}
