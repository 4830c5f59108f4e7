// The device's own check of the provisioning certificate chain a TLS client presented
// (docs/amt-protocol.md section 3, rules 1-5). Written independently of the server's check in
// src/amt/: each side catches the other's misreading. All rules are evaluated; the first
// failure (in the contract's order) is the refusal reason, all of them go in the detail.
import crypto from 'node:crypto';
import { AMT_PROVISIONING_EKU_OID, AMT_PROVISIONING_OU, MAX_CA_RSA_KEY_BITS, SERVER_AUTH_EKU_OID } from '../../contract/oids';
import type { TlsRefusalReason } from '../firmware/counters';
import type { TrustedRootHash } from '../firmware/types';

export interface ChainRuleFailure {
  reason: Exclude<TlsRefusalReason, 'no-client-certificate' | 'tls-disabled' | 'handshake-failed'>;
  detail: string;
}

export interface DeviceTrust {
  trustedRootHashes: readonly TrustedRootHash[];
  dnsSuffix: string;
  /** The device clock. */
  now: Date;
  /** Largest CA RSA key the release accepts (releaseRules.ts maxCaRsaKeyBits); the contract's 2048 when absent. */
  maxCaKeyBits?: number;
}

function subjectOf(cert: crypto.X509Certificate): string {
  return cert.subject.replace(/\n/g, ', ');
}

/** Values of one attribute of the subject (Node's parsed form: string or string[] when repeated). */
function subjectValues(cert: crypto.X509Certificate, key: string): string[] {
  const value = (cert.toLegacyObject().subject as unknown as Record<string, string | string[] | undefined>)[key];
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** SAN dNSName entries. Node quotes entries holding separators, as JSON strings. */
function sanDnsNames(cert: crypto.X509Certificate): string[] {
  const san = cert.subjectAltName;
  if (!san) return [];
  const names: string[] = [];
  for (const match of san.matchAll(/DNS:("(?:[^"\\]|\\.)*"|[^,]*)(?:, |$)/g)) {
    const raw = match[1] ?? '';
    names.push(raw.startsWith('"') ? (JSON.parse(raw) as string) : raw);
  }
  return names;
}

function checkEkuOrOu(leaf: crypto.X509Certificate): string | null {
  const ekus = leaf.keyUsage ?? [];
  if (ekus.includes(SERVER_AUTH_EKU_OID) && ekus.includes(AMT_PROVISIONING_EKU_OID)) return null;
  if (subjectValues(leaf, 'OU').some((ou) => ou === AMT_PROVISIONING_OU)) return null;
  return `leaf ${subjectOf(leaf)} has neither EKU serverAuth + ${AMT_PROVISIONING_EKU_OID} nor OU "${AMT_PROVISIONING_OU}"`;
}

function checkChain(chain: crypto.X509Certificate[]): string | null {
  for (let i = 0; i + 1 < chain.length; i += 1) {
    const child = chain[i];
    const issuer = chain[i + 1];
    if (!child.checkIssued(issuer) || !child.verify(issuer.publicKey)) {
      return `${subjectOf(child)} is not signed by the next certificate ${subjectOf(issuer)}`;
    }
    if (!issuer.ca) return `issuer ${subjectOf(issuer)} is not a CA (basicConstraints)`;
  }
  const root = chain[chain.length - 1];
  if (root.subject !== root.issuer || !root.verify(root.publicKey)) {
    return `chain ends at ${subjectOf(root)}, which is not a self-signed root (issuer ${root.issuer.replace(/\n/g, ', ')} missing)`;
  }
  return null;
}

function checkRootTrusted(root: crypto.X509Certificate, trusted: readonly TrustedRootHash[]): string | null {
  const active = trusted.filter((h) => h.active);
  const hit = active.some((h) => crypto.createHash(h.algorithm).update(root.raw).digest('hex') === h.hash.toLowerCase());
  if (hit) return null;
  const sha256 = crypto.createHash('sha256').update(root.raw).digest('hex');
  return `root ${subjectOf(root)} (sha256 ${sha256}) is not among the device's ${active.length} active trusted root hashes`;
}

function normalizeDnsName(name: string): string {
  return name.trim().toLowerCase().replace(/\.$/, '');
}

/** CN or a SAN dNSName ends with the suffix at a label boundary; `*.x.y` is judged by `x.y`. */
function checkDomainSuffix(leaf: crypto.X509Certificate, dnsSuffix: string): string | null {
  const suffix = normalizeDnsName(dnsSuffix);
  const names = [...subjectValues(leaf, 'CN'), ...sanDnsNames(leaf)].map(normalizeDnsName);
  const matches = (name: string): boolean => {
    const base = name.startsWith('*.') ? name.slice(2) : name;
    return base === suffix || base.endsWith(`.${suffix}`);
  };
  if (suffix !== '' && names.some(matches)) return null;
  return `leaf names [${names.join(', ')}] do not end with the device's DNS suffix "${dnsSuffix}"`;
}

function checkValidity(chain: crypto.X509Certificate[], now: Date): string | null {
  for (const cert of chain) {
    if (now < new Date(cert.validFrom)) return `${subjectOf(cert)} is not valid before ${cert.validFrom}`;
    if (now > new Date(cert.validTo)) return `${subjectOf(cert)} expired ${cert.validTo}`;
  }
  return null;
}

/** CA keys (every certificate above the leaf) must be RSA of at most `maxBits` (2048 before AMT 16); AMT verifies RSA only. */
function checkCaKeySize(chain: crypto.X509Certificate[], maxBits: number): string | null {
  for (const ca of chain.slice(1)) {
    const key = ca.publicKey;
    if (key.asymmetricKeyType !== 'rsa') return `CA ${subjectOf(ca)} has a ${key.asymmetricKeyType ?? 'unknown'} key; RSA only`;
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits > maxBits) return `CA ${subjectOf(ca)} has a ${bits}-bit RSA key (at most ${maxBits})`;
  }
  return null;
}

/** chainDer: leaf first, as the client sent it (linked by issuer). Returns [] when every rule holds. */
export function checkClientChain(chainDer: Buffer[], trust: DeviceTrust): ChainRuleFailure[] {
  if (chainDer.length === 0) return [{ reason: 'chain', detail: 'no certificates' }];
  const chain = chainDer.map((der) => new crypto.X509Certificate(der));
  const leaf = chain[0];
  const root = chain[chain.length - 1];
  const chainProblem = checkChain(chain);
  const checks: [ChainRuleFailure['reason'], string | null][] = [
    ['eku-or-ou', checkEkuOrOu(leaf)],
    ['chain', chainProblem],
    // Rule 3 is about the root of a complete chain; a broken chain has no root to judge.
    ['root-trusted', chainProblem ? null : checkRootTrusted(root, trust.trustedRootHashes)],
    ['domain-suffix', checkDomainSuffix(leaf, trust.dnsSuffix)],
    ['validity', checkValidity(chain, trust.now)],
    ['ca-key-size', checkCaKeySize(chain, trust.maxCaKeyBits ?? MAX_CA_RSA_KEY_BITS)],
  ];
  return checks.filter((c): c is [ChainRuleFailure['reason'], string] => c[1] !== null).map(([reason, detail]) => ({ reason, detail }));
}
