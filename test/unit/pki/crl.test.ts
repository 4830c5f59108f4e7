import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createCrl } from '../../../src/pki/crl';
import { createDemoPki } from '../../../src/pki/demoPki';
import type { RevokedDeviceCertificate } from '../../../src/site/certificateRevocations';

const pki = createDemoPki({ domain: 'amt.test' });
const revoked: RevokedDeviceCertificate[] = [
  { serialNumber: '7f3a09', computerUuid: 'u1', fingerprintSha256: 'aa'.repeat(32), subject: 'CN=pc1.amt.test', notAfter: '2027-12-01T00:00:00.000Z', reason: 'superseded', revokedAt: '2026-12-01T10:00:00.000Z' },
  // Top bit set: DER needs a leading zero byte to keep it positive.
  { serialNumber: 'c0ffee00112233', computerUuid: 'u2', fingerprintSha256: 'bb'.repeat(32), subject: 'CN=pc2.amt.test', notAfter: '2027-12-01T00:00:00.000Z', reason: 'keyCompromise', revokedAt: '2026-12-01T11:00:00.000Z' },
];

/** OpenSSL, an independent reader: verifies the signature against the CA and prints the entries. */
function openssl(crlPem: string, caPem: string): { status: number | null; out: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'amtprov-crl-'));
  try {
    writeFileSync(path.join(dir, 'crl.pem'), crlPem);
    writeFileSync(path.join(dir, 'ca.pem'), caPem);
    const run = spawnSync('openssl', ['crl', '-in', path.join(dir, 'crl.pem'), '-CAfile', path.join(dir, 'ca.pem'), '-noout', '-text'], { encoding: 'utf8' });
    return { status: run.status, out: `${run.stdout}${run.stderr}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('the CRL is signed by the issuing CA and lists each serial with its reason (read by OpenSSL)', () => {
  const crl = createCrl({ certPem: pki.issuingCa.certPem, keyPem: pki.issuingCa.keyPem }, revoked, {
    crlNumber: 2, thisUpdate: new Date('2026-12-01T12:00:00Z'), nextUpdate: new Date('2026-12-08T12:00:00Z'),
  });
  assert.match(crl, /^-----BEGIN X509 CRL-----/);
  const { status, out } = openssl(crl, pki.issuingCa.certPem);
  assert.equal(status, 0, out);
  assert.match(out, /verify OK/);
  assert.match(out, /Version 2/);
  assert.match(out, /Signature Algorithm: sha256WithRSAEncryption/);
  assert.match(out, /Serial Number: 7F3A09\s+Revocation Date: Dec {2}1 10:00:00 2026 GMT\s+CRL entry extensions:\s+X509v3 CRL Reason Code:\s+Superseded/);
  assert.match(out, /Serial Number: C0FFEE00112233[\s\S]*?Key Compromise/);
  assert.match(out, /X509v3 CRL Number:\s+2/);
  assert.match(out, /Next Update: Dec {2}8 12:00:00 2026 GMT/);
});

test('another CA\'s certificate does not verify it; an empty CRL is valid; next update must be later', () => {
  const issuer = { certPem: pki.issuingCa.certPem, keyPem: pki.issuingCa.keyPem };
  const when = { crlNumber: 1, thisUpdate: new Date('2026-12-01T12:00:00Z'), nextUpdate: new Date('2026-12-02T12:00:00Z') };
  assert.notEqual(openssl(createCrl(issuer, revoked, when), pki.root.certPem).status, 0);
  const empty = openssl(createCrl(issuer, [], when), pki.issuingCa.certPem);
  assert.equal(empty.status, 0, empty.out);
  assert.match(empty.out, /No Revoked Certificates/);
  assert.throws(() => createCrl(issuer, [], { ...when, nextUpdate: when.thisUpdate }), /next update must come after/);
});
