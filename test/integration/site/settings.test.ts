// `amtprov settings apply|show` on a real store: secrets from files and env go to the vault,
// show redacts them, re-applying replaces (and deletes) superseded secrets, and a bad file
// changes nothing.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import YAML from 'yaml';
import { runSettingsCommand } from '../../../src/cli/settings';
import { captureIo, siteFixture } from './helpers';
import { countRows } from '../../support/storeRows';

const fixture = siteFixture('settings');
void after(() => fixture.cleanup());

const file = (name: string, text: string) => {
  const full = path.join(fixture.dir, name);
  writeFileSync(full, text, { mode: 0o600 });
  return full;
};

async function settings(...argv: string[]) {
  const io = captureIo();
  const code = await runSettingsCommand([...argv, '--db', fixture.db], io);
  return { code, ...io };
}

async function secretCount(): Promise<number> {
  const store = await fixture.open();
  try {
    return await countRows(store, 'secrets');
  } finally {
    await store.close();
  }
}

const FULL = `
directory:
  url: ldaps://dc1.amt.test
  bindDn: CN=amtprov,CN=Users,DC=amt,DC=test
  bindPassword: { passwordEnv: SETTINGS_TEST_BIND }
  computerOu: OU=AMT,DC=amt,DC=test
  kerberosRealm: AMT.TEST
digestAccounts:
  - { username: admin, password: { passwordFile: first.pw } }
  - { username: admin, password: { passwordFile: second.pw } }
amt:
  configMgrBehaviour: SP1
  webConsole: false
  mebx: { policy: if-default, password: { passwordFile: mebx.pw } }
  userAcls:
    - { username: helpdesk, password: { passwordFile: helpdesk.pw }, access: any, realms: [Redirection, HardwareAsset] }
provisioningDeadline: 2h
`;

void describe('amtprov settings', () => {
  void it('apply seals the secrets, keeps Digest account order, and show redacts them', async () => {
    file('first.pw', 'First!Digest1\n');
    file('second.pw', 'Second!Digest2\n');
    file('mebx.pw', 'Mebx!Site1\n');
    file('helpdesk.pw', 'Help!Desk1\n');
    process.env.SETTINGS_TEST_BIND = 'bind-dn-password';
    const applied = await settings('apply', file('site.yaml', FULL));
    assert.equal(applied.code, 0, applied.stderr.join('\n'));

    const store = await fixture.open();
    try {
      const current = await store.settings.get();
      assert.equal(current.amt.configMgrBehaviour, 'SP1');
      assert.equal(current.amt.webConsole, false);
      assert.equal(current.amt.pingResponse, true, 'unset keys take the defaults');
      assert.equal(current.provisioningDeadline, 7200);
      assert.equal(await store.vault.getSecret(current.directory!.bindPassword), 'bind-dn-password');
      assert.equal(await store.vault.getSecret(current.amt.mebx.password!), 'Mebx!Site1');
      assert.deepEqual(await Promise.all(current.digestAccounts.map((a) => store.vault.getSecret(a.password))), ['First!Digest1', 'Second!Digest2']);
      assert.equal((await store.audit.recent(1))[0].action, 'settings.apply');
    } finally {
      await store.close();
    }

    const shown = await settings('show');
    assert.equal(shown.code, 0);
    const text = shown.stdout.join('\n');
    for (const secret of ['First!Digest1', 'Second!Digest2', 'Mebx!Site1', 'Help!Desk1', 'bind-dn-password']) assert.ok(!text.includes(secret), secret);
    assert.ok(!/vault:/.test(text), 'references are redacted too');
    const view = YAML.parse(text) as { settings: { directory: { bindPassword: string }; amt: { userAcls: { realms: string[] }[] } } };
    assert.equal(view.settings.directory.bindPassword, '(secret in vault)');
    assert.deepEqual(view.settings.amt.userAcls[0].realms, ['Redirection', 'HardwareAsset']);
  });

  void it('re-applying replaces the settings and deletes the superseded secrets', async () => {
    assert.equal(await secretCount(), 5);
    const applied = await settings('apply', file('small.yaml', 'digestAccounts:\n  - { username: admin, password: { passwordFile: second.pw } }\n'));
    assert.equal(applied.code, 0, applied.stderr.join('\n'));
    assert.equal(await secretCount(), 1);
    const store = await fixture.open();
    try {
      const current = await store.settings.get();
      assert.equal(current.directory, undefined);
      assert.equal(current.amt.configMgrBehaviour, 'SP2');
      assert.deepEqual(await Promise.all(current.digestAccounts.map((a) => store.vault.getSecret(a.password))), ['Second!Digest2']);
    } finally {
      await store.close();
    }
  });

  void it('a bad file is refused with every problem named by key, and changes nothing', async () => {
    const before = (await settings('show', '--json')).stdout.join('\n');
    const refused = await settings('apply', file('bad.yaml', `
digestAccounts:
  - { username: admin, password: { passwordFile: first.pw } }
  - { username: "bad,name", password: { passwordEnv: SETTINGS_TEST_UNSET } }
amt: { powerScheme: 300 }
`));
    assert.equal(refused.code, 1);
    assert.deepEqual(refused.stderr.slice(0, -1).map((l) => l.split(':')[0]).sort(),
      ['amt.powerScheme', 'digestAccounts.1.password', 'digestAccounts.1.username']);
    assert.match(refused.stderr.at(-1)!, /settings unchanged/);
    assert.equal((await settings('show', '--json')).stdout.join('\n'), before);
    assert.equal(await secretCount(), 1);
  });

  void it('usage errors', async () => {
    assert.equal((await settings('apply')).code, 2);
    assert.equal((await settings('frobnicate')).code, 2);
    assert.equal((await settings('apply', path.join(fixture.dir, 'missing.yaml'))).code, 1);
  });
});
