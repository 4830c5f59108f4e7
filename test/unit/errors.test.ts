// Every failure the activities raise on purpose is a ProvisionerError with a stable type:
// the modules that define them are enumerated (a new error class there that forgets the base
// fails here), the activities themselves throw no plain Error, and each type string is pinned
// because workflows, metrics, dashboards and operators key on it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { toApplicationFailure } from '../../src/activities/failureMapping';
import * as amtErrors from '../../src/amt/errors';
import * as directoryErrors from '../../src/directory/errors';
import * as baseErrors from '../../src/errors';
import { ProvisionerError, ProvisioningRefused } from '../../src/errors';
import { realmFromBaseDn } from '../../src/directory/kerberos/amtKerberos';
import * as computers from '../../src/site/computers';
import * as vault from '../../src/site/vault';

const ERROR_MODULES = { amtErrors, directoryErrors, baseErrors, computers, vault };

test('every error class exported by the modules activities raise from extends ProvisionerError', () => {
  const classes = Object.entries(ERROR_MODULES).flatMap(([module, exports]) => Object.entries(exports)
    .filter(([, value]) => typeof value === 'function' && (value as { prototype?: unknown }).prototype instanceof Error)
    .map(([name, value]) => ({ name: `${module}.${name}`, value: value as { prototype: object } })));
  assert.ok(classes.length >= 20, `found only ${classes.length} error classes`);
  const strays = classes.filter(({ value }) => value !== ProvisionerError && !(value.prototype instanceof ProvisionerError)).map(({ name }) => name);
  assert.deepEqual(strays, []);
});

test('activities throw no plain Error and define no error class of their own', () => {
  const dir = path.join(__dirname, '../../src/activities');
  const offenders = readdirSync(dir).filter((f) => f.endsWith('.ts')).flatMap((file) => readFileSync(path.join(dir, file), 'utf8')
    .split('\n').map((line, i) => ({ line, at: `${file}:${i + 1}` }))
    .filter(({ line }) => /throw new Error\(|extends Error\b/.test(line)).map(({ at }) => at));
  assert.deepEqual(offenders, []);
});

test('each failure keeps its stable type and retryability through the failure mapping', () => {
  const cases: [ProvisionerError, string, boolean][] = [
    [new amtErrors.DeviceUnreachable('refused'), 'DeviceUnreachable', true],
    [new amtErrors.DeviceTlsFailed('handshake'), 'DeviceTlsFailed', true],
    [new amtErrors.DeviceCertificateChanged('aa', 'bb'), 'DeviceCertificateChanged', false],
    [new amtErrors.AllCredentialsRejected(['admin']), 'AllCredentialsRejected', false],
    [new amtErrors.DigestCredentialRejected('401'), 'DigestCredentialRejected', false],
    [new amtErrors.DigestProtocolError('stale'), 'DigestProtocolError', true],
    [new amtErrors.UnexpectedHttpStatus(503, '/wsman'), 'UnexpectedHttpStatus', true],
    [new amtErrors.UnexpectedHttpStatus(404, '/wsman'), 'UnexpectedHttpStatus', false],
    [new amtErrors.DeviceXmlRejected('DOCTYPE'), 'DeviceXmlRejected', false],
    [new amtErrors.DeviceStateUnexpected('no key pair'), 'DeviceStateUnexpected', true],
    [new amtErrors.AmtStatusError('AMT_SetupAndConfigurationService.CommitChanges', 0x2, 'PT_STATUS_NOT_READY'), 'AmtStatusError', true],
    [new amtErrors.AmtSoapFault('Get', 'Sender', undefined, 'bad'), 'AmtSoapFault', false],
    [new amtErrors.Pkcs12Invalid('passphrase'), 'Pkcs12Invalid', false],
    [new amtErrors.AmtRequestInvalid('user too long'), 'AmtRequestInvalid', false],
    [new amtErrors.HelloRejected('short', '3 bytes'), 'HelloRejected', false],
    [new directoryErrors.DirectoryError('DirectoryUnavailable', 'down', true), 'DirectoryUnavailable', true],
    [new directoryErrors.DirectoryError('SpnConflict', 'taken', false), 'SpnConflict', false],
    [new computers.ComputerNotFoundError('no computer with id 7'), 'ComputerNotFound', false],
    [new vault.VaultError('master key "k2" is not in the key ring'), 'VaultUnreadable', false],
    [new ProvisioningRefused('SiteNotConfigured', 'no directory'), 'SiteNotConfigured', false],
  ];
  for (const [err, type, retryable] of cases) {
    assert.deepEqual([err.type, err.retryable], [type, retryable], err.message);
    const failure = toApplicationFailure(err) as ApplicationFailure;
    assert.deepEqual([failure.type, failure.nonRetryable], [type, !retryable], err.message);
  }
});

test('misconfiguration found deep in a module fails under its own name', () => {
  assert.throws(() => realmFromBaseDn('OU=AMT'), (err: unknown) =>
    err instanceof directoryErrors.DirectoryError && err.type === 'DirectoryInputInvalid' && !err.retryable && /directory\.baseDn/.test(err.message));
});
