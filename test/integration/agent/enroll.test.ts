// `amtprov agent enroll` through its command, on a real site store: the files an agent gets
// (0600, a key matching a clientAuth certificate from the site issuing CA, the CA chain),
// the binding to one computer, the audit record, and the refusals (existing files without
// --force, a bad name, no --computer); `agent revoke`, `agent list` and `agent clear-in-band`.
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
  before(async () => {
    site = await openTestSite();
    out = mkdtempSync(path.join(os.tmpdir(), 'amtprov-enroll-'));
    process.env.AMTPROV_MASTER_KEY = site.masterKeyRing;
    process.env.AMTPROV_OPERATOR = 'enroll-test';
  });
  after(async () => {
    await site?.close();
    if (out) rmSync(out, { recursive: true, force: true });
  });

  async function agentCommand(sub: string, ...args: string[]): Promise<{ code: number; stdout: string[]; stderr: string[] }> {
    const stdout: string[] = [];
    const stderr: string[] = [];
    const code = await runAgentCommand([sub, ...args, '--db', site.dbFile], { out: (l) => stdout.push(l), err: (l) => stderr.push(l) });
    return { code, stdout, stderr };
  }
  const enroll = (...args: string[]) => agentCommand('enroll', ...args);

  test('writes a clientAuth certificate from the issuing CA, its key and the CA chain, all 0600, and audits it', async () => {
    const dir = path.join(out, 'pc0042');
    const result = await enroll('pc0042.amt.test', '--computer', 'PC0042.amt.test', '--out', dir);
    assert.equal(result.code, 0, result.stderr.join('\n'));
    for (const name of ['agent.cert.pem', 'agent.key.pem', 'site-ca.pem']) assert.equal(statSync(path.join(dir, name)).mode & 0o777, 0o600, name);
    const cert = new X509Certificate(readFileSync(path.join(dir, 'agent.cert.pem')));
    assert.equal(cert.subject, 'CN=pc0042.amt.test');
    assert.deepEqual(cert.keyUsage, [CLIENT_AUTH_OID]);
    assert.equal(cert.subjectAltName, 'DNS:pc0042.amt.test');
    assert.deepEqual([(await site.store.agents.bySerial(cert.serialNumber))?.fqdn, (await site.store.agents.bySerial(cert.serialNumber))?.uuid], ['pc0042.amt.test', null]);
    assert.ok(cert.checkIssued(new X509Certificate(site.pki.issuingCa.certPem)));
    assert.ok(cert.checkPrivateKey(createPrivateKey(readFileSync(path.join(dir, 'agent.key.pem')))));
    assert.equal(readFileSync(path.join(dir, 'site-ca.pem'), 'utf8'), site.pki.issuingCa.certPem + site.pki.root.certPem);
    const [record] = await site.store.audit.recent(1);
    assert.deepEqual([record.actor, record.action, record.detail?.name, record.detail?.fingerprintSha256],
      ['operator:enroll-test', 'agent.enroll', 'pc0042.amt.test', cert.fingerprint256.replace(/:/g, '').toLowerCase()]);
    assert.match(result.stdout[0], /^enrolled agent pc0042\.amt\.test for pc0042\.amt\.test \(certificate sha256 [0-9a-f]{64}, valid until /);
  });

  test('refuses to overwrite without --force, and replaces with it', async () => {
    const dir = path.join(out, 'again');
    assert.equal((await enroll('again', '--computer', 'again.amt.test', '--out', dir)).code, 0);
    const first = readFileSync(path.join(dir, 'agent.key.pem'), 'utf8');
    const refused = await enroll('again', '--computer', 'again.amt.test', '--out', dir);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr.join(), /already in .*; pass --force to replace/);
    assert.equal(readFileSync(path.join(dir, 'agent.key.pem'), 'utf8'), first);
    assert.equal((await enroll('again', '--computer', 'again.amt.test', '--out', dir, '--force')).code, 0);
    assert.notEqual(readFileSync(path.join(dir, 'agent.key.pem'), 'utf8'), first);
    // Enrolling a name again revokes what it replaced.
    assert.deepEqual((await site.store.agents.byName('again')).map((a) => a.revokedAt !== null), [true, false]);
  });

  test('usage errors: no name, a bad name, no --out, no --computer', async () => {
    const before = (await site.store.audit.recent(1000)).length;
    for (const [args, message] of [
      [['--out', out, '--computer', 'pc1.amt.test'], /an agent name is required/], [['bad name', '--out', out, '--computer', 'pc1.amt.test'], /agent name "bad name" must be/],
      [['pc1', '--computer', 'pc1.amt.test'], /--out <dir> is required/], [['pc1', '--out', out], /--computer <fqdn> is required: an agent speaks for one computer/],
    ] as const) {
      const result = await enroll(...args);
      assert.equal(result.code, 2);
      assert.match(result.stderr.join(), message);
    }
    assert.equal((await site.store.audit.recent(1000)).length, before);
  });

  test('revoke refuses the agent from its next request on; list shows binding and state; clear-in-band hands a computer back to out-of-band', async () => {
    assert.equal((await enroll('pc0077', '--computer', 'pc0077.amt.test', '--uuid', '{8D3C2F5E-0000-4000-8000-000000000077}', '--out', path.join(out, 'pc0077'))).code, 0);
    const [agent] = await site.store.agents.byName('pc0077');
    assert.equal(agent.uuid, '8d3c2f5e-0000-4000-8000-000000000077');
    const revoked = await agentCommand('revoke', 'pc0077');
    assert.equal(revoked.code, 0, revoked.stderr.join());
    assert.match(revoked.stdout[0], /revoked agent pc0077 \(1 enrolment\)/);
    assert.notEqual((await site.store.agents.byName('pc0077'))[0].revokedAt, null);
    assert.equal((await agentCommand('revoke', 'pc0077')).code, 1, 'nothing left to revoke');
    const list = await agentCommand('list');
    assert.ok(list.stdout[0].split('\n').some((l) => /^pc0077\s+pc0077\.amt\.test\s+8d3c2f5e-0000-4000-8000-000000000077\s+revoked /.test(l)));

    const computer = await site.store.computers.add({ uuid: '8d3c2f5e-0000-4000-8000-000000000078', netbiosName: 'PC0078', fqdn: 'pc0078.amt.test' });
    await site.store.computers.setDeviceFacts(computer.id, { inBandManaged: true });
    const cleared = await agentCommand('clear-in-band', 'PC0078');
    assert.equal(cleared.code, 0, cleared.stderr.join());
    assert.equal((await site.store.computers.get(computer.id)).inBandManaged, false);
    assert.equal((await site.store.audit.forComputer(computer.uuid)).at(-1)?.action, 'computer.in-band-cleared');
  });
});
