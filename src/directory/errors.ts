// Directory failures as one error class with a stable `type` and a `retryable` flag, so the
// provisioning activity can turn them into Temporal failures without knowing LDAP. LDAP
// result codes (RFC 4511) and transport errors are mapped here; messages never carry the
// passwords involved (scrubbed as a last line of defence).
import { ResultCodeError } from 'ldapts';
import { ProvisionerError } from '../errors';

export type DirectoryErrorType =
  /** Bind refused: wrong DN or password (LDAP 49). */
  | 'DirectoryCredentialsRejected'
  /** Bound, but not allowed to do this (LDAP 50). */
  | 'DirectoryAccessDenied'
  /** Server down, refused, timed out, busy (LDAP 51/52) or the connection broke: retry later. */
  | 'DirectoryUnavailable'
  /** The server's TLS certificate did not verify against the configured CA or name. */
  | 'DirectoryCertificateRejected'
  /** The configured OU does not exist. */
  | 'OuNotFound'
  /** One of the account's SPNs is already registered on another object (LDAP 19). */
  | 'SpnConflict'
  /** The computer's name is taken by an object that is not this computer's account. */
  | 'AccountNameConflict'
  /** The computer's account exists outside the configured OU (see computerAccount.ts). */
  | 'AccountOutsideOu'
  /** Bad settings or input; names the field. */
  | 'DirectoryInputInvalid'
  /** Any other LDAP result. */
  | 'DirectoryOperationFailed';

export interface DirectoryErrorDetails {
  cause?: unknown;
  ldapCode?: number;
  field?: string;
  conflictingDn?: string;
}

export class DirectoryError extends ProvisionerError {
  readonly ldapCode?: number;
  readonly field?: string;
  readonly conflictingDn?: string;

  constructor(readonly type: DirectoryErrorType, message: string, readonly retryable: boolean, details: DirectoryErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.ldapCode = details.ldapCode;
    this.field = details.field;
    this.conflictingDn = details.conflictingDn;
  }
}

export function invalidInput(field: string, problem: string): DirectoryError {
  return new DirectoryError('DirectoryInputInvalid', `${field}: ${problem}`, false, { field });
}

/** Certificate verification failures reported by Node's TLS layer. */
const CERTIFICATE_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE', 'CERT_UNTRUSTED', 'CERT_REVOKED', 'ERR_TLS_CERT_ALTNAME_INVALID',
]);

const NETWORK_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE',
  'ECONNABORTED', 'ERR_SSL_WRONG_VERSION_NUMBER', 'ERR_SOCKET_CLOSED',
]);

/** ldapts reports lost connections and its own timeouts as plain Errors with these messages. */
const TRANSPORT_MESSAGE = /^(Connection timeout|Socket error|Connection closed before message response|\w+: Operation timed out|Socket connection not established)/;

/** LDAP result codes a later attempt may well get past: busy (51), unavailable (52), time limit (3). */
const TRANSIENT_CODES = new Set([3, 51, 52]);

export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret) out = out.split(secret).join('***');
  return out;
}

/**
 * Maps an error from ldapts or the socket below it. `doing` says what was attempted
 * (e.g. "bind as CN=svc,..." or "add CN=PC1,OU=AMT,..."); `secrets` are removed from messages.
 */
export function toDirectoryError(err: unknown, doing: string, secrets: readonly string[]): DirectoryError {
  if (err instanceof DirectoryError) return err;
  const raw = err instanceof Error ? err.message : String(err);
  const detail = scrub(raw.trim().split('\n')[0] ?? '', secrets);
  if (err instanceof ResultCodeError) {
    const base = `${doing} failed: ${detail} (LDAP ${err.code})`;
    if (err.code === 49) return new DirectoryError('DirectoryCredentialsRejected', `${doing} failed: the directory rejected the bind credentials (LDAP 49)`, false, { cause: err, ldapCode: 49 });
    if (err.code === 50) return new DirectoryError('DirectoryAccessDenied', base, false, { cause: err, ldapCode: 50 });
    if (TRANSIENT_CODES.has(err.code)) return new DirectoryError('DirectoryUnavailable', base, true, { cause: err, ldapCode: err.code });
    return new DirectoryError('DirectoryOperationFailed', base, false, { cause: err, ldapCode: err.code });
  }
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code && CERTIFICATE_CODES.has(code)) {
    return new DirectoryError('DirectoryCertificateRejected',
      `${doing} failed: the directory's TLS certificate was rejected (${code}: ${detail}); check the CA certificate and server name in the directory settings`,
      false, { cause: err });
  }
  if ((code && NETWORK_CODES.has(code)) || TRANSPORT_MESSAGE.test(raw)) {
    return new DirectoryError('DirectoryUnavailable', `${doing} failed: directory unreachable (${code ?? detail})`, true, { cause: err });
  }
  // Unknown failures keep Temporal's default (retry) rather than ending a run on a guess.
  return new DirectoryError('DirectoryOperationFailed', `${doing} failed: ${detail}`, true, { cause: err });
}
