// Test PKI for the emulator's TLS tests, made at test time with node-forge: roots,
// intermediates and provisioning leaves with exactly the defect a test wants. RSA keys come
// from Node's generator (forge's pure-JS keygen is slow) and are cached per process.
import crypto from 'node:crypto';
import forge from 'node-forge';

export interface TestCert {
  pem: string;
  keyPem: string;
  cert: forge.pki.Certificate;
  der: Buffer;
}

const keyCache = new Map<string, { privateKeyPem: string }>();

/** A cached RSA key by name, so each role in a chain has its own key. */
export function testKey(name: string, bits = 2048): string {
  const cacheKey = `${name}/${bits}`;
  let entry = keyCache.get(cacheKey);
  if (!entry) {
    const { privateKey } = crypto.generateKeyPairSync('rsa', {
      modulusLength: bits,
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    entry = { privateKeyPem: privateKey };
    keyCache.set(cacheKey, entry);
  }
  return entry.privateKeyPem;
}

let serial = 1;

interface CertOptions {
  subject: { shortName: string; value: string }[];
  keyPem: string;
  issuer?: TestCert;
  isCa: boolean;
  notBefore?: Date;
  notAfter?: Date;
  extKeyUsage?: Record<string, boolean>;
  sanDns?: string[];
}

function issue(options: CertOptions): TestCert {
  const privateKey = forge.pki.privateKeyFromPem(options.keyPem);
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.setRsaPublicKey(privateKey.n, privateKey.e);
  serial += 1;
  cert.serialNumber = serial.toString(16).padStart(4, '0');
  cert.validity.notBefore = options.notBefore ?? new Date(Date.now() - 24 * 3600_000);
  cert.validity.notAfter = options.notAfter ?? new Date(Date.now() + 365 * 24 * 3600_000);
  cert.setSubject(options.subject);
  cert.setIssuer(options.issuer ? options.issuer.cert.subject.attributes : options.subject);
  const extensions: object[] = [
    { name: 'basicConstraints', cA: options.isCa, critical: true },
    options.isCa ? { name: 'keyUsage', keyCertSign: true, cRLSign: true } : { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
    { name: 'subjectKeyIdentifier' },
  ];
  if (options.extKeyUsage) extensions.push({ name: 'extKeyUsage', ...options.extKeyUsage });
  if (options.sanDns) extensions.push({ name: 'subjectAltName', altNames: options.sanDns.map((value) => ({ type: 2, value })) });
  cert.setExtensions(extensions);
  const signer = forge.pki.privateKeyFromPem(options.issuer ? options.issuer.keyPem : options.keyPem);
  cert.sign(signer, forge.md.sha256.create());
  const pem = forge.pki.certificateToPem(cert);
  return { pem, keyPem: options.keyPem, cert, der: Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(cert)).getBytes(), 'binary') };
}

export function makeRoot(cn: string, keyName = `root:${cn}`, bits = 2048): TestCert {
  return issue({ subject: [{ shortName: 'CN', value: cn }], keyPem: testKey(keyName, bits), isCa: true });
}

export function makeIntermediate(cn: string, issuer: TestCert, keyName = `int:${cn}`, bits = 2048): TestCert {
  return issue({ subject: [{ shortName: 'CN', value: cn }], keyPem: testKey(keyName, bits), issuer, isCa: true });
}

export const AMT_OID = '2.16.840.1.113741.1.2.3';

export interface LeafOptions {
  cn: string;
  issuer: TestCert;
  /** 'oid' = serverAuth + AMT OID (default), 'ou' = OU marker only, 'none' = serverAuth alone. */
  marker?: 'oid' | 'ou' | 'none';
  ou?: string;
  sanDns?: string[];
  notBefore?: Date;
  notAfter?: Date;
}

export function makeProvisioningLeaf(options: LeafOptions): TestCert {
  const marker = options.marker ?? 'oid';
  const subject = [{ shortName: 'CN', value: options.cn }];
  if (marker === 'ou' || options.ou) subject.push({ shortName: 'OU', value: options.ou ?? 'Intel(R) Client Setup Certificate' });
  return issue({
    subject,
    keyPem: testKey(`leaf:${options.cn}`),
    issuer: options.issuer,
    isCa: false,
    extKeyUsage: marker === 'oid' ? { serverAuth: true, [AMT_OID]: true } : { serverAuth: true },
    ...(options.sanDns ? { sanDns: options.sanDns } : {}),
    ...(options.notBefore ? { notBefore: options.notBefore } : {}),
    ...(options.notAfter ? { notAfter: options.notAfter } : {}),
  });
}

/** SHA-256 hex of a certificate's DER (what `--trust-root` puts in the device). */
export function sha256Hex(cert: TestCert): string {
  return crypto.createHash('sha256').update(cert.der).digest('hex');
}

/** A valid provisioning chain for `suffix` (root -> issuing CA -> leaf) and the device trust entry for its root. */
export function validProvisioningChain(suffix: string): {
  keyPem: string;
  chainPems: string[];
  trustedRootHashes: { algorithm: 'sha256'; hash: string; active: boolean; name: string }[];
} {
  const root = makeRoot(`Provisioning Root for ${suffix}`);
  const ca = makeIntermediate(`Issuing CA for ${suffix}`, root);
  const leaf = makeProvisioningLeaf({ cn: `provisionserver.${suffix}`, issuer: ca });
  return {
    keyPem: leaf.keyPem,
    chainPems: [leaf.pem, ca.pem, root.pem],
    trustedRootHashes: [{ algorithm: 'sha256', hash: sha256Hex(root), active: true, name: 'test provisioning root' }],
  };
}
