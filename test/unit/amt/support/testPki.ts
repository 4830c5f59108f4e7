// Test-time PKI for the amt tests: RSA keys from Node's native keygen (cached per bits per
// process), certificates signed with node-forge. Nothing here is ever written to git.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import forge from 'node-forge';
import { AMT_PROVISIONING_EKU_OID } from '../../../../src/contract/oids';

export interface TestCert { cert: forge.pki.Certificate; key: forge.pki.rsa.PrivateKey; certPem: string; keyPem: string }

const keyCache = new Map<string, forge.pki.rsa.PrivateKey>();

/** A cached RSA key; `slot` gives distinct keys of the same size. */
export function rsaKey(bits = 2048, slot = 0): forge.pki.rsa.PrivateKey {
  const cacheKey = `${bits}/${slot}`;
  let key = keyCache.get(cacheKey);
  if (!key) {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: bits, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
    key = forge.pki.privateKeyFromPem(privateKey);
    keyCache.set(cacheKey, key);
  }
  return key;
}

export interface IssueOptions {
  cn: string;
  ou?: string;
  issuer?: TestCert;
  key?: forge.pki.rsa.PrivateKey;
  ca?: boolean;
  /** Extended key usages: names forge knows (serverAuth) or dotted OIDs. Omitted = no extension. */
  eku?: string[];
  san?: string[];
  notBefore?: Date;
  notAfter?: Date;
  /** Signature hash; SHA-256 unless a test needs an old SHA-1 certificate. */
  digest?: 'sha1' | 'sha256';
}

export function issue(options: IssueOptions): TestCert {
  const key = options.key ?? rsaKey();
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.setRsaPublicKey(key.n, key.e);
  cert.serialNumber = '01' + randomBytes(8).toString('hex');
  const now = Date.now();
  cert.validity.notBefore = options.notBefore ?? new Date(now - 60 * 60 * 1000);
  cert.validity.notAfter = options.notAfter ?? new Date(now + 365 * 24 * 60 * 60 * 1000);
  const subject: forge.pki.CertificateField[] = [{ shortName: 'CN', value: options.cn }];
  if (options.ou !== undefined) subject.push({ shortName: 'OU', value: options.ou });
  cert.setSubject(subject);
  cert.setIssuer(options.issuer ? options.issuer.cert.subject.attributes : subject);
  const extensions: object[] = [{ name: 'basicConstraints', cA: options.ca ?? false, critical: true }];
  if (options.ca) extensions.push({ name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true });
  if (options.eku) extensions.push({ name: 'extKeyUsage', ...Object.fromEntries(options.eku.map((usage) => [usage, true])) });
  if (options.san) extensions.push({ name: 'subjectAltName', altNames: options.san.map((value) => ({ type: 2, value })) });
  extensions.push({ name: 'subjectKeyIdentifier' });
  cert.setExtensions(extensions);
  cert.sign(options.issuer?.key ?? key, forge.md[options.digest ?? 'sha256'].create());
  return { cert, key, certPem: forge.pki.certificateToPem(cert), keyPem: forge.pki.privateKeyToPem(key) };
}

export function certDer(cert: forge.pki.Certificate): Buffer {
  return Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(cert)).getBytes(), 'binary');
}

export interface ProvisioningPki { root: TestCert; intermediate: TestCert; leaf: TestCert; chainPem: string[] }

let cas: { root: TestCert; intermediate: TestCert } | undefined;

/**
 * Root -> intermediate -> leaf "prov.<domain>" with serverAuth + the AMT provisioning OID.
 * Root and intermediate are made once per process, so every chain shares one trusted root.
 */
export function provisioningPki(domain = 'amt.test', leafOptions: Partial<IssueOptions> = {}): ProvisioningPki {
  if (!cas) {
    const root = issue({ cn: 'Test Root CA', ca: true, key: rsaKey(2048, 1) });
    cas = { root, intermediate: issue({ cn: 'Test Issuing CA', ca: true, issuer: root, key: rsaKey(2048, 2) }) };
  }
  const { root, intermediate } = cas;
  const leaf = issue({ cn: `prov.${domain}`, issuer: intermediate, eku: ['serverAuth', AMT_PROVISIONING_EKU_OID], key: rsaKey(2048, 3), ...leafOptions });
  return { root, intermediate, leaf, chainPem: [leaf.certPem, intermediate.certPem, root.certPem] };
}
