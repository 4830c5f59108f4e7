import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import forge from 'node-forge';
import { splitPkcs12 } from '../../../src/amt/pkcs12';
import { Pkcs12Invalid } from '../../../src/amt/errors';
import { issue, provisioningPki, rsaKey } from './support/testPki';

const pki = provisioningPki();
const PASSPHRASE = 'pfx-Secret-42';

function pfx(key: forge.pki.rsa.PrivateKey | null, certs: forge.pki.Certificate[], algorithm: '3des' | 'aes256' = 'aes256'): Buffer {
  const asn1 = forge.pkcs12.toPkcs12Asn1(key, certs, PASSPHRASE, { algorithm });
  return Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary');
}

void describe('splitPkcs12', () => {
  void it('returns the key and the chain leaf first, root last, whatever the order in the file', () => {
    for (const algorithm of ['3des', 'aes256'] as const) {
      const { privateKeyPem, chainPem } = splitPkcs12(pfx(pki.leaf.key, [pki.root.cert, pki.leaf.cert, pki.intermediate.cert], algorithm), PASSPHRASE);
      assert.deepEqual(chainPem, pki.chainPem.map((pem) => forge.pki.certificateToPem(forge.pki.certificateFromPem(pem))));
      assert.equal(forge.pki.privateKeyFromPem(privateKeyPem).n.toString(16), pki.leaf.key.n.toString(16));
    }
  });

  void it('returns a partial chain when the file lacks the root (the rules check reports it)', () => {
    const { chainPem } = splitPkcs12(pfx(pki.leaf.key, [pki.intermediate.cert, pki.leaf.cert]), PASSPHRASE);
    assert.equal(chainPem.length, 2);
    assert.equal(chainPem[1], forge.pki.certificateToPem(pki.intermediate.cert));
  });

  void it('refuses a wrong passphrase with a message that does not contain either passphrase', () => {
    assert.throws(() => splitPkcs12(pfx(pki.leaf.key, [pki.leaf.cert]), 'wrong-Guess-7'), (error: unknown) => {
      assert.ok(error instanceof Pkcs12Invalid);
      assert.equal(error.retryable, false);
      assert.doesNotMatch(error.message, /pfx-Secret-42|wrong-Guess-7/);
      assert.match(error.message, /passphrase/);
      return true;
    });
  });

  void it('refuses a file whose certificates do not match its key', () => {
    const other = issue({ cn: 'other', key: rsaKey(2048, 6) });
    assert.throws(() => splitPkcs12(pfx(pki.leaf.key, [other.cert]), PASSPHRASE), /matches its private key/);
  });

  void it('refuses a file without a private key', () => {
    assert.throws(() => splitPkcs12(pfx(null, [pki.leaf.cert]), PASSPHRASE), /0 RSA private keys/);
  });

  void it('refuses bytes that are not PKCS#12', () => {
    assert.throws(() => splitPkcs12(Buffer.from('not a pfx'), PASSPHRASE), Pkcs12Invalid);
  });
});
