import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { checkProvisioningChain, firmwareGenerationVerdicts, rootHashes, type CertRuleId } from '../../../src/amt/certRules';
import { AMT_PROVISIONING_EKU_OID, AMT_PROVISIONING_OU } from '../../../src/contract/oids';
import { certDer, issue, provisioningPki, rsaKey } from './support/testPki';

const pki = provisioningPki();
const rootHash = rootHashes(certDer(pki.root.cert));
const fullOptions = { trustedRootHashes: [rootHash.sha256], dnsSuffix: 'amt.test' };

function rules(failures: Array<{ rule: CertRuleId; message: string }>): CertRuleId[] {
  return failures.map((failure) => failure.rule);
}

void describe('rootHashes', () => {
  void it('hashes the DER with SHA-1, SHA-256 and SHA-384 in lowercase hex', () => {
    const der = certDer(pki.root.cert);
    assert.deepEqual(rootHash, {
      sha1: createHash('sha1').update(der).digest('hex'),
      sha256: createHash('sha256').update(der).digest('hex'),
      sha384: createHash('sha384').update(der).digest('hex'),
    });
    assert.match(rootHash.sha384, /^[0-9a-f]{96}$/);
  });
});

void describe('checkProvisioningChain', () => {
  void it('accepts a valid chain with every option given', () => {
    assert.deepEqual(checkProvisioningChain(pki.chainPem, fullOptions), []);
  });

  void it('checks neither root trust nor domain suffix when those options are omitted', () => {
    const otherDomain = provisioningPki('elsewhere.test');
    assert.deepEqual(rules(checkProvisioningChain(otherDomain.chainPem, fullOptions)), ['domain-suffix']);
    assert.deepEqual(checkProvisioningChain(otherDomain.chainPem), []);
    assert.deepEqual(rules(checkProvisioningChain(pki.chainPem, { trustedRootHashes: ['00'.repeat(20)] })), ['root-trusted']);
    assert.deepEqual(checkProvisioningChain(pki.chainPem), []);
  });

  void describe('eku-or-ou', () => {
    void it('fails a leaf with serverAuth only', () => {
      const leaf = issue({ cn: 'prov.amt.test', issuer: pki.intermediate, eku: ['serverAuth'], key: rsaKey(2048, 3) });
      const failures = checkProvisioningChain([leaf.certPem, pki.intermediate.certPem, pki.root.certPem], fullOptions);
      assert.deepEqual(rules(failures), ['eku-or-ou']);
      assert.match(failures[0].message, /2\.16\.840\.1\.113741\.1\.2\.3/);
    });

    void it('fails a leaf with the AMT OID but without serverAuth', () => {
      const leaf = issue({ cn: 'prov.amt.test', issuer: pki.intermediate, eku: [AMT_PROVISIONING_EKU_OID], key: rsaKey(2048, 3) });
      assert.deepEqual(rules(checkProvisioningChain([leaf.certPem, pki.intermediate.certPem, pki.root.certPem], fullOptions)), ['eku-or-ou']);
    });

    void it('accepts the exact OU instead of the OID, and refuses it in another case', () => {
      const withOu = issue({ cn: 'prov.amt.test', ou: AMT_PROVISIONING_OU, issuer: pki.intermediate, key: rsaKey(2048, 3) });
      assert.deepEqual(checkProvisioningChain([withOu.certPem, pki.intermediate.certPem, pki.root.certPem], fullOptions), []);
      const lowerOu = issue({ cn: 'prov.amt.test', ou: AMT_PROVISIONING_OU.toLowerCase(), issuer: pki.intermediate, key: rsaKey(2048, 3) });
      assert.deepEqual(rules(checkProvisioningChain([lowerOu.certPem, pki.intermediate.certPem, pki.root.certPem], fullOptions)), ['eku-or-ou']);
    });
  });

  void describe('chain', () => {
    void it('fails when the intermediate is missing', () => {
      const failures = checkProvisioningChain([pki.leaf.certPem, pki.root.certPem], fullOptions);
      assert.deepEqual(rules(failures), ['chain']);
      assert.match(failures[0].message, /not issued by the next one/);
    });

    void it('fails when the chain stops before a self-signed root', () => {
      const failures = checkProvisioningChain([pki.leaf.certPem, pki.intermediate.certPem], { dnsSuffix: 'amt.test' });
      assert.deepEqual(rules(failures), ['chain']);
      assert.match(failures[0].message, /not a self-signed root/);
    });

    void it('fails when a signature does not verify (same names, different key)', () => {
      const impostor = issue({ cn: 'Test Issuing CA', ca: true, issuer: pki.root, key: rsaKey(2048, 5) });
      const failures = checkProvisioningChain([pki.leaf.certPem, impostor.certPem, pki.root.certPem], fullOptions);
      assert.deepEqual(rules(failures), ['chain']);
      assert.match(failures[0].message, /does not verify/);
    });

    void it('fails when an issuer is not a CA', () => {
      const notCa = issue({ cn: 'Not A CA', ca: false, issuer: pki.root, key: rsaKey(2048, 2) });
      const leaf = issue({ cn: 'prov.amt.test', issuer: notCa, eku: ['serverAuth', AMT_PROVISIONING_EKU_OID], key: rsaKey(2048, 3) });
      const failures = checkProvisioningChain([leaf.certPem, notCa.certPem, pki.root.certPem], fullOptions);
      assert.deepEqual(rules(failures), ['chain']);
      assert.match(failures[0].message, /not a CA/);
    });

    void it('fails an empty chain and a PEM that does not parse', () => {
      assert.deepEqual(rules(checkProvisioningChain([])), ['chain']);
      const garbage = checkProvisioningChain(['-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n']);
      assert.deepEqual(rules(garbage), ['chain']);
      assert.match(garbage[0].message, /does not parse/);
    });
  });

  void describe('root-trusted', () => {
    void it('accepts the SHA-1 or SHA-384 hash, in upper case too', () => {
      assert.deepEqual(checkProvisioningChain(pki.chainPem, { trustedRootHashes: [rootHash.sha1.toUpperCase()] }), []);
      assert.deepEqual(checkProvisioningChain(pki.chainPem, { trustedRootHashes: ['00'.repeat(32), rootHash.sha384] }), []);
    });

    void it('fails when the device does not trust the root', () => {
      const failures = checkProvisioningChain(pki.chainPem, { trustedRootHashes: ['00'.repeat(32)] });
      assert.deepEqual(rules(failures), ['root-trusted']);
      assert.match(failures[0].message, new RegExp(rootHash.sha256));
    });

    void it('fails against an empty trusted list', () => {
      assert.deepEqual(rules(checkProvisioningChain(pki.chainPem, { trustedRootHashes: [] })), ['root-trusted']);
    });
  });

  void describe('domain-suffix', () => {
    void it('accepts a CN in a subdomain of the suffix and ignores case and a final dot', () => {
      assert.deepEqual(checkProvisioningChain(pki.chainPem, { dnsSuffix: 'AMT.test.' }), []);
      assert.deepEqual(rules(checkProvisioningChain(provisioningPki('sub.amt.test').chainPem, { dnsSuffix: 'amt.test' })), []);
    });

    void it('fails a CN that only shares trailing characters, not labels', () => {
      const failures = checkProvisioningChain(provisioningPki('evilamt.test').chainPem, { dnsSuffix: 'amt.test' });
      assert.deepEqual(rules(failures), ['domain-suffix']);
      assert.match(failures[0].message, /prov\.evilamt\.test/);
    });

    void it('accepts a SAN DNS name when the CN does not match', () => {
      const chain = provisioningPki('amt.test', { cn: 'Provisioning', san: ['other.example', 'prov.amt.test'] }).chainPem;
      assert.deepEqual(checkProvisioningChain(chain, { dnsSuffix: 'amt.test' }), []);
    });

    void it('judges a wildcard *.x.y by x.y', () => {
      const wildcard = provisioningPki('amt.test', { cn: '*.amt.test' }).chainPem;
      assert.deepEqual(checkProvisioningChain(wildcard, { dnsSuffix: 'amt.test' }), []);
      assert.deepEqual(rules(checkProvisioningChain(wildcard, { dnsSuffix: 'sub.amt.test' })), ['domain-suffix']);
    });
  });

  void describe('validity', () => {
    void it('fails an expired leaf and a not-yet-valid one', () => {
      const expired = provisioningPki('amt.test', { notBefore: new Date('2020-01-01'), notAfter: new Date('2021-01-01') });
      const failures = checkProvisioningChain(expired.chainPem, fullOptions);
      assert.deepEqual(rules(failures), ['validity']);
      assert.match(failures[0].message, /expired 2021-01-01/);
      const future = provisioningPki('amt.test', { notBefore: new Date(Date.now() + 86_400_000) });
      assert.deepEqual(rules(checkProvisioningChain(future.chainPem, fullOptions)), ['validity']);
    });

    void it('uses the given time', () => {
      assert.deepEqual(rules(checkProvisioningChain(pki.chainPem, { now: new Date(Date.now() + 2 * 365 * 86_400_000) })), ['validity']);
    });
  });

  void describe('firmware generations (key sizes, SHA-1 signatures)', () => {
    const bigRootChain = () => {
      const bigRoot = issue({ cn: 'Big Root', ca: true, key: rsaKey(3072) });
      const intermediate = issue({ cn: 'Test Issuing CA', ca: true, issuer: bigRoot, key: rsaKey(2048, 2) });
      const leaf = issue({ cn: 'prov.amt.test', issuer: intermediate, eku: ['serverAuth', AMT_PROVISIONING_EKU_OID], key: rsaKey(3072, 3) });
      return [leaf.certPem, intermediate.certPem, bigRoot.certPem];
    };

    void it('takes a 3072-bit CA for AMT 16 and later, refuses it, named, for older firmware', () => {
      const chain = bigRootChain();
      assert.deepEqual(checkProvisioningChain(chain, { dnsSuffix: 'amt.test' }), [], 'some generation takes it, so it registers');
      assert.deepEqual(checkProvisioningChain(chain, { dnsSuffix: 'amt.test', firmwareVersion: '16.1.27' }), []);
      assert.deepEqual(checkProvisioningChain(chain, { dnsSuffix: 'amt.test', firmwareVersion: '22.0.10' }), []);
      const old = checkProvisioningChain(chain, { dnsSuffix: 'amt.test', firmwareVersion: '11.8.50' });
      assert.deepEqual(rules(old), ['ca-key-size']);
      assert.match(old[0].message, /^AMT 3\.2-15 \(this device runs 11\.8\.50\): CA "Big Root" has a 3072-bit RSA key, at most 2048 accepted$/);
    });

    void it('refuses a CA key no generation takes (4096 bits) at registration', () => {
      const root = issue({ cn: 'Huge Root', ca: true, key: rsaKey(4096) });
      const leaf = issue({ cn: 'prov.amt.test', issuer: root, eku: ['serverAuth', AMT_PROVISIONING_EKU_OID], key: rsaKey(3072, 3) });
      const failures = checkProvisioningChain([leaf.certPem, root.certPem], { dnsSuffix: 'amt.test' });
      assert.deepEqual(rules(failures), ['ca-key-size']);
      assert.match(failures[0].message, /no AMT generation takes this chain; .*4096-bit/);
    });

    void it('needs a 3072-bit leaf on AMT 22, not before', () => {
      assert.deepEqual(checkProvisioningChain(pki.chainPem, { ...fullOptions, firmwareVersion: '21.0.5' }), []);
      const failures = checkProvisioningChain(pki.chainPem, { ...fullOptions, firmwareVersion: '22.0.10' });
      assert.deepEqual(rules(failures), ['key-size']);
      assert.match(failures[0].message, /AMT 22\+ .*leaf "prov\.amt\.test" has a 2048-bit RSA key, at least 3072 needed/);
    });

    void it('refuses SHA-1 signed certificates (root included) from AMT 16, takes them before', () => {
      const sha1Root = issue({ cn: 'SHA-1 Root', ca: true, key: rsaKey(2048, 1), digest: 'sha1' });
      const leaf = issue({ cn: 'prov.amt.test', issuer: sha1Root, eku: ['serverAuth', AMT_PROVISIONING_EKU_OID], key: rsaKey(2048, 3) });
      const chain = [leaf.certPem, sha1Root.certPem];
      assert.deepEqual(checkProvisioningChain(chain, { dnsSuffix: 'amt.test', firmwareVersion: '15.0.41' }), []);
      const failures = checkProvisioningChain(chain, { dnsSuffix: 'amt.test', firmwareVersion: '16.1.27' });
      assert.deepEqual(rules(failures), ['sha1-signature']);
      assert.match(failures[0].message, /"SHA-1 Root" is signed with SHA-1/);
    });

    void it('gives every generation its verdict', () => {
      const verdicts = (chain: string[]) => firmwareGenerationVerdicts(chain).map((v) => [v.label, rules(v.failures)]);
      assert.deepEqual(verdicts(bigRootChain()), [['AMT 3.2-15', ['ca-key-size']], ['AMT 16-21', []], ['AMT 22+', []]]);
      assert.deepEqual(verdicts(pki.chainPem), [['AMT 3.2-15', []], ['AMT 16-21', []], ['AMT 22+', ['key-size']]]);
    });
  });

  void it('reports several broken rules at once', () => {
    const leaf = issue({ cn: 'prov.other.test', issuer: pki.intermediate, eku: ['serverAuth'], key: rsaKey(2048, 3), notAfter: new Date(Date.now() - 1000) });
    const failures = checkProvisioningChain([leaf.certPem, pki.intermediate.certPem, pki.root.certPem], { ...fullOptions, trustedRootHashes: [] });
    assert.deepEqual(rules(failures).sort(), ['domain-suffix', 'eku-or-ou', 'root-trusted', 'validity']);
  });
});
