import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { defaultDevStackConfigPath, parseDevStackConfig } from '../../../src/config/temporalDev';
import { devServerArgs, devServerDbFile } from '../../../src/stack/devServer';

const shipped = readFileSync(defaultDevStackConfigPath(), 'utf8');

test('the shipped temporal-dev.yaml is valid and becomes the dev server arguments', () => {
  const config = parseDevStackConfig(shipped, 'temporal-dev.yaml');
  const args = devServerArgs(config, '/tmp/t.sqlite', 'http://127.0.0.1:8234');
  assert.deepEqual(args.slice(0, 8), ['server', 'start-dev', '--ip', '127.0.0.1', '--port', '7233', '--ui-port', '8233']);
  for (const name of ['AmtUuid', 'AmtHostname', 'ProvisioningMode', 'ProvisioningStage', 'AmtStatus']) {
    assert.ok(args.includes(`${name}=Keyword`), name);
  }
  assert.ok(args.includes('--ui-codec-endpoint'));
  assert.ok(args.includes('history.maximumSignalsPerExecution=10000'));
  // The CLI turns the search-attribute refresh on unless told otherwise (issue 13: ~50 reads per run).
  assert.ok(args.includes('system.forceSearchAttributesCacheRefreshOnRead=false'));
  const pragmas = args.flatMap((arg, i) => (args[i - 1] === '--sqlite-pragma' ? [arg] : []));
  assert.deepEqual(pragmas, ['journal_mode=wal', 'synchronous=normal']);
});

test('a SQLite pragma outside the few the dev server is given is refused by name', () => {
  const text = shipped.replace('    synchronous: normal', '    synchronous: normal\n    locking_mode: exclusive');
  assert.throws(() => parseDevStackConfig(text, 'x.yaml'), /server\.sqlitePragmas\.locking_mode/);
  assert.throws(() => parseDevStackConfig(shipped.replace('synchronous: normal', "synchronous: 'off; drop'"), 'x.yaml'), /server\.sqlitePragmas\.synchronous/);
});

test('the dev server database lives in the data dir, so AMTPROV_DATA_DIR moves it with the codec key', () => {
  const config = parseDevStackConfig(shipped, 'temporal-dev.yaml');
  const saved = process.env.AMTPROV_DATA_DIR;
  process.env.AMTPROV_DATA_DIR = '/srv/amtprov-b';
  try {
    assert.equal(devServerDbFile(config), '/srv/amtprov-b/temporal.sqlite');
  } finally {
    if (saved === undefined) delete process.env.AMTPROV_DATA_DIR;
    else process.env.AMTPROV_DATA_DIR = saved;
  }
});

test('an unknown key is named, with its path', () => {
  const text = shipped.replace('  logLevel: warn', '  logLevel: warn\n  logLevle: info');
  assert.throws(() => parseDevStackConfig(text, 'x.yaml'), /x\.yaml: invalid configuration:\n {2}- unknown key\(s\) "server\.logLevle"/);
});

test('bad values are named by key', () => {
  assert.throws(() => parseDevStackConfig(shipped.replace('port: 7233', 'port: 70000'), 'x.yaml'), /server\.port: /);
  assert.throws(() => parseDevStackConfig(shipped.replace('logLevel: warn', 'logLevel: loud'), 'x.yaml'), /server\.logLevel: /);
  assert.throws(() => parseDevStackConfig(shipped.replace('AmtStatus: Keyword', 'AmtStatus: Text'), 'x.yaml'), /must declare AmtStatus as Keyword/);
  assert.throws(() => parseDevStackConfig(shipped.replace('uiPort: 8233', 'uiPort: 7233'), 'x.yaml'), /must all differ/);
  assert.throws(() => parseDevStackConfig('server: [', 'x.yaml'), /not valid YAML/);
});
