import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { DeviceXmlRejected } from '../../../src/amt/errors';
import { keyPairPublicKey } from '../../../src/amt/wsmanCertificates';

const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const keyPair = (derKey: Buffer) => ({ InstanceID: 'Intel(r) AMT Key: Handle: 1', DERKey: derKey.toString('base64') });

void describe('keyPairPublicKey (AMT_PublicPrivateKeyPair DERKey)', () => {
  void it('reads PKCS#1 RSAPublicKey and SubjectPublicKeyInfo alike', () => {
    for (const type of ['pkcs1', 'spki'] as const) {
      assert.ok(keyPairPublicKey(keyPair(publicKey.export({ type, format: 'der' }))).equals(publicKey), type);
    }
  });

  void it('refuses what is no RSA public key, naming the key pair', () => {
    assert.throws(() => keyPairPublicKey(keyPair(Buffer.from('not a key'))), (err: unknown) => err instanceof DeviceXmlRejected && /Handle: 1: DERKey is not an RSA public key/.test(err.message));
  });
});
