import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { toApplicationFailure } from '../../../src/activities/failureMapping';
import { AllCredentialsRejected, DeviceUnreachable } from '../../../src/amt/errors';
import { remember, withSecretScope } from '../../../src/activities/secretScope';
import { ComputerNotFoundError } from '../../../src/site/computers';
import { VaultError } from '../../../src/site/vault';
import { describeFailure } from '../../../src/workflows/stageRunner';

test('ProvisionerErrors become ApplicationFailures with their type; retryable decides nonRetryable', () => {
  const final = toApplicationFailure(new AllCredentialsRejected(['admin', 'old']));
  assert.ok(final instanceof ApplicationFailure);
  assert.equal(final.type, 'AllCredentialsRejected');
  assert.equal(final.nonRetryable, true);
  const transient = toApplicationFailure(new DeviceUnreachable('refused'));
  assert.equal((transient as ApplicationFailure).nonRetryable, false);
  const unknown = toApplicationFailure(new TypeError('boom'));
  assert.equal((unknown as ApplicationFailure).type, 'TypeError');
  assert.equal((unknown as ApplicationFailure).nonRetryable, false);
  // Only the base class counts: a look-alike object is an unknown error, retried under its name.
  const lookalike = toApplicationFailure(Object.assign(new Error('x'), { type: 'AllCredentialsRejected', retryable: false })) as ApplicationFailure;
  assert.deepEqual([lookalike.type, lookalike.nonRetryable], ['Error', false]);
});

test('a computer missing from the store or an unreadable vault secret fails at once under its own type', () => {
  for (const [err, type] of [[new ComputerNotFoundError('no computer with id 7'), 'ComputerNotFound'], [new VaultError('master key "k2" is not in the key ring'), 'VaultUnreadable']] as const) {
    const failure = toApplicationFailure(err) as ApplicationFailure;
    assert.deepEqual([failure.type, failure.nonRetryable], [type, true]);
  }
});

test('cancellation stays a cancellation', () => {
  const cancelled = new CancelledFailure('cancelled');
  assert.equal(toApplicationFailure(cancelled), cancelled);
});

test('a secret the activity touched is blanked out of the failure message', async () => {
  const message = await withSecretScope(async () => {
    remember('S3cret!Pass');
    await Promise.resolve();
    return (toApplicationFailure(new Error('device said: bad password S3cret!Pass for admin')) as ApplicationFailure).message;
  });
  assert.equal(message, 'device said: bad password [redacted] for admin');
});

test('the workflow reads type and retryability from the failure chain', () => {
  const err = ApplicationFailure.create({ type: 'SpnConflict', message: 'HTTP/x:16992 is on CN=y', nonRetryable: true });
  assert.deepEqual(describeFailure('directory', err), { stage: 'directory', type: 'SpnConflict', message: 'HTTP/x:16992 is on CN=y', nonRetryable: true });
  assert.deepEqual(describeFailure('tls', new Error('odd')), { stage: 'tls', type: 'Error', message: 'odd', nonRetryable: false });
});
