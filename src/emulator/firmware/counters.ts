// What a device counts and logs for tests and operators (control API). In memory only: kept
// across power cycles within one emulator process, reset when the process restarts.

/** Refusal reasons of the TLS server; one per rule of docs/amt-protocol.md section 3, plus transport cases. */
export type TlsRefusalReason =
  | 'no-client-certificate'
  | 'eku-or-ou'
  | 'chain'
  | 'root-trusted'
  | 'domain-suffix'
  | 'validity'
  | 'ca-key-size'
  | 'tls-disabled'
  | 'handshake-failed';

export interface TlsRefusal {
  at: string;
  peer: string;
  reason: TlsRefusalReason;
  /** Human-readable detail (certificate subjects, the suffix wanted); never secrets. */
  detail: string;
}

export interface DigestFailure {
  at: string;
  peer: string;
  kind: 'wrong-credentials' | 'unknown-user' | 'stale-nonce' | 'nc-replay' | 'malformed';
  username: string;
}

export interface DeviceCountersView {
  requestsServed: number;
  digestFailures: number;
  staleNonces: number;
  ncReplays: number;
  tlsAccepted: number;
  tlsRefused: number;
  hellosSent: number;
  helloSendErrors: number;
  droppedConnections: number;
  timingDelayMs: number;
  tlsRefusals: TlsRefusal[];
  digestFailureLog: DigestFailure[];
}

const LOG_LIMIT = 100;

function pushBounded<T>(log: T[], entry: T): void {
  log.push(entry);
  if (log.length > LOG_LIMIT) log.shift();
}

export class DeviceCounters {
  requestsServed = 0;
  /** Wrong password or unknown user (stale nonces and replays are counted apart). */
  digestFailures = 0;
  staleNonces = 0;
  ncReplays = 0;
  tlsAccepted = 0;
  tlsRefused = 0;
  hellosSent = 0;
  helloSendErrors = 0;
  droppedConnections = 0;
  /** Milliseconds the timing profile made this device wait in all (requests, handshakes, key generation, commit, TLS restart). */
  timingDelayMs = 0;
  private readonly tlsRefusals: TlsRefusal[] = [];
  private readonly digestFailureLog: DigestFailure[] = [];

  recordTlsRefusal(peer: string, reason: TlsRefusalReason, detail: string): void {
    this.tlsRefused += 1;
    pushBounded(this.tlsRefusals, { at: new Date().toISOString(), peer, reason, detail });
  }

  recordDigestFailure(peer: string, kind: DigestFailure['kind'], username: string): void {
    if (kind === 'stale-nonce') this.staleNonces += 1;
    else if (kind === 'nc-replay') this.ncReplays += 1;
    else this.digestFailures += 1;
    pushBounded(this.digestFailureLog, { at: new Date().toISOString(), peer, kind, username });
  }

  view(): DeviceCountersView {
    return {
      requestsServed: this.requestsServed,
      digestFailures: this.digestFailures,
      staleNonces: this.staleNonces,
      ncReplays: this.ncReplays,
      tlsAccepted: this.tlsAccepted,
      tlsRefused: this.tlsRefused,
      hellosSent: this.hellosSent,
      helloSendErrors: this.helloSendErrors,
      droppedConnections: this.droppedConnections,
      timingDelayMs: this.timingDelayMs,
      tlsRefusals: [...this.tlsRefusals],
      digestFailureLog: [...this.digestFailureLog],
    };
  }
}
