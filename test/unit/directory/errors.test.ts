// LDAP result codes and transport failures map to stable types and retry flags; passwords
// never reach a message.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  AlreadyExistsError, BusyError, ConstraintViolationError, InsufficientAccessError, InvalidCredentialsError, UnavailableError,
} from 'ldapts';
import { DirectoryError, scrub, toDirectoryError } from '../../../src/directory/errors';

function withCode(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

describe('LDAP result codes', () => {
  test('49 invalid credentials: DirectoryCredentialsRejected, not retryable, no server detail', () => {
    const e = toDirectoryError(new InvalidCredentialsError('80090308: LdapErr: data 52e'), 'bind as CN=svc', []);
    assert.equal(e.type, 'DirectoryCredentialsRejected');
    assert.equal(e.retryable, false);
    assert.equal(e.ldapCode, 49);
    assert.match(e.message, /^bind as CN=svc failed: the directory rejected the bind credentials/);
  });
  test('50 insufficient access: DirectoryAccessDenied, not retryable', () => {
    const e = toDirectoryError(new InsufficientAccessError('no'), 'add X', []);
    assert.deepEqual([e.type, e.retryable, e.ldapCode], ['DirectoryAccessDenied', false, 50]);
  });
  test('51 busy and 52 unavailable: DirectoryUnavailable, retryable', () => {
    for (const err of [new BusyError('busy'), new UnavailableError('down')]) {
      const e = toDirectoryError(err, 'search', []);
      assert.deepEqual([e.type, e.retryable], ['DirectoryUnavailable', true]);
    }
  });
  test('other codes: DirectoryOperationFailed with the code, not retryable', () => {
    for (const [err, code] of [[new ConstraintViolationError('x'), 19], [new AlreadyExistsError('y'), 68]] as const) {
      const e = toDirectoryError(err, 'modify', []);
      assert.deepEqual([e.type, e.retryable, e.ldapCode], ['DirectoryOperationFailed', false, code]);
      assert.match(e.message, new RegExp(`\\(LDAP ${code}\\)$`));
    }
  });
  test('a DirectoryError passes through unchanged', () => {
    const original = new DirectoryError('SpnConflict', 'taken', false);
    assert.equal(toDirectoryError(original, 'x', []), original);
  });
});

describe('transport failures', () => {
  test('refused, reset, timed out and lost connections are DirectoryUnavailable, retryable', () => {
    const cases = [
      withCode('connect ECONNREFUSED 127.0.0.1:636', 'ECONNREFUSED'),
      withCode('read ECONNRESET', 'ECONNRESET'),
      new Error('Connection timeout'),
      new Error('BindRequest: Operation timed out'),
      new Error('Connection closed before message response was received. Message type: SearchRequest (0x63)'),
    ];
    for (const err of cases) {
      const e = toDirectoryError(err, 'bind', []);
      assert.deepEqual([e.type, e.retryable], ['DirectoryUnavailable', true], err.message);
      assert.equal(e.cause, err);
    }
  });
  test('certificate verification failures are DirectoryCertificateRejected, not retryable', () => {
    for (const code of ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'ERR_TLS_CERT_ALTNAME_INVALID', 'CERT_HAS_EXPIRED', 'SELF_SIGNED_CERT_IN_CHAIN']) {
      const e = toDirectoryError(withCode('bad cert', code), 'bind', []);
      assert.deepEqual([e.type, e.retryable], ['DirectoryCertificateRejected', false], code);
      assert.match(e.message, new RegExp(code));
    }
  });
  test('unknown errors keep Temporal\'s default: retryable DirectoryOperationFailed', () => {
    const e = toDirectoryError(new TypeError('something odd'), 'search', []);
    assert.deepEqual([e.type, e.retryable], ['DirectoryOperationFailed', true]);
  });
});

describe('secrets', () => {
  test('passwords in server text are replaced before they reach a message', () => {
    const e = toDirectoryError(new ConstraintViolationError('password "Hunter2-xyz" rejected'), 'modify', ['Hunter2-xyz']);
    assert.ok(!e.message.includes('Hunter2-xyz'));
    assert.match(e.message, /\*\*\*/);
    assert.equal(scrub('a-b-a', ['a', '']), '***-b-***');
  });
});
