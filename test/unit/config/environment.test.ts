// The config module: defaults, and errors that name the variable, its default and its roles;
// secrets never echoed; a role checks only what it reads, and hears every problem at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  checkConfig, codecKeyVariables, describeConfig, helloListen, logLevel, metricsListen, parseHostPort, shutdownGraceSeconds, temporalConfig,
} from '../../../src/config/environment';
import { loadDevStackConfig } from '../../../src/config/temporalDev';
import { ConfigError } from '../../../src/config/variables';
import { temporalSettings } from '../../../src/temporal/connection';

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `a ConfigError, got ${String(err)}`);
    return err.problems;
  }
  assert.fail('expected a ConfigError');
}

test('with no environment, Temporal is the dev server temporal-dev.yaml describes', () => {
  const dev = loadDevStackConfig().server;
  assert.deepEqual(temporalConfig({}), { address: `${dev.ip}:${dev.port}`, namespace: dev.namespace });
  assert.deepEqual(temporalConfig({ TEMPORAL_ADDRESS: 'temporal.example:7233', TEMPORAL_NAMESPACE: 'amt' }),
    { address: 'temporal.example:7233', namespace: 'amt' });
});

test('defaults of the listen addresses, grace and log level; an empty value counts as unset', () => {
  assert.deepEqual(helloListen({}), { host: '127.0.0.1', port: 9971 });
  assert.deepEqual(helloListen({ AMTPROV_HELLO_LISTEN: '' }), { host: '127.0.0.1', port: 9971 });
  assert.deepEqual(helloListen({ AMTPROV_HELLO_LISTEN: '[::]:9971' }), { host: '::', port: 9971 });
  assert.deepEqual(metricsListen(9466, {}), { host: '127.0.0.1', port: 9466 });
  assert.equal(metricsListen(9466, { AMTPROV_METRICS_LISTEN: '0' }), undefined);
  assert.equal(shutdownGraceSeconds({}), 30);
  assert.equal(shutdownGraceSeconds({ AMTPROV_SHUTDOWN_GRACE: '5' }), 5);
  assert.equal(logLevel({}), 'info');
});

test('a bad value is named with what is wrong, its default and the roles that read it', () => {
  assert.deepEqual(problemsOf(() => helloListen({ AMTPROV_HELLO_LISTEN: 'nine-nine-seven-one' })), [
    'AMTPROV_HELLO_LISTEN ("nine-nine-seven-one"): must be host:port (port 0-65535) (default 127.0.0.1:9971; read by listener, start)',
  ]);
  assert.match(problemsOf(() => shutdownGraceSeconds({ AMTPROV_SHUTDOWN_GRACE: '1.5' }))[0], /^AMTPROV_SHUTDOWN_GRACE \("1\.5"\): must be whole seconds \(default 30; read by listener, worker, site-server\)$/);
  assert.match(problemsOf(() => shutdownGraceSeconds({ AMTPROV_SHUTDOWN_GRACE: 'soon' }))[0], /must be a number of seconds/);
  assert.match(problemsOf(() => shutdownGraceSeconds({ AMTPROV_SHUTDOWN_GRACE: '7200' }))[0], /at most 3600/);
  assert.match(problemsOf(() => logLevel({ AMTPROV_LOG_LEVEL: 'loud' }))[0], /^AMTPROV_LOG_LEVEL \("loud"\): must be one of debug, info, warn, error \(default info;/);
  assert.match(problemsOf(() => temporalConfig({ TEMPORAL_ADDRESS: 'temporal' }))[0], /^TEMPORAL_ADDRESS \("temporal"\): must be host:port/);
  assert.match(problemsOf(() => temporalConfig({ TEMPORAL_NAMESPACE: 'a b' }))[0], /^TEMPORAL_NAMESPACE \("a b"\): must be a Temporal namespace name/);
});

test('Temporal credentials: the certificate and key go together, and an API key is not mixed with them; secrets are never echoed', () => {
  assert.deepEqual(problemsOf(() => temporalConfig({ TEMPORAL_TLS_CERT: '/etc/amtprov/client.pem' })), [
    'TEMPORAL_TLS_KEY (unset): must be set with TEMPORAL_TLS_CERT (default unset; read by listener, worker, site-server, operator)',
  ]);
  const problems = problemsOf(() => temporalConfig({ TEMPORAL_TLS_CERT: '/c', TEMPORAL_TLS_KEY: '/k', TEMPORAL_API_KEY: 'sekrit-api-key' }));
  assert.deepEqual(problems, ['TEMPORAL_API_KEY (set): set either it or TEMPORAL_TLS_CERT + TEMPORAL_TLS_KEY, not both (default unset; read by listener, worker, site-server, operator)']);
});

test('a key ring is the variable or its file, not both; the secret is not echoed', () => {
  const problems = problemsOf(() => codecKeyVariables({ AMTPROV_CODEC_KEY: 'k1:c2VjcmV0', AMTPROV_CODEC_KEY_FILE: '/etc/amtprov/codec.key' }));
  assert.equal(problems.length, 1);
  assert.match(problems[0], /^AMTPROV_CODEC_KEY \(set\): set either it or AMTPROV_CODEC_KEY_FILE, not both/);
  assert.ok(!problems[0].includes('c2VjcmV0'));
  assert.deepEqual(codecKeyVariables({ AMTPROV_DATA_DIR: '/srv/amtprov' }), { variable: 'AMTPROV_CODEC_KEY', file: '/srv/amtprov/keys/codec.key', fileGiven: false });
  assert.deepEqual(codecKeyVariables({ AMTPROV_CODEC_KEY_FILE: '/etc/amtprov/codec.key' }), { variable: 'AMTPROV_CODEC_KEY', file: '/etc/amtprov/codec.key', fileGiven: true });
});

test('a role is checked for what it reads, every problem at once', () => {
  const env = { AMTPROV_HELLO_LISTEN: 'x', AMTPROV_LOG_LEVEL: 'loud', AMTPROV_SHUTDOWN_GRACE: '-1' };
  const listener = problemsOf(() => checkConfig('listener', env));
  assert.deepEqual(listener.map((p) => p.split(' ')[0]), ['AMTPROV_HELLO_LISTEN', 'AMTPROV_SHUTDOWN_GRACE', 'AMTPROV_LOG_LEVEL']);
  // The worker does not read the hello listener's address: a bad one there is not its problem.
  assert.deepEqual(problemsOf(() => checkConfig('worker', env)).map((p) => p.split(' ')[0]), ['AMTPROV_SHUTDOWN_GRACE', 'AMTPROV_LOG_LEVEL']);
  assert.doesNotThrow(() => checkConfig('operator', { AMTPROV_HELLO_LISTEN: 'x' }));
});

test('a problem found by a check of several variables is filed under the variable it names; the others keep their values', () => {
  const shown = describeConfig('worker', { TEMPORAL_TLS_CERT: '/etc/amtprov/client.pem' });
  const of = (name: string) => shown.find((v) => v.name === name)!;
  assert.deepEqual([of('TEMPORAL_TLS_KEY').value, of('TEMPORAL_TLS_KEY').problems.length], ['invalid', 1]);
  assert.deepEqual([of('TEMPORAL_TLS_CERT').value, of('TEMPORAL_TLS_CERT').problems], ['/etc/amtprov/client.pem', []]);
  assert.match(of('TEMPORAL_ADDRESS').value, /^127\.0\.0\.1:7233 \(from .*temporal-dev\.yaml\)$/);
  assert.equal(shown.flatMap((v) => v.problems).length, 1);
});

test('the effective configuration shows secrets as set/unset and hides a database password', () => {
  const shown = new Map(describeConfig('worker', {
    TEMPORAL_ADDRESS: 't:7233', TEMPORAL_NAMESPACE: 'amt', TEMPORAL_API_KEY: 'sekrit-api-key', AMTPROV_MASTER_KEY: 'm:c2VjcmV0',
    AMTPROV_SITE_DB: 'postgres://amtprov:db-passw0rd@db.example/amtprov',
  }).map((v) => [v.name, v.value]));
  assert.equal(shown.get('TEMPORAL_API_KEY'), 'set');
  assert.equal(shown.get('AMTPROV_MASTER_KEY'), 'set');
  assert.equal(shown.get('AMTPROV_MASTER_KEY_FILE'), 'unused (AMTPROV_MASTER_KEY is set)');
  assert.equal(shown.get('AMTPROV_SITE_DB'), 'postgres://amtprov:***@db.example/amtprov');
  assert.equal(shown.get('AMTPROV_METRICS_LISTEN'), '127.0.0.1:9464');
  assert.ok(!shown.has('AMTPROV_HELLO_LISTEN'), 'the worker does not read it');
  assert.ok(![...shown.values()].some((v) => /sekrit|c2VjcmV0|db-passw0rd/.test(v)));
});

test('host:port parsing: names, IPv4, bracketed IPv6, port range', () => {
  assert.deepEqual(parseHostPort('temporal.example:7233'), { host: 'temporal.example', port: 7233 });
  assert.deepEqual(parseHostPort('[fd00::1]:0'), { host: 'fd00::1', port: 0 });
  for (const bad of ['fd00::1:7233', 'host:', ':7233', 'host:70000', 'host:12a', 'a b:1']) assert.equal(parseHostPort(bad), undefined, bad);
});

test('connection settings read the TLS files the variables name, and say which one is unreadable', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'amtprov-config-'));
  writeFileSync(path.join(dir, 'c.pem'), 'CERT');
  writeFileSync(path.join(dir, 'k.pem'), 'KEY');
  const mtls = temporalSettings(temporalConfig({ TEMPORAL_ADDRESS: 't:7233', TEMPORAL_TLS_CERT: path.join(dir, 'c.pem'), TEMPORAL_TLS_KEY: path.join(dir, 'k.pem') }));
  assert.deepEqual(mtls.connection.tls, { clientCertPair: { crt: Buffer.from('CERT'), key: Buffer.from('KEY') } });
  const apiKey = temporalSettings(temporalConfig({ TEMPORAL_ADDRESS: 't:7233', TEMPORAL_API_KEY: 'k' }));
  assert.equal(apiKey.connection.tls, true);
  assert.equal(apiKey.connection.apiKey, 'k');
  assert.throws(() => temporalSettings(temporalConfig({ TEMPORAL_ADDRESS: 't:7233', TEMPORAL_TLS_CA: path.join(dir, 'none.pem') })),
    /^Error: TEMPORAL_TLS_CA: cannot read .*none\.pem/);
});
