// Names and shapes shared by the workflow and every process that talks to it (listener,
// site server, CLI): workflow id, signals, queries, search attributes. No secrets ever travel
// through these; activities resolve references (computer id, credential id) from the site store.
import { defineQuery, defineSignal } from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType, type SearchAttributePair } from '@temporalio/common';

export const TASK_QUEUE = 'amt-provisioning';

/** One workflow id per device: repeated Hellos reach the running workflow, never a second run. */
export function provisioningWorkflowId(uuid: string): string {
  return `amt-provision-${uuid}`;
}

export type ProvisioningMode = 'out-of-band' | 'in-band';

export type Stage = 'validate' | 'tls' | 'digest' | 'identity' | 'directory' | 'phase1' | 'phase2' | 'report' | 'done';

/** AMT status as ConfigMgr reports it, also the AmtStatus search attribute (src/site/schema.ts AMT_STATUSES). */
export type AmtStatus = 'Unknown' | 'Not Supported' | 'Detected' | 'Not Provisioned' | 'Provisioned' | 'Externally Provisioned' | 'Failed';

export interface ProvisionInput {
  uuid: string;
  mode: ProvisioningMode;
  /** Where the device answers (the Hello's TCP peer, or the agent's host address). */
  address: string;
  /** Root certificate hashes (lowercase hex) the device trusts, from its Hello or its agent. */
  trustedRootHashes: string[];
  /** What started the run, for the audit trail. */
  trigger: 'hello' | 'agent' | 'operator';
}

export interface HelloSignal {
  retryCount: number;
  peerAddress: string;
}

/** An in-band agent's request reached the site server (docs/amt-protocol.md section 7, step 3). */
export interface AgentRequestSignal {
  /** The agent's TCP peer address: the device's, as host OS and AMT share the NIC. */
  peerAddress: string;
}

export interface StageError<S extends string = Stage> {
  stage: S;
  /** Stable failure type, e.g. AllCredentialsRejected, DeviceUnreachable. */
  type: string;
  message: string;
  nonRetryable: boolean;
}

export interface ProvisioningStatus {
  uuid: string;
  mode: ProvisioningMode;
  stage: Stage;
  /** Attempt number within the current stage (1 = first try). */
  attempt: number;
  hellosAbsorbed: number;
  /** In-band requests from the device's agent received while this run existed. */
  agentRequests: number;
  /** Signals whose payload was not encrypted with a site codec key: ignored, counted here. */
  untrustedSignals: number;
  /**
   * A newer address a Hello named during the run. The run moves there only when its current
   * address stops answering, and the device there must then prove to be the pinned one.
   */
  candidateAddress?: string;
  address: string;
  hostname?: string;
  lastError?: StageError;
  outcome?: 'Provisioned' | 'Failed';
}

export interface ProvisionResult {
  uuid: string;
  outcome: 'Provisioned';
  hostname: string;
  directoryDn: string;
}

export const helloSignal = defineSignal<[HelloSignal]>('hello');
export const agentRequestSignal = defineSignal<[AgentRequestSignal]>('agentRequest');
/** Operator: stop waiting for the backoff and try the current stage again now. */
export const retrySignal = defineSignal<[]>('retry');
export const statusQuery = defineQuery<ProvisioningStatus>('status');

export const searchAttributes = {
  uuid: defineSearchAttributeKey('AmtUuid', SearchAttributeType.KEYWORD),
  hostname: defineSearchAttributeKey('AmtHostname', SearchAttributeType.KEYWORD),
  mode: defineSearchAttributeKey('ProvisioningMode', SearchAttributeType.KEYWORD),
  stage: defineSearchAttributeKey('ProvisioningStage', SearchAttributeType.KEYWORD),
  status: defineSearchAttributeKey('AmtStatus', SearchAttributeType.KEYWORD),
} as const;

/**
 * What every provisioning run starts with (the listener, the site server, an operator's retry,
 * an unprovision's reprovision): findable before its first workflow task, and the workflow's
 * own first publish (validate, Detected) then has nothing left to send.
 */
export function provisioningStartAttributes(device: { uuid: string; hostname: string; mode: ProvisioningMode }): SearchAttributePair[] {
  return [
    { key: searchAttributes.uuid, value: device.uuid },
    { key: searchAttributes.hostname, value: device.hostname },
    { key: searchAttributes.mode, value: device.mode },
    { key: searchAttributes.stage, value: 'validate' },
    { key: searchAttributes.status, value: 'Detected' },
  ];
}
