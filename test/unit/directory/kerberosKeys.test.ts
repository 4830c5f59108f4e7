// Kerberos key derivation against published vectors: RFC 1320 (MD4), RFC 3961 A.1 (n-fold),
// RFC 3962 appendix B (AES string-to-key), and the NT hash of "password".
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { md4 } from '../../../src/directory/kerberos/md4';
import {
  aesStringToKey, AMT_KERBEROS_ALGORITHM, amtKerberosSettings, computerAccountSalt, directoryEncryptionTypesFor, nfold, rc4HmacKey,
  realmFromBaseDn,
} from '../../../src/directory/kerberos/amtKerberos';

const hex = (text: string): Buffer => Buffer.from(text.replace(/\s+/g, ''), 'hex');

describe('MD4 (RFC 1320 appendix A.5)', () => {
  const vectors: [string, string][] = [
    ['', '31d6cfe0d16ae931b73c59d7e0c089c0'],
    ['a', 'bde52cb31de33e46245e05fbdbd6fb24'],
    ['abc', 'a448017aaf21d8525fc10ae87aa6729d'],
    ['message digest', 'd9130a8164549fe818874806e1c7014b'],
    ['abcdefghijklmnopqrstuvwxyz', 'd79e1c308aa5bbcdeea8ed63df412da9'],
    ['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', '043f8582f241db351ce627e153e7f0e4'],
    ['1234567890'.repeat(8), 'e33b4ddc9c38f2199c3e7b164fcc0536'],
  ];
  for (const [input, digest] of vectors) {
    test(`MD4("${input.length > 20 ? `${input.slice(0, 20)}...` : input}")`, () => {
      assert.equal(md4(Buffer.from(input, 'ascii')).toString('hex'), digest);
    });
  }
  test('inputs across the 56-byte padding boundary differ and have 16 bytes', () => {
    const digests = [55, 56, 63, 64, 65].map((n) => md4(Buffer.alloc(n, 0x61)).toString('hex'));
    assert.equal(new Set(digests).size, 5);
    for (const d of digests) assert.equal(d.length, 32);
  });
});

describe('RC4-HMAC key (RFC 4757: MD4 of the UTF-16LE password)', () => {
  test('NT hash of "password"', () => {
    assert.equal(rc4HmacKey('password').toString('hex'), '8846f7eaee8fb117ad06bdd830b7586c');
  });
  test('non-ASCII passwords are encoded as UTF-16LE, not UTF-8', () => {
    assert.deepEqual(rc4HmacKey('pässwörd'), md4(Buffer.from('pässwörd', 'utf16le')));
    assert.notDeepEqual(rc4HmacKey('pässwörd'), md4(Buffer.from('pässwörd', 'utf8')));
  });
});

describe('n-fold (RFC 3961 appendix A.1)', () => {
  const vectors: [number, string, string][] = [
    [64, '012345', 'be072631276b1955'],
    [56, 'password', '78a07b6caf85fa'],
    [64, 'Rough Consensus, and Running Code', 'bb6ed30870b7f0e0'],
    [168, 'password', '59e4a8ca7c0385c3c37b3f6d2000247cb6e6bd5b3e'],
    [192, 'MASSACHVSETTS INSTITVTE OF TECHNOLOGY', 'db3b0d8f0b061e603282b308a50841229ad798fab9540c1b'],
    [168, 'Q', '518a54a2 15a8452a 518a54a2 15a8452a 518a54a2 15'],
    [168, 'ba', 'fb25d531 ae897449 9f52fd92 ea9857c4 ba24cf29 7e'],
    [64, 'kerberos', '6b657262 65726f73'],
    [128, 'kerberos', '6b657262 65726f73 7b9b5b2b 93132b93'],
    [168, 'kerberos', '8372c236 344e5f15 50cd0747 e15d62ca 7a5a3bce a4'],
    [256, 'kerberos', '6b657262 65726f73 7b9b5b2b 93132b93 5c9bdcda d95c9899 c4cae4de e6d6cae4'],
  ];
  for (const [bits, input, expected] of vectors) {
    test(`${bits}-fold("${input}")`, () => {
      assert.equal(nfold(Buffer.from(input, 'ascii'), bits / 8).toString('hex'), hex(expected).toString('hex'));
    });
  }
});

describe('AES string-to-key (RFC 3962 appendix B)', () => {
  const athena = 'ATHENA.MIT.EDUraeburn';
  const vectors: { iterations: number; password: Buffer; salt: Buffer; aes128: string; aes256: string }[] = [
    { iterations: 1, password: Buffer.from('password'), salt: Buffer.from(athena),
      aes128: '42263c6e89f4fc28b8df68ee09799f15', aes256: 'fe697b52bc0d3ce14432ba036a92e65bbb52280990a2fa27883998d72af30161' },
    { iterations: 2, password: Buffer.from('password'), salt: Buffer.from(athena),
      aes128: 'c651bf29e2300ac27fa469d693bdda13', aes256: 'a2e16d16b36069c135d5e9d2e25f896102685618b95914b467c67622225824ff' },
    { iterations: 1200, password: Buffer.from('password'), salt: Buffer.from(athena),
      aes128: '4c01cd46d632d01e6dbe230a01ed642a', aes256: '55a6ac740ad17b4846941051e1e8b0a7548d93b0ab30a8bc3ff16280382b8c2a' },
    { iterations: 5, password: Buffer.from('password'), salt: hex('1234567878563412'),
      aes128: 'e9b23d52273747dd5c35cb55be619d8e', aes256: '97a4e786be20d81a382d5ebc96d5909cabcdadc87ca48f574504159f16c36e31' },
    { iterations: 1200, password: Buffer.from('X'.repeat(64)), salt: Buffer.from('pass phrase equals block size'),
      aes128: '59d1bb789a828b1aa54ef9c2883f69ed', aes256: '89adee3608db8bc71f1bfbfe459486b05618b70cbae22092534e56c553ba4b34' },
    { iterations: 1200, password: Buffer.from('X'.repeat(65)), salt: Buffer.from('pass phrase exceeds block size'),
      aes128: 'cb8005dc5f90179a7f02104c0018751d', aes256: 'd78c5c9cb872a8c9dad4697f0bb5b2d21496c82beb2caeda2112fceea057401b' },
    { iterations: 50, password: hex('f09d849e'), salt: Buffer.from('EXAMPLE.COMpianist'),
      aes128: 'f149c1f2e154a73452d43e7fe62a56e5', aes256: '4b6d9839f84406df1f09cc166db4b83c571848b784a3d6bdc346589a3e393f9e' },
  ];
  for (const v of vectors) {
    test(`${v.iterations} iteration(s), salt "${v.salt.toString('latin1').slice(0, 24)}"`, () => {
      assert.equal(aesStringToKey(v.password, v.salt, 16, v.iterations).toString('hex'), v.aes128);
      assert.equal(aesStringToKey(v.password, v.salt, 32, v.iterations).toString('hex'), v.aes256);
    });
  }
  test('the default iteration count is 4096, as AD uses', () => {
    assert.deepEqual(aesStringToKey('password', 'salt', 32), aesStringToKey('password', 'salt', 32, 4096));
    assert.notDeepEqual(aesStringToKey('password', 'salt', 32), aesStringToKey('password', 'salt', 32, 4095));
  });
});

describe('AD computer account salt (MS-KILE 3.1.1.2)', () => {
  test('<REALM>host<name lower-case>.<realm lower-case>, with or without the trailing $', () => {
    assert.equal(computerAccountSalt('amt.test', 'PC-0001'), 'AMT.TESThostpc-0001.amt.test');
    assert.equal(computerAccountSalt('AMT.TEST', 'PC-0001$'), 'AMT.TESThostpc-0001.amt.test');
  });
});

describe('realm of a base DN', () => {
  test('DC= components joined and upper-cased; other RDNs ignored; none is an error', () => {
    assert.equal(realmFromBaseDn('DC=amt,DC=test'), 'AMT.TEST');
    assert.equal(realmFromBaseDn('OU=x, dc=corp ,DC=Example,DC=com'), 'CORP.EXAMPLE.COM');
    assert.throws(() => realmFromBaseDn('O=acme'), /no DC= components/);
  });
});

describe('AMT_KerberosSettingData values', () => {
  const input = { realm: 'amt.test', netbiosName: 'PC-0001', password: 'S3cret-pass', keyVersion: 3 };
  test('AMT 8 and later: pass phrase, salt and iterations for AES128+AES256; no master key', () => {
    const s = amtKerberosSettings({ ...input, firmwareMajor: 11 });
    assert.equal(s.RealmName, 'AMT.TEST');
    assert.equal(s.KeyVersion, 3);
    assert.equal(s.Passphrase, 'S3cret-pass');
    assert.equal(s.Salt, 'AMT.TESThostpc-0001.amt.test');
    assert.equal(s.IterationCount, 4096);
    assert.deepEqual(s.ConfiguredEncryptionAlgorithms, [AMT_KERBEROS_ALGORITHM.aes128CtsHmacSha1, AMT_KERBEROS_ALGORITHM.aes256CtsHmacSha1]);
    assert.equal(s.MasterKey, undefined);
    assert.equal(s.EncryptionAlgorithm, undefined);
    assert.equal(directoryEncryptionTypesFor(11), 24);
  });
  test('before AMT 8: RC4-HMAC master key (base64 of 16 bytes), and the AD account must offer RC4 only', () => {
    const s = amtKerberosSettings({ ...input, firmwareMajor: 7 });
    assert.equal(s.EncryptionAlgorithm, 0);
    assert.deepEqual(Buffer.from(s.MasterKey ?? '', 'base64'), rc4HmacKey('S3cret-pass'));
    assert.equal(s.Passphrase, undefined);
    assert.equal(directoryEncryptionTypesFor(7), 4);
  });
});
