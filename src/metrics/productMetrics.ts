// Every metric the product itself exports (docs/metrics.md lists them): one prom-client
// registry per process, and one function per event so label values stay bounded by the
// domain's own enums (drop reasons, stages, outcomes, LDAP result names). Never a UUID, a
// host name or anything secret as a label value: those belong in logs and the audit trail.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { DirectoryErrorType } from '../directory/errors';
import type { LdapResultName } from '../directory/ldapResults';
import type { ProvisioningMode, ProvisionInput, Stage } from '../workflows/definitions';

/** Why Temporal did not take a Hello (src/listener/startProvisioning.ts): the `result` label of amtprov_hellos_forwarded_total. */
export type ForwardFailure = 'resource-exhausted' | 'unavailable' | 'deadline-exceeded' | 'failed';

/** The process's registry; the metrics endpoint serves it (src/metrics/metricsServer.ts). */
export const productRegistry = new Registry();
const registers = [productRegistry];

/** How one activity attempt of a stage ended. */
export type StageOutcome = 'ok' | 'retryable-error' | 'final-error' | 'cancelled';
export type RunOutcome = 'Provisioned' | 'Failed';
export type CodecOperation = 'encode' | 'decode';
export type CodecFailureKind = 'unknown-key' | 'too-short' | 'authentication' | 'malformed' | 'encrypt-error';
export type CodecEndpointRejection =
  | 'bad-body' | 'unauthorized' | 'forbidden' | 'not-found' | 'method-not-allowed' | 'too-large' | 'unsupported-media-type' | 'internal';

function counter<L extends string>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> {
  return new Counter({ name, help, labelNames, registers });
}

const hellosReceived = counter(
  'amtprov_hellos_received_total',
  'Connections accepted on the Hello port (each carries at most one Hello); every one ends dropped or forwarded',
);
const hellosDropped = counter(
  'amtprov_hellos_dropped_total',
  'Hello connections dropped by the listener, by reason (policy, malformed:<parse reason>, transport)', ['reason'],
);
const hellosForwarded = counter(
  'amtprov_hellos_forwarded_total',
  'Valid Hellos handed to the device\'s run (signalWithStart): result ok, or why Temporal did not take it (resource-exhausted, unavailable, deadline-exceeded, failed)', ['result'],
);
const runsStarted = counter(
  'amtprov_runs_started_total',
  'Provisioning runs started (counted by the first attempt of their validate stage), by mode and trigger', ['mode', 'trigger'],
);
const runsFinished = counter(
  'amtprov_runs_finished_total',
  'Provisioning runs finished (counted by their report activity), by outcome and mode', ['outcome', 'mode'],
);
const stageDuration = new Histogram({
  name: 'amtprov_stage_duration_seconds',
  help: 'Duration of one activity attempt of a provisioning stage, by stage and outcome',
  labelNames: ['stage', 'outcome'] as const,
  // Device stages take from tens of milliseconds (emulator) to minutes (slow firmware, AD).
  buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
  registers,
});
const stageErrors = counter(
  'amtprov_stage_errors_total',
  'Failed activity attempts of a provisioning stage, by stage and the failure\'s stable type', ['stage', 'type'],
);
const digestRotations = counter(
  'amtprov_digest_rotations_total',
  'Digest credential rotations (seed step 5): accepted, or all-rejected when no configured credential worked', ['outcome'],
);
const digestRejectedBeforeAccept = new Histogram({
  name: 'amtprov_digest_rejected_before_accept',
  help: 'Credentials the device rejected before it accepted one, per accepted rotation',
  buckets: [0, 1, 2, 3, 5, 8],
  registers,
});
const directoryErrors = counter(
  'amtprov_directory_errors_total',
  'Failed directory sessions (bind and operations), by error type and LDAP result name (none: not an LDAP result)', ['type', 'ldap_result'],
);
const codecFailures = counter(
  'amtprov_codec_failures_total',
  'Payload codec failures, by operation (encode, decode) and kind', ['operation', 'kind'],
);
const codecUndecryptable = counter(
  'amtprov_codec_undecryptable_total',
  'Payloads this process could not decrypt because its codec key ring lacks their key, by the key id they name (a run whose history needs it is stuck)', ['key_id'],
);
/** Key ids become label values only while few and well-formed: a payload names any id it likes. */
const MAX_KEY_ID_LABELS = 32;
const keyIdLabels = new Set<string>();
function keyIdLabel(keyId: string): string {
  if (keyIdLabels.has(keyId)) return keyId;
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(keyId) || keyIdLabels.size >= MAX_KEY_ID_LABELS) return 'other';
  keyIdLabels.add(keyId);
  return keyId;
}
const codecEndpointRejected = counter(
  'amtprov_codec_endpoint_rejected_total',
  'Requests the Web UI codec endpoint refused before decoding, by reason', ['reason'],
);
const sdkMetricsUp = new Gauge({
  name: 'amtprov_sdk_metrics_up',
  help: '1 when the last scrape merged the Temporal SDK runtime\'s metrics in, 0 when the process has no SDK exporter or it did not answer',
  registers,
});

/** The events the product counts; each takes only bounded, typed label values. */
export const productMetrics = {
  helloReceived(): void { hellosReceived.inc(); },
  /** `reason` is the listener's HelloDropReason (a fixed set there, so the label stays bounded). */
  helloDropped(reason: string): void { hellosDropped.inc({ reason }); },
  helloForwarded(result: 'ok' | ForwardFailure): void { hellosForwarded.inc({ result }); },
  runStarted(mode: ProvisioningMode, trigger: ProvisionInput['trigger']): void { runsStarted.inc({ mode, trigger }); },
  runFinished(outcome: RunOutcome, mode: ProvisioningMode): void { runsFinished.inc({ outcome, mode }); },
  stageAttempt(stage: Stage, outcome: StageOutcome, seconds: number, errorType?: string): void {
    stageDuration.observe({ stage, outcome }, seconds);
    if (errorType !== undefined) stageErrors.inc({ stage, type: errorType });
  },
  digestAccepted(rejectedBefore: number): void {
    digestRotations.inc({ outcome: 'accepted' });
    digestRejectedBeforeAccept.observe(rejectedBefore);
  },
  digestAllRejected(): void { digestRotations.inc({ outcome: 'all-rejected' }); },
  directoryError(type: DirectoryErrorType, ldapResult: LdapResultName): void { directoryErrors.inc({ type, ldap_result: ldapResult }); },
  codecFailure(operation: CodecOperation, kind: CodecFailureKind): void { codecFailures.inc({ operation, kind }); },
  codecUndecryptable(keyId: string): void { codecUndecryptable.inc({ key_id: keyIdLabel(keyId) }); },
  codecEndpointRejected(reason: CodecEndpointRejection): void { codecEndpointRejected.inc({ reason }); },
  sdkMetricsMerged(merged: boolean): void { sdkMetricsUp.set(merged ? 1 : 0); },
};
