// Server-side check of a provisioning certificate chain against the rules an AMT device
// enforces in the TLS handshake (docs/amt-protocol.md section 3), so an operator sees
// "root hash not trusted by this device" instead of a TLS alert.
import { createHash } from 'node:crypto';
import forge from 'node-forge';
import { firmwareMajor } from '../contract/firmwareFamilies';
import { cryptoGenerationOf, describeGeneration, FIRMWARE_CRYPTO_GENERATIONS, type FirmwareCryptoGeneration } from '../contract/firmwareCrypto';
import { AMT_PROVISIONING_EKU_OID, AMT_PROVISIONING_OU } from '../contract/oids';

export type CertRuleId = 'eku-or-ou' | 'chain' | 'root-trusted' | 'domain-suffix' | 'validity' | 'ca-key-size' | 'key-size' | 'sha1-signature';
export interface CertRuleFailure { rule: CertRuleId; message: string }
export interface RootHashes { sha1: string; sha256: string; sha384: string } // lowercase hex of the root's DER

export interface ProvisioningChainOptions {
  /** Root hashes the device trusts (from its Hello), any of SHA-1/256/384, hex in any case. */
  trustedRootHashes?: string[];
  /** The device's DNS suffix (MEBx or DHCP option 15). */
  dnsSuffix?: string;
  /** Validity is checked at this time; defaults to now (validity is always checked). */
  now?: Date;
  /**
   * The device's firmware version: key sizes and signatures are judged by its generation
   * (contract/firmwareCrypto.ts). Omitted: the chain passes when some generation takes it.
   */
  firmwareVersion?: string;
}

/** Whether one firmware generation takes a chain, and why not. */
export interface GenerationVerdict {
  /** "AMT 16-21". */
  label: string;
  generation: FirmwareCryptoGeneration;
  failures: CertRuleFailure[];
}

export function rootHashes(rootDer: Buffer): RootHashes {
  const hex = (algorithm: string) => createHash(algorithm).update(rootDer).digest('hex');
  return { sha1: hex('sha1'), sha256: hex('sha256'), sha384: hex('sha384') };
}

/** chainPem: leaf first, root last. Options omitted = rule not checked. Returns [] when valid. */
export function checkProvisioningChain(chainPem: string[], opts: ProvisioningChainOptions = {}): CertRuleFailure[] {
  if (chainPem.length === 0) return [{ rule: 'chain', message: 'the chain is empty' }];
  const chain: forge.pki.Certificate[] = [];
  for (const [index, pem] of chainPem.entries()) {
    try {
      chain.push(forge.pki.certificateFromPem(pem));
    } catch (error) {
      // forge reads RSA certificates only; AMT provisioning chains are RSA.
      return [{ rule: 'chain', message: `certificate ${index + 1} (${position(index, chainPem.length)}) does not parse as an RSA X.509 certificate: ${(error as Error).message}` }];
    }
  }
  const failures: CertRuleFailure[] = [];
  const add = (rule: CertRuleId, message: string | undefined) => {
    if (message !== undefined) failures.push({ rule, message });
  };
  add('eku-or-ou', checkEkuOrOu(chain[0]));
  add('chain', checkChainLinks(chain));
  if (opts.trustedRootHashes !== undefined) add('root-trusted', checkRootTrusted(chain[chain.length - 1], opts.trustedRootHashes));
  if (opts.dnsSuffix !== undefined) add('domain-suffix', checkDomainSuffix(chain[0], opts.dnsSuffix));
  add('validity', checkValidity(chain, opts.now ?? new Date()));
  failures.push(...generationFailures(chain, opts.firmwareVersion));
  return failures;
}

/** The verdict of every firmware generation on a chain (leaf first) that parses. */
export function firmwareGenerationVerdicts(chainPem: string[]): GenerationVerdict[] {
  const chain = chainPem.map((pem) => forge.pki.certificateFromPem(pem));
  return FIRMWARE_CRYPTO_GENERATIONS.map((generation) => verdictOf(chain, generation));
}

function generationFailures(chain: forge.pki.Certificate[], firmwareVersion: string | undefined): CertRuleFailure[] {
  if (firmwareVersion !== undefined) {
    const verdict = verdictOf(chain, cryptoGenerationOf(firmwareMajor(firmwareVersion)));
    return verdict.failures.map((f) => ({ rule: f.rule, message: `${verdict.label} (this device runs ${firmwareVersion}): ${f.message}` }));
  }
  const verdicts = FIRMWARE_CRYPTO_GENERATIONS.map((generation) => verdictOf(chain, generation));
  if (verdicts.some((verdict) => verdict.failures.length === 0)) return [];
  const closest = verdicts.reduce((best, verdict) => (verdict.failures.length < best.failures.length ? verdict : best));
  return closest.failures.map((f) => ({ rule: f.rule, message: `no AMT generation takes this chain; ${closest.label}: ${f.message}` }));
}

const SHA1_SIGNATURE_OIDS = new Set([forge.pki.oids.sha1WithRSAEncryption, forge.pki.oids.sha1WithRSASignature]);

function rsaBits(cert: forge.pki.Certificate): number {
  return (cert.publicKey as forge.pki.rsa.PublicKey).n.bitLength();
}

/**
 * Key sizes and signature hashes against one generation's limits: CA keys (every certificate
 * above the leaf, or a lone self-signed leaf) at most maxCaRsaKeyBits, every key at least
 * minRsaKeyBits and the leaf's at least minLeafRsaKeyBits, no SHA-1 signature where refused.
 */
function verdictOf(chain: forge.pki.Certificate[], generation: FirmwareCryptoGeneration): GenerationVerdict {
  const problems = new Map<CertRuleId, string[]>();
  const note = (rule: CertRuleId, message: string) => problems.set(rule, [...(problems.get(rule) ?? []), message]);
  const cas = chain.length === 1 ? chain : chain.slice(1);
  for (const ca of cas) {
    const bits = rsaBits(ca);
    if (bits > generation.maxCaRsaKeyBits) note('ca-key-size', `CA ${describeCert(ca)} has a ${bits}-bit RSA key, at most ${generation.maxCaRsaKeyBits} accepted`);
  }
  chain.forEach((cert, index) => {
    const bits = rsaBits(cert);
    const floor = index === 0 ? Math.max(generation.minRsaKeyBits, generation.minLeafRsaKeyBits) : generation.minRsaKeyBits;
    if (bits < floor) note('key-size', `${index === 0 ? 'leaf' : 'CA'} ${describeCert(cert)} has a ${bits}-bit RSA key, at least ${floor} needed`);
    if (!generation.sha1SignaturesAccepted && SHA1_SIGNATURE_OIDS.has(cert.signatureOid ?? '')) {
      note('sha1-signature', `${describeCert(cert)} is signed with SHA-1, which is refused`);
    }
  });
  return {
    label: describeGeneration(generation),
    generation,
    failures: [...problems].map(([rule, messages]) => ({ rule, message: messages.join('; ') })),
  };
}

function position(index: number, length: number): string {
  if (index === 0) return 'leaf';
  return index === length - 1 ? 'root' : 'intermediate';
}

function describeCert(cert: forge.pki.Certificate): string {
  const cn = cert.subject.getField('CN') as { value: string } | null;
  return cn ? `"${cn.value}"` : `serial ${cert.serialNumber}`;
}

function checkEkuOrOu(leaf: forge.pki.Certificate): string | undefined {
  const eku = leaf.getExtension('extKeyUsage') as Record<string, unknown> | null;
  if (eku?.serverAuth === true && eku[AMT_PROVISIONING_EKU_OID] === true) return undefined;
  const ous = leaf.subject.attributes.filter((attribute) => attribute.shortName === 'OU').map((attribute) => String(attribute.value));
  if (ous.includes(AMT_PROVISIONING_OU)) return undefined;
  return `leaf ${describeCert(leaf)} has neither extended key usage serverAuth + ${AMT_PROVISIONING_EKU_OID} nor subject OU "${AMT_PROVISIONING_OU}"`;
}

function checkChainLinks(chain: forge.pki.Certificate[]): string | undefined {
  for (let index = 0; index < chain.length - 1; index++) {
    const child = chain[index];
    const issuer = chain[index + 1];
    if (!child.isIssuer(issuer)) {
      return `certificate ${index + 1} ${describeCert(child)} is not issued by the next one, ${describeCert(issuer)} (incomplete or misordered chain)`;
    }
    if (!verifies(issuer, child)) return `the signature of ${describeCert(child)} does not verify with ${describeCert(issuer)}'s key`;
    const constraints = issuer.getExtension('basicConstraints') as { cA?: boolean } | null;
    if (constraints?.cA !== true) return `${describeCert(issuer)} issues ${describeCert(child)} but is not a CA (basicConstraints cA is not set)`;
  }
  const root = chain[chain.length - 1];
  if (!root.isIssuer(root) || !verifies(root, root)) {
    return `the last certificate ${describeCert(root)} is not a self-signed root (chain does not end at a root)`;
  }
  return undefined;
}

function verifies(issuer: forge.pki.Certificate, child: forge.pki.Certificate): boolean {
  try {
    return issuer.verify(child);
  } catch {
    return false; // unsupported signature algorithm counts as not verified
  }
}

function checkRootTrusted(root: forge.pki.Certificate, trusted: string[]): string | undefined {
  const der = Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(root)).getBytes(), 'binary');
  const hashes = rootHashes(der);
  const wanted = new Set(trusted.map((hash) => hash.toLowerCase()));
  if (wanted.has(hashes.sha1) || wanted.has(hashes.sha256) || wanted.has(hashes.sha384)) return undefined;
  return `root ${describeCert(root)} (SHA-256 ${hashes.sha256}) is not among the ${trusted.length} root hash(es) this device trusts`;
}

/**
 * CN or any SAN DNS name must end with the suffix at a label boundary. A wildcard `*.x.y`
 * is judged by `x.y` (docs/amt-protocol.md section 3); comparison ignores case and a final dot.
 */
function checkDomainSuffix(leaf: forge.pki.Certificate, dnsSuffix: string): string | undefined {
  const suffix = normalizeDnsName(dnsSuffix);
  const names = leafDnsNames(leaf);
  const matches = (name: string) => {
    const base = name.startsWith('*.') ? name.slice(2) : name;
    return base === suffix || base.endsWith(`.${suffix}`);
  };
  if (suffix !== '' && names.some(matches)) return undefined;
  return `leaf names [${names.join(', ')}] do not end with the device's DNS suffix "${dnsSuffix}"`;
}

function leafDnsNames(leaf: forge.pki.Certificate): string[] {
  const names: string[] = [];
  const cn = leaf.subject.getField('CN') as { value: string } | null;
  if (cn) names.push(normalizeDnsName(cn.value));
  const san = leaf.getExtension('subjectAltName') as { altNames?: Array<{ type: number; value: string }> } | null;
  for (const altName of san?.altNames ?? []) {
    if (altName.type === 2) names.push(normalizeDnsName(altName.value)); // 2 = dNSName
  }
  return names;
}

function normalizeDnsName(name: string): string {
  return name.trim().toLowerCase().replace(/\.$/, '');
}

function checkValidity(chain: forge.pki.Certificate[], now: Date): string | undefined {
  const problems = chain.flatMap((cert) => {
    if (now < cert.validity.notBefore) return [`${describeCert(cert)} is not valid before ${cert.validity.notBefore.toISOString()}`];
    if (now > cert.validity.notAfter) return [`${describeCert(cert)} expired ${cert.validity.notAfter.toISOString()}`];
    return [];
  });
  return problems.length > 0 ? problems.join('; ') : undefined;
}
