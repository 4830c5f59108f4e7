// Typed errors of the device protocol clients. Each has a stable `type` and a `retryable`
// flag so activities map them 1:1 to Temporal ApplicationFailures (type = failure type,
// retryable = !nonRetryable). Messages never carry secrets: credentials are named by id only.
// Class names equal the `type` strings, so stack traces and logs show the type.
import { ProvisionerError } from '../errors';

export abstract class AmtProtocolError extends ProvisionerError {}

export type HelloRejectionReason =
  | 'too-large' | 'short' | 'trailing-bytes' | 'bad-admin-flag'
  | 'unsupported-interface-version' | 'unknown-hash-algorithm' | 'hash-length-mismatch';

/** A Hello that does not parse exactly (docs/amt-protocol.md section 2); `reason` is stable for counting. */
export class HelloRejected extends AmtProtocolError {
  readonly type = 'HelloRejected';
  readonly retryable = false;
  constructor(readonly reason: HelloRejectionReason, detail: string) {
    super(`Hello rejected (${reason}): ${detail}`);
  }
}

/** The device could not be reached or the connection broke (refused, reset, timeout). */
export class DeviceUnreachable extends AmtProtocolError {
  readonly type = 'DeviceUnreachable';
  readonly retryable = true;
}

/** The TLS handshake with the device failed (e.g. the device refused our client certificate). */
export class DeviceTlsFailed extends AmtProtocolError {
  readonly type = 'DeviceTlsFailed';
  readonly retryable = true;
}

/** The device presents a certificate other than the pinned one and not one our site CA issued for it. */
export class DeviceCertificateChanged extends AmtProtocolError {
  readonly type = 'DeviceCertificateChanged';
  readonly retryable = false;
  constructor(readonly expectedSha256: string, readonly presentedSha256: string) {
    super(`device certificate changed: pinned SHA-256 ${expectedSha256}, presented ${presentedSha256}; an operator must reset the pin`);
  }
}

/** Every configured credential was rejected by the device's Digest authentication. */
export class AllCredentialsRejected extends AmtProtocolError {
  readonly type = 'AllCredentialsRejected';
  readonly retryable = false;
  constructor(readonly triedIds: string[]) {
    super(`all ${triedIds.length} configured credential(s) rejected by the device (tried ids: ${triedIds.join(', ') || 'none'})`);
  }
}

/** The credential of an established session was rejected (e.g. the password changed under us). */
export class DigestCredentialRejected extends AmtProtocolError {
  readonly type = 'DigestCredentialRejected';
  readonly retryable = false;
}

/** The device's HTTP/Digest exchange broke the protocol (bad challenge, endless stale nonces). */
export class DigestProtocolError extends AmtProtocolError {
  readonly type = 'DigestProtocolError';
  readonly retryable = true;
}

/** The device answered an HTTP status the protocol does not expect. 5xx other than SOAP faults may pass. */
export class UnexpectedHttpStatus extends AmtProtocolError {
  readonly type = 'UnexpectedHttpStatus';
  readonly retryable: boolean;
  constructor(readonly status: number, readonly path: string) {
    super(`device answered HTTP ${status} for ${path}`);
    this.retryable = status >= 500 || status === 429;
  }
}

/** The device contradicts what it just did (e.g. no key pair listed right after generating one); a new attempt starts over. */
export class DeviceStateUnexpected extends AmtProtocolError {
  readonly type = 'DeviceStateUnexpected';
  readonly retryable = true;
}

/** The device's XML was refused: DOCTYPE/entities, oversized, not well-formed, or not the expected shape. */
export class DeviceXmlRejected extends AmtProtocolError {
  readonly type = 'DeviceXmlRejected';
  readonly retryable = false;
}

/** PT_STATUS codes that clear up by themselves: worth a retry with backoff. */
const TRANSIENT_STATUS = new Set([0x2 /* NOT_READY */, 0x80d /* PKI_GENERATING_KEYS */, 0x822 /* OPERATION_IN_PROGRESS */, 0x81c /* BLOCKING_COMPONENT */]);

/**
 * A non-zero EOI `StatusCode` or WS-Man `ReturnValue`. `operation` is `<Service>.<Operation>`
 * (EOI) or `<Class>.<Method>` (WS-Man); `statusName` is the PT_STATUS (or CIM) name.
 */
export class AmtStatusError extends AmtProtocolError {
  readonly type = 'AmtStatusError';
  readonly retryable: boolean;
  constructor(readonly operation: string, readonly status: number, readonly statusName: string) {
    super(`${operation} failed: ${statusName} (${status})`);
    this.retryable = TRANSIENT_STATUS.has(status);
  }
}

/** A SOAP fault from the device (EOI or WS-Man), with its code/subcode and reason. */
export class AmtSoapFault extends AmtProtocolError {
  readonly type = 'AmtSoapFault';
  readonly retryable = false;
  constructor(readonly operation: string, readonly code: string, readonly subcode: string | undefined, readonly reason: string) {
    super(`${operation}: SOAP fault ${subcode ?? code}: ${reason}`);
  }
}

/** A PKCS#12 file that does not open with the passphrase or lacks a key and matching chain. */
export class Pkcs12Invalid extends AmtProtocolError {
  readonly type = 'Pkcs12Invalid';
  readonly retryable = false;
}

/** A request we refuse to build (e.g. a Digest username longer than AMT's 16 characters). */
export class AmtRequestInvalid extends AmtProtocolError {
  readonly type = 'AmtRequestInvalid';
  readonly retryable = false;
}
