// The device's own reading of the section 3 rules, rule by rule, on chains made at test time.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { before, describe, it } from 'node:test';
import type { TrustedRootHash } from '../../../src/emulator/firmware/types';
import { checkClientChain, type DeviceTrust } from '../../../src/emulator/tls/clientChainRules';
import { makeIntermediate, makeProvisioningLeaf, makeRoot, type TestCert } from '../../integration/emulator/support/testPki';

let root: TestCert;
let ca: TestCert;

function hashOf(cert: TestCert, algorithm: TrustedRootHash['algorithm'], active = true): TrustedRootHash {
  return { algorithm, hash: crypto.createHash(algorithm).update(cert.der).digest('hex'), active, name: 'x' };
}

function trust(overrides: Partial<DeviceTrust> = {}): DeviceTrust {
  return { trustedRootHashes: [hashOf(root, 'sha256')], dnsSuffix: 'corp.example.com', now: new Date(), ...overrides };
}

function reasons(chain: TestCert[], t: DeviceTrust = trust()): string[] {
  return checkClientChain(chain.map((c) => c.der), t).map((f) => f.reason);
}

before(() => {
  root = makeRoot('Rules Root');
  ca = makeIntermediate('Rules CA', root);
});

void describe('client chain rules', () => {
  void it('accepts a complete OID chain and an OU chain', () => {
    assert.deepEqual(reasons([makeProvisioningLeaf({ cn: 'a.corp.example.com', issuer: ca }), ca, root]), []);
    assert.deepEqual(reasons([makeProvisioningLeaf({ cn: 'b.corp.example.com', marker: 'ou', issuer: ca }), ca, root]), []);
  });

  void it('rule 1 needs both serverAuth and the AMT OID, or the exact OU', () => {
    assert.deepEqual(reasons([makeProvisioningLeaf({ cn: 'c.corp.example.com', marker: 'none', issuer: ca }), ca, root]), ['eku-or-ou']);
    const nearOu = makeProvisioningLeaf({ cn: 'd.corp.example.com', marker: 'none', ou: 'Intel(R) Client Setup Certificate ', issuer: ca });
    assert.deepEqual(reasons([nearOu, ca, root]), ['eku-or-ou']);
  });

  void it('rule 2 refuses a missing issuer, a non-CA issuer, and a chain not ending at a self-signed root', () => {
    const leaf = makeProvisioningLeaf({ cn: 'e.corp.example.com', issuer: ca });
    assert.deepEqual(reasons([leaf, root]), ['chain']);
    assert.deepEqual(reasons([leaf, ca]), ['chain']);
    const notCa = makeProvisioningLeaf({ cn: 'notca.corp.example.com', issuer: ca });
    const underNotCa = makeProvisioningLeaf({ cn: 'f.corp.example.com', issuer: notCa });
    assert.deepEqual(reasons([underNotCa, notCa, ca, root]), ['chain']);
  });

  void it('rule 3 accepts SHA-1/256/384 root hashes, and only active ones', () => {
    const chain = [makeProvisioningLeaf({ cn: 'g.corp.example.com', issuer: ca }), ca, root];
    for (const algorithm of ['sha1', 'sha256', 'sha384'] as const) {
      assert.deepEqual(reasons(chain, trust({ trustedRootHashes: [hashOf(root, algorithm)] })), [], algorithm);
    }
    assert.deepEqual(reasons(chain, trust({ trustedRootHashes: [hashOf(root, 'sha256', false)] })), ['root-trusted']);
    assert.deepEqual(reasons(chain, trust({ trustedRootHashes: [hashOf(ca, 'sha256')] })), ['root-trusted'], 'an intermediate hash is not a root hash');
  });

  void it('rule 4 matches CN or SAN at a label boundary, ignoring case and a final dot; wildcards by their base', () => {
    const ok = (cn: string, sanDns?: string[]) => reasons([makeProvisioningLeaf({ cn, issuer: ca, ...(sanDns ? { sanDns } : {}) }), ca, root]);
    assert.deepEqual(ok('corp.example.com'), []);
    assert.deepEqual(ok('Prov.CORP.Example.com.'), []);
    assert.deepEqual(ok('*.corp.example.com'), []);
    assert.deepEqual(ok('Provisioning Server', ['prov.corp.example.com']), []);
    assert.deepEqual(ok('prov.evilcorp.example.com'), ['domain-suffix']);
    assert.deepEqual(ok('*.example.com'), ['domain-suffix']);
    assert.deepEqual(reasons([makeProvisioningLeaf({ cn: 'h.corp.example.com', issuer: ca }), ca, root], trust({ dnsSuffix: '' })), ['domain-suffix']);
  });

  void it('rule 5 judges validity by the device clock and CA key sizes over 2048 bits', () => {
    const leaf = makeProvisioningLeaf({ cn: 'i.corp.example.com', issuer: ca });
    assert.deepEqual(reasons([leaf, ca, root], trust({ now: new Date(Date.now() + 5 * 365 * 86_400_000) })), ['validity']);
    assert.deepEqual(reasons([leaf, ca, root], trust({ now: new Date(Date.now() - 5 * 86_400_000) })), ['validity']);
    const bigRoot = makeRoot('Rules Big Root', 'rules-big', 4096);
    const bigLeaf = makeProvisioningLeaf({ cn: 'j.corp.example.com', issuer: bigRoot });
    assert.deepEqual(reasons([bigLeaf, bigRoot], trust({ trustedRootHashes: [hashOf(bigRoot, 'sha256')] })), ['ca-key-size']);
  });

  void it('rule 5 takes 3072-bit CA keys where the release allows them (AMT 16), not by default', () => {
    const root3072 = makeRoot('Rules 3072 Root', 'rules-3072', 3072);
    const leaf = makeProvisioningLeaf({ cn: 'k.corp.example.com', issuer: root3072 });
    const trusted = [hashOf(root3072, 'sha256')];
    assert.deepEqual(reasons([leaf, root3072], trust({ trustedRootHashes: trusted })), ['ca-key-size']);
    assert.deepEqual(reasons([leaf, root3072], trust({ trustedRootHashes: trusted, maxCaKeyBits: 3072 })), []);
  });

  void it('reports every failing rule, in the contract order', () => {
    const stranger = makeRoot('Rules Stranger Root');
    const leaf = makeProvisioningLeaf({ cn: 'k.other.org', marker: 'none', issuer: stranger, notAfter: new Date(Date.now() - 1000) });
    assert.deepEqual(reasons([leaf, stranger]), ['eku-or-ou', 'root-trusted', 'domain-suffix', 'validity']);
  });
});
