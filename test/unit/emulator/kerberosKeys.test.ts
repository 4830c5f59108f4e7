// The emulator's own RFC 3962 string-to-key, against the RFCs' published vectors:
// RFC 3961 appendix A.1 (n-fold) and RFC 3962 appendix B (AES128 / AES256 keys).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { aesKerberosKey, computerAccountSaltFor, nFold } from '../../../src/emulator/crypto/kerberosKeys';

const hex = (text: string): string => text.replace(/\s+/g, '').toLowerCase();

void describe('n-fold (RFC 3961 A.1)', () => {
  const vectors: [string, number, string][] = [
    ['012345', 64, 'be072631276b1955'],
    ['password', 56, '78a07b6caf85fa'],
    ['Rough Consensus, and Running Code', 64, 'bb6ed30870b7f0e0'],
    ['password', 168, '59e4a8ca7c0385c3c37b3f6d2000247cb6e6bd5b3e'],
    ['MASSACHVSETTS INSTITVTE OF TECHNOLOGY', 192, 'db3b0d8f0b061e603282b308a50841229ad798fab9540c1b'],
    ['Q', 168, '518a54a2 15a8452a 518a54a2 15a8452a 518a54a2 15'],
    ['ba', 168, 'fb25d531 ae897449 9f52fd92 ea9857c4 ba24cf29 7e'],
    ['kerberos', 64, '6b657262 65726f73'],
    ['kerberos', 128, '6b657262 65726f73 7b9b5b2b 93132b93'],
    ['kerberos', 168, '8372c236 344e5f15 50cd0747 e15d62ca 7a5a3bce a4'],
    ['kerberos', 256, '6b657262 65726f73 7b9b5b2b 93132b93 5c9bdcda d95c9899 c4cae4de e6d6cae4'],
  ];
  for (const [input, bits, expected] of vectors) {
    void it(`${bits}-fold("${input}")`, () => {
      assert.equal(nFold(Buffer.from(input, 'ascii'), bits / 8).toString('hex'), hex(expected));
    });
  }
});

void describe('AES string-to-key (RFC 3962 appendix B)', () => {
  const raeburn = 'ATHENA.MIT.EDUraeburn';
  const vectors: { iterations: number; passphrase: string; salt: string | Buffer; aes128: string; aes256: string }[] = [
    { iterations: 1, passphrase: 'password', salt: raeburn, aes128: '42263c6e89f4fc28b8df68ee09799f15', aes256: 'fe697b52bc0d3ce14432ba036a92e65bbb52280990a2fa27883998d72af30161' },
    { iterations: 2, passphrase: 'password', salt: raeburn, aes128: 'c651bf29e2300ac27fa469d693bdda13', aes256: 'a2e16d16b36069c135d5e9d2e25f896102685618b95914b467c67622225824ff' },
    { iterations: 1200, passphrase: 'password', salt: raeburn, aes128: '4c01cd46d632d01e6dbe230a01ed642a', aes256: '55a6ac740ad17b4846941051e1e8b0a7548d93b0ab30a8bc3ff16280382b8c2a' },
    { iterations: 5, passphrase: 'password', salt: Buffer.from('1234567878563412', 'hex'), aes128: 'e9b23d52273747dd5c35cb55be619d8e', aes256: '97a4e786be20d81a382d5ebc96d5909cabcdadc87ca48f574504159f16c36e31' },
    { iterations: 1200, passphrase: 'X'.repeat(64), salt: 'pass phrase equals block size', aes128: '59d1bb789a828b1aa54ef9c2883f69ed', aes256: '89adee3608db8bc71f1bfbfe459486b05618b70cbae22092534e56c553ba4b34' },
    { iterations: 1200, passphrase: 'X'.repeat(65), salt: 'pass phrase exceeds block size', aes128: 'cb8005dc5f90179a7f02104c0018751d', aes256: 'd78c5c9cb872a8c9dad4697f0bb5b2d21496c82beb2caeda2112fceea057401b' },
    { iterations: 50, passphrase: '\u{1D11E}', salt: 'EXAMPLE.COMpianist', aes128: 'f149c1f2e154a73452d43e7fe62a56e5', aes256: '4b6d9839f84406df1f09cc166db4b83c571848b784a3d6bdc346589a3e393f9e' },
  ];
  for (const v of vectors) {
    void it(`${v.iterations} iteration(s), ${v.passphrase.length > 8 ? `${v.passphrase.length} x "X"` : `"${v.passphrase}"`}`, async () => {
      assert.equal((await aesKerberosKey(v.passphrase, v.salt, 16, v.iterations)).toString('hex'), v.aes128);
      assert.equal((await aesKerberosKey(v.passphrase, v.salt, 32, v.iterations)).toString('hex'), v.aes256);
    });
  }

  void it('refuses an iteration count below 1', async () => {
    await assert.rejects(aesKerberosKey('password', raeburn, 16, 0), /iteration count/);
  });
});

void describe('computer account salt (MS-KILE 3.1.1.2)', () => {
  void it('is REALM + "host" + host name + "." + realm, cased as AD does', () => {
    assert.equal(computerAccountSaltFor('corp.example.com', 'PC-042'), 'CORP.EXAMPLE.COMhostpc-042.corp.example.com');
  });
});
