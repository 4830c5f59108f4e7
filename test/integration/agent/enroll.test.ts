// `amtprov agent enroll` through its command, on a real site store: the files an agent gets
// (0600, a key matching a clientAuth certificate from the site issuing CA, the CA chain),
// the audit record, and the refusals (existing files without --force, a bad name).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runAgentCommand } from '../../../src/cli/agent';
import { CLIENT_AUTH_OID } from '../../../src/site/api/apiCertificates';
import { openTestSite, type TestSite } from './support/agentHarness';

describe('amtprov agent enroll', () => {
  let site: TestSite;
  let out: string;
  before(() => {
    site = openTestSite();
    out = mkdtempSync(path.join(os.tmpdir(), 'amtprov-enroll-'));
    process.env.AMTPROV_MASTER_KEY = site.masterKeyRing;
    process.env.AMTPROV_OPERATOR = 'enroll-test';
  });
  after(() => {
    site?.close();
    if (out) rmSync(out, { recursive: true, force: true });
  });

  async function enroll(...args: string[]): Promise<{ code: number; stdout: string[]; stderr: string[] }> {
    const stdout: string[] = [];
    const stderr: string[] = [];
    const code = await runAgentCommand(['enroll', ...args, '--db', site.dbFile], { out: (l) => stdout.push(l), err: (l) => stderr.push(l) });
    return { code, stdout, stderr };
  }

  test('writes a clientAuth certificate from the issuing CA, its key and the CA chain, all 0600, and audits it', async () => {
    const dir = path.join(out, 'pc0042');
    const result = await enroll('pc0042.amt.test', '--out', dir);
    assert.equal(result.code, 0, result.stderr.join('\n'));
    for (const name of ['agent.cert.pem', 'agent.key.pem', 'site-ca.pem']) assert.equal(statSync(path.join(dir, name)).mode & 0o777, 0o600, name);
    const cert = new X509Certificate(readFileSync(path.join(dir, 'agent.cert.pem')));
    assert.equal(cert.subject, 'CN=pc0042.amt.test');
    assert.deepEqual(cert.keyUsage, [CLIENT_AUTH_OID]);
    assert.ok(cert.checkIssued(new X509Certificate(site.pki.issuingCa.certPem)));
    assert.ok(cert.checkPrivateKey(createPrivateKey(readFileSync(path.join(dir, 'agent.key.pem')))));
    assert.equal(readFileSync(path.join(dir, 'site-ca.pem'), 'utf8'), site.pki.issuingCa.certPem + site.pki.root.certPem);
    const [record] = site.store.audit.recent(1);
    assert.deepEqual([record.actor, record.action, record.detail?.name, record.detail?.fingerprintSha256],
      ['operator:enroll-test', 'agent.enroll', 'pc0042.amt.test', cert.fingerprint256.replace(/:/g, '').toLowerCase()]);
    assert.match(result.stdout[0], /^enrolled agent pc0042\.amt\.test \(certificate sha256 [0-9a-f]{64}, valid until /);
  });

  test('refuses to overwrite without --force, and replaces with it', async () => {
    const dir = path.join(out, 'again');
    assert.equal((await enroll('again', '--out', dir)).code, 0);
    const first = readFileSync(path.join(dir, 'agent.key.pem'), 'utf8');
    const refused = await enroll('again', '--out', dir);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr.join(), /already in .*; pass --force to replace/);
    assert.equal(readFileSync(path.join(dir, 'agent.key.pem'), 'utf8'), first);
    assert.equal((await enroll('again', '--out', dir, '--force')).code, 0);
    assert.notEqual(readFileSync(path.join(dir, 'agent.key.pem'), 'utf8'), first);
  });

  test('usage errors: no name, a bad name, no --out', async () => {
    const before = site.store.audit.recent(1000).length;
    for (const [args, message] of [[['--out', out], /an agent name is required/], [['bad name', '--out', out], /agent name "bad name" must be/], [['pc1'], /--out <dir> is required/]] as const) {
      const result = await enroll(...args);
      assert.equal(result.code, 2);
      assert.match(result.stderr.join(), message);
    }
    assert.equal(site.store.audit.recent(1000).length, before);
  });
});
