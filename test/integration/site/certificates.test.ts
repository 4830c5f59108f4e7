// Provisioning certificates and the demo PKI, with real node-forge certificates, real
// PKCS#12 files and the real CLI: `pki demo` writes and registers, `certs add` accepts the
// demo certificate and names the failing rule of each bad one.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import forge from 'node-forge';
import { validateDevice } from '../../../src/activities/validateDevice';
import { rootHashes } from '../../../src/amt/certRules';
import { runCertsCommand } from '../../../src/cli/certs';
import { runPkiCommand } from '../../../src/cli/pki';
import { runSettingsCommand } from '../../../src/cli/settings';
import { AMT_PROVISIONING_EKU_OID, AMT_PROVISIONING_OU } from '../../../src/contract/oids';
import { createLogger } from '../../../src/log';
import { DEMO_PKI_FILES } from '../../../src/pki/demoPki';
import { registerIssuingCa } from '../../../src/pki/register';
import { writePkcs12 } from '../../../src/pki/pkcs12';
import { addDays, caExtensions, certificateDer, generateRsaKeyPair, signCertificate, type RsaKeyPair } from '../../../src/pki/x509';
import { captureIo, siteFixture } from './helpers';

const fixture = siteFixture('certs');
void after(() => fixture.cleanup());
const demoDir = path.join(fixture.dir, 'demo');
const PASSPHRASE = 'pfx passphrase';

let keys: { root: RsaKeyPair; intermediate: RsaKeyPair; leaf: RsaKeyPair; root3072: RsaKeyPair; bigRoot: RsaKeyPair };
void before(() => {
  keys = {
    root: generateRsaKeyPair(), intermediate: generateRsaKeyPair(), leaf: generateRsaKeyPair(), root3072: generateRsaKeyPair(3072), bigRoot: generateRsaKeyPair(4096),
  };
});

const now = new Date();
const cn = (value: string) => [{ name: 'commonName', value }];

function makeRoot(key: RsaKeyPair, name = 'Test Root') {
  return signCertificate({ subject: cn(name), publicKey: key.publicKey, notBefore: addDays(now, -1), notAfter: addDays(now, 3650), extensions: caExtensions() }, { privateKey: key.privateKey });
}

const generationLines = (stdout: string[]) => stdout.filter((line) => /^ {4}AMT /.test(line)).map((line) => line.trim());

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

async function registeredCount(): Promise<number> {
  const store = await fixture.open();
  try {
    return (await store.provisioningCertificates.list()).length;
  } finally {
    await store.close();
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
    assert.equal(await registeredCount(), 0);
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
    assert.deepEqual(generationLines(result.stdout), [
      'AMT 3.2-15: yes',
      'AMT 16-21: yes',
      'AMT 22+: no (leaf "provisionserver.amt.test" has a 2048-bit RSA key, at least 3072 needed)',
    ]);

    const store = await fixture.open();
    try {
      const [cert] = await store.provisioningCertificates.list();
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
      const keyPem = await store.vault.getSecret(cert.keyRef);
      const leaf = forge.pki.certificateFromPem(cert.chainPem[0]);
      const key = forge.pki.privateKeyFromPem(keyPem);
      assert.ok((leaf.publicKey as forge.pki.rsa.PublicKey).n.equals(key.n), 'the vaulted key is the leaf key');
      assert.equal(await store.vault.purposeOf(cert.keyRef), 'provisioning-certificate-key');
      assert.deepEqual((await store.provisioningCertificates.matchingDevice([cert.rootHashes.sha1.toUpperCase()])).map((c) => c.id), [cert.id]);
      assert.deepEqual((await store.provisioningCertificates.matchingDevice([cert.rootHashes.sha256], 'sub.amt.test')).map((c) => c.id), [cert.id]);
      assert.deepEqual(await store.provisioningCertificates.matchingDevice([cert.rootHashes.sha256], 'other.test'), []);
      assert.deepEqual((await store.provisioningCertificates.matchingDevice(['00'.repeat(20), cert.rootHashes.sha384.toUpperCase()])).map((c) => c.id), [cert.id],
        'a device that sends only a SHA-384 hash of the root matches');
      assert.ok((await store.provisioningCertificates.trustedRootHashes()).has(cert.rootHashes.sha384));
      assert.equal((await store.audit.recent(1))[0].action, 'certificate.provisioning.add');
    } finally {
      await store.close();
    }
    const again = await certsAdd(path.join(demoDir, DEMO_PKI_FILES.provisioningPfx), path.join(demoDir, DEMO_PKI_FILES.provisioningPfxPassphrase));
    assert.equal(again.code, 0);
    assert.equal(again.stdout[0], 'already registered, unchanged');
    assert.equal(await registeredCount(), 1);
  });

  const rejects = (name: string, rule: string, chain: () => forge.pki.Certificate[]) =>
    it(`names rule ${rule} for ${name} and registers nothing`, async () => {
      const result = await certsAdd(pfxFile(name.replace(/\W+/g, '-'), chain()));
      assert.equal(result.code, 1);
      const rules = result.stderr.filter((l) => l.startsWith('rule ')).map((l) => l.slice(5, l.indexOf(':')));
      assert.deepEqual(rules, [rule], result.stderr.join('\n'));
      assert.equal(await registeredCount(), 1);
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

  void it('registers a 3072-bit CA chain and tells which firmware generations it can provision', async () => {
    const root = makeRoot(keys.root3072, 'Root 3072');
    const result = await certsAdd(pfxFile('root-3072', [makeLeaf({ cert: root, privateKey: keys.root3072.privateKey }, { subject: cn('provisionserver.r3072.test') }), root]));
    assert.equal(result.code, 0, result.stderr.join('\n'));
    assert.deepEqual(generationLines(result.stdout), [
      'AMT 3.2-15: no (CA "Root 3072" has a 3072-bit RSA key, at most 2048 accepted)',
      'AMT 16-21: yes',
      'AMT 22+: no (leaf "provisionserver.r3072.test" has a 2048-bit RSA key, at least 3072 needed)',
    ]);
    const listed = captureIo();
    assert.equal(await runCertsCommand(['list', '--db', fixture.db], listed), 0);
    assert.ok(listed.stdout.includes('    AMT 3.2-15: no (CA "Root 3072" has a 3072-bit RSA key, at most 2048 accepted)'), listed.stdout.join('\n'));
    const store = await fixture.open(); // removed again: the tests below count what is registered
    try {
      await store.provisioningCertificates.remove((await store.provisioningCertificates.list()).find((c) => c.dnsSuffix === 'r3072.test')!.id);
    } finally {
      await store.close();
    }
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

void describe('validateDevice picks a provisioning chain the device firmware takes', () => {
  const uuid = '5a0e54b4-8a8d-4a8c-9c3b-1d2e3f405162';
  const deps = async () => ({ store: await fixture.open(), log: createLogger('test', { sink: () => {} }) });
  let hashes: { old: string; big: string };
  let ids: { old: number; big: number };

  void before(async () => {
    // Same domain, two roots: a 2048-bit one (1 year) and a 3072-bit one (10 years, so listed first).
    const oldRoot = makeRoot(keys.root, 'Gen Root 2048');
    const bigRoot = makeRoot(keys.root3072, 'Gen Root 3072');
    const leafFor = (root: forge.pki.Certificate, key: RsaKeyPair, days: number) =>
      makeLeaf({ cert: root, privateKey: key.privateKey }, { subject: cn('provisionserver.gen.test'), notAfter: addDays(now, days) });
    for (const [name, chain] of [['gen-2048', [leafFor(oldRoot, keys.root, 365), oldRoot]], ['gen-3072', [leafFor(bigRoot, keys.root3072, 3000), bigRoot]]] as const) {
      const added = await certsAdd(pfxFile(name, [...chain]));
      assert.equal(added.code, 0, added.stderr.join('\n'));
    }
    hashes = { old: rootHashes(certificateDer(oldRoot)).sha384, big: rootHashes(certificateDer(bigRoot)).sha384 };
    process.env.GEN_TEST_BIND = 'bind-password';
    const settingsFile = path.join(fixture.dir, 'gen-settings.yaml');
    writeFileSync(settingsFile, `directory:
  url: ldaps://dc1.gen.test
  bindDn: CN=amtprov,CN=Users,DC=gen,DC=test
  bindPassword: { passwordEnv: GEN_TEST_BIND }
  computerOu: OU=AMT,DC=gen,DC=test
  kerberosRealm: GEN.TEST
`);
    const applied = captureIo();
    assert.equal(await runSettingsCommand(['apply', settingsFile, '--db', fixture.db], applied), 0, applied.stderr.join('\n'));
    const store = await fixture.open();
    try {
      await registerIssuingCa(store, { certPem: forge.pki.certificateToPem(oldRoot), keyPem: keys.root.privateKeyPem, chainPem: [] }, 'test-operator');
      await store.computers.add({ uuid, netbiosName: 'GENPC', fqdn: 'genpc.gen.test' });
      const byRoot = async (sha384: string) => (await store.provisioningCertificates.list()).find((c) => c.rootHashes.sha384 === sha384)!.id;
      ids = { old: await byRoot(hashes.old), big: await byRoot(hashes.big) };
    } finally {
      await store.close();
    }
  });

  const validate = async (firmwareVersion: string | undefined, trusted: string[]) => {
    const d = await deps();
    try {
      const computer = (await d.store.computers.findByUuid(uuid))!;
      if (firmwareVersion) await d.store.computers.setDeviceFacts(computer.id, { firmwareVersion });
      return await validateDevice(d, { uuid, mode: 'out-of-band', address: '127.0.0.1', trustedRootHashes: trusted, trigger: 'hello', attempt: 1 });
    } finally {
      await d.store.close();
    }
  };

  void it('uses the 3072-bit chain on AMT 16 and the 2048-bit one on AMT 11, matched by SHA-384 root hashes', async () => {
    assert.equal((await validate('16.1.27', [hashes.old, hashes.big])).certificateId, ids.big);
    assert.equal((await validate('11.8.50', [hashes.old, hashes.big])).certificateId, ids.old);
  });

  void it('refuses, naming the generation and rule, when the only trusted chain is too big for the firmware', async () => {
    await assert.rejects(validate('11.8.50', [hashes.big]), (err: Error) => {
      assert.equal(err.name, 'ProvisioningCertificateInvalid');
      assert.match(err.message, /ca-key-size \(AMT 3\.2-15 \(this device runs 11\.8\.50\): CA "Gen Root 3072" has a 3072-bit RSA key, at most 2048 accepted\)/);
      return true;
    });
  });
});
