// Provisioning certificates and the demo PKI, with real node-forge certificates, real
// PKCS#12 files and the real CLI: `pki demo` writes and registers, `certs add` accepts the
// demo certificate and names the failing rule of each bad one.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import forge from 'node-forge';
import { runCertsCommand } from '../../../src/cli/certs';
import { runPkiCommand } from '../../../src/cli/pki';
import { runSettingsCommand } from '../../../src/cli/settings';
import { AMT_PROVISIONING_EKU_OID, AMT_PROVISIONING_OU } from '../../../src/contract/oids';
import { DEMO_PKI_FILES } from '../../../src/pki/demoPki';
import { writePkcs12 } from '../../../src/pki/pkcs12';
import { addDays, caExtensions, generateRsaKeyPair, signCertificate, type RsaKeyPair } from '../../../src/pki/x509';
import { captureIo, siteFixture } from './helpers';

const fixture = siteFixture('certs');
void after(() => fixture.cleanup());
const demoDir = path.join(fixture.dir, 'demo');
const PASSPHRASE = 'pfx passphrase';

let keys: { root: RsaKeyPair; intermediate: RsaKeyPair; leaf: RsaKeyPair; bigRoot: RsaKeyPair };
void before(() => {
  keys = { root: generateRsaKeyPair(), intermediate: generateRsaKeyPair(), leaf: generateRsaKeyPair(), bigRoot: generateRsaKeyPair(4096) };
});

const now = new Date();
const cn = (value: string) => [{ name: 'commonName', value }];

function makeRoot(key: RsaKeyPair, name = 'Test Root') {
  return signCertificate({ subject: cn(name), publicKey: key.publicKey, notBefore: addDays(now, -1), notAfter: addDays(now, 3650), extensions: caExtensions() }, { privateKey: key.privateKey });
}

function makeLeaf(issuer: { cert: forge.pki.Certificate; privateKey: forge.pki.rsa.PrivateKey }, options: { eku?: object; subject?: forge.pki.CertificateField[]; notBefore?: Date; notAfter?: Date } = {}) {
  return signCertificate({
    subject: options.subject ?? cn('provisionserver.amt.test'),
    publicKey: keys.leaf.publicKey,
    notBefore: options.notBefore ?? addDays(now, -1),
    notAfter: options.notAfter ?? addDays(now, 365),
    extensions: [options.eku ?? { name: 'extKeyUsage', serverAuth: true, [AMT_PROVISIONING_EKU_OID]: true }],
  }, issuer);
}

function pfxFile(name: string, chain: forge.pki.Certificate[], key = keys.leaf): string {
  const file = path.join(fixture.dir, `${name}.pfx`);
  writeFileSync(file, writePkcs12(chain.map((c) => forge.pki.certificateToPem(c)), key.privateKeyPem, PASSPHRASE));
  return file;
}

const passphraseFile = () => {
  const file = path.join(fixture.dir, 'pfx.pass');
  writeFileSync(file, `${PASSPHRASE}\n`, { mode: 0o600 });
  return file;
};

async function certsAdd(file: string, passFile = passphraseFile()) {
  const io = captureIo();
  const code = await runCertsCommand(['add', file, '--passphrase-file', passFile, '--db', fixture.db], io);
  return { code, ...io };
}

function registeredCount(): number {
  const store = fixture.open();
  try {
    return store.provisioningCertificates.list().length;
  } finally {
    store.close();
  }
}

void describe('amtprov pki demo', () => {
  void it('writes the demo PKI with private keys 0600, without registering when asked', async () => {
    const io = captureIo();
    assert.equal(await runPkiCommand(['demo', '--out', demoDir, '--no-register', '--db', fixture.db], io), 0, io.stderr.join('\n'));
    for (const [key, name] of Object.entries(DEMO_PKI_FILES)) {
      const mode = statSync(path.join(demoDir, name)).mode & 0o777;
      const secret = /Key|Pfx/.test(key);
      assert.equal(mode, secret ? 0o600 : 0o644, `${name} mode ${mode.toString(8)}`);
    }
    assert.match(io.stdout.join('\n'), /SHA-256 [0-9a-f]{64}/);
    assert.equal(registeredCount(), 0);
  });

  void it('refuses to overwrite the files without --force', async () => {
    const before = readFileSync(path.join(demoDir, DEMO_PKI_FILES.rootCert), 'utf8');
    const io = captureIo();
    assert.equal(await runPkiCommand(['demo', '--out', demoDir, '--no-register'], io), 1);
    assert.match(io.stderr.join('\n'), /already exist.*--force/);
    assert.equal(readFileSync(path.join(demoDir, DEMO_PKI_FILES.rootCert), 'utf8'), before);
  });
});

void describe('amtprov certs add', () => {
  void it('accepts the demo provisioning certificate and stores chain, vaulted key, root hashes and DNS suffix', async () => {
    const result = await certsAdd(path.join(demoDir, DEMO_PKI_FILES.provisioningPfx), path.join(demoDir, DEMO_PKI_FILES.provisioningPfxPassphrase));
    assert.equal(result.code, 0, result.stderr.join('\n'));
    assert.equal(result.stdout[0], 'registered provisioning certificate');

    const store = fixture.open();
    try {
      const [cert] = store.provisioningCertificates.list();
      assert.ok(cert);
      const rootDer = Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(forge.pki.certificateFromPem(readFileSync(path.join(demoDir, DEMO_PKI_FILES.rootCert), 'utf8')))).getBytes(), 'binary');
      assert.deepEqual(cert.rootHashes, {
        sha1: createHash('sha1').update(rootDer).digest('hex'),
        sha256: createHash('sha256').update(rootDer).digest('hex'),
        sha384: createHash('sha384').update(rootDer).digest('hex'),
      });
      assert.equal(cert.dnsSuffix, 'amt.test');
      assert.equal(cert.subjectCn, 'provisionserver.amt.test');
      assert.equal(cert.chainPem.length, 2);
      const keyPem = store.vault.getSecret(cert.keyRef);
      const leaf = forge.pki.certificateFromPem(cert.chainPem[0]);
      const key = forge.pki.privateKeyFromPem(keyPem);
      assert.ok((leaf.publicKey as forge.pki.rsa.PublicKey).n.equals(key.n), 'the vaulted key is the leaf key');
      assert.equal(store.vault.purposeOf(cert.keyRef), 'provisioning-certificate-key');
      assert.deepEqual(store.provisioningCertificates.matchingDevice([cert.rootHashes.sha1.toUpperCase()]).map((c) => c.id), [cert.id]);
      assert.deepEqual(store.provisioningCertificates.matchingDevice([cert.rootHashes.sha256], 'sub.amt.test').map((c) => c.id), [cert.id]);
      assert.deepEqual(store.provisioningCertificates.matchingDevice([cert.rootHashes.sha256], 'other.test'), []);
      assert.ok(store.provisioningCertificates.trustedRootHashes().has(cert.rootHashes.sha384));
      assert.equal(store.audit.recent(1)[0].action, 'certificate.provisioning.add');
    } finally {
      store.close();
    }
    const again = await certsAdd(path.join(demoDir, DEMO_PKI_FILES.provisioningPfx), path.join(demoDir, DEMO_PKI_FILES.provisioningPfxPassphrase));
    assert.equal(again.code, 0);
    assert.equal(again.stdout[0], 'already registered, unchanged');
    assert.equal(registeredCount(), 1);
  });

  const rejects = (name: string, rule: string, chain: () => forge.pki.Certificate[]) =>
    it(`names rule ${rule} for ${name} and registers nothing`, async () => {
      const result = await certsAdd(pfxFile(name.replace(/\W+/g, '-'), chain()));
      assert.equal(result.code, 1);
      const rules = result.stderr.filter((l) => l.startsWith('rule ')).map((l) => l.slice(5, l.indexOf(':')));
      assert.deepEqual(rules, [rule], result.stderr.join('\n'));
      assert.equal(registeredCount(), 1);
    });

  void rejects('a leaf without the AMT OID or OU', 'eku-or-ou', () => {
    const root = makeRoot(keys.root);
    return [makeLeaf({ cert: root, privateKey: keys.root.privateKey }, { eku: { name: 'extKeyUsage', serverAuth: true } }), root];
  });

  void rejects('an expired leaf', 'validity', () => {
    const root = makeRoot(keys.root);
    return [makeLeaf({ cert: root, privateKey: keys.root.privateKey }, { notBefore: addDays(now, -400), notAfter: addDays(now, -1) }), root];
  });

  void rejects('a chain missing its intermediate', 'chain', () => {
    const root = makeRoot(keys.root);
    const intermediate = signCertificate({ subject: cn('Test Intermediate'), publicKey: keys.intermediate.publicKey, notBefore: addDays(now, -1), notAfter: addDays(now, 1000), extensions: caExtensions(0) },
      { cert: root, privateKey: keys.root.privateKey });
    return [makeLeaf({ cert: intermediate, privateKey: keys.intermediate.privateKey }), root];
  });

  void rejects('a CA with a 4096-bit key', 'ca-key-size', () => {
    const root = makeRoot(keys.bigRoot, 'Big Root');
    return [makeLeaf({ cert: root, privateKey: keys.bigRoot.privateKey }), root];
  });

  void it('accepts the OU form of a provisioning certificate', async () => {
    const root = makeRoot(keys.root, 'OU Root');
    const leaf = makeLeaf({ cert: root, privateKey: keys.root.privateKey }, {
      eku: { name: 'extKeyUsage', serverAuth: true },
      subject: [...cn('provisionserver.ou.test'), { name: 'organizationalUnitName', value: AMT_PROVISIONING_OU }],
    });
    const result = await certsAdd(pfxFile('ou-form', [leaf, root]));
    assert.equal(result.code, 0, result.stderr.join('\n'));
    assert.match(result.stdout.join('\n'), /DNS suffix ou\.test/);
  });

  void it('a wrong passphrase is refused without echoing it', async () => {
    const wrong = path.join(fixture.dir, 'wrong.pass');
    writeFileSync(wrong, 'Not-The-Passphrase');
    const result = await certsAdd(path.join(demoDir, DEMO_PKI_FILES.provisioningPfx), wrong);
    assert.equal(result.code, 1);
    assert.match(result.stderr.join('\n'), /passphrase/);
    assert.ok(!result.stderr.join('\n').includes('Not-The-Passphrase'));
  });

  void it('certs list and settings show describe what is registered, without keys', async () => {
    const io = captureIo();
    assert.equal(await runCertsCommand(['list', '--json', '--db', fixture.db], io), 0);
    const listed = JSON.parse(io.stdout.join('\n')) as Record<string, unknown>[];
    assert.deepEqual(listed.map((c) => c.subjectCn), ['provisionserver.amt.test', 'provisionserver.ou.test']);
    assert.ok(listed.every((c) => !('keyRef' in c)));
    const show = captureIo();
    assert.equal(await runSettingsCommand(['show', '--db', fixture.db], show), 0);
    assert.match(show.stdout.join('\n'), /provisionserver\.ou\.test/);
    assert.ok(!show.stdout.join('\n').includes('PRIVATE KEY'));
    assert.ok(existsSync(fixture.db));
  });
});
