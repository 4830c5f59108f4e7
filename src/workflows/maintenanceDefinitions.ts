// Names and shapes of the day-after workflows (unprovisionDevice, discoverAmtStatus) shared by
// the workflows and the processes that start them (amtprov, src/runs/maintenanceRuns.ts).
import { defineQuery } from '@temporalio/workflow';
import type { UnprovisionMode } from '../amt/wsmanSetup';
import type { DiscoveryResult } from '../activities/maintenanceTypes';
import type { StageError } from './definitions';

/** One removal per device at a time: a second start while one runs is refused. */
export function unprovisionWorkflowId(uuid: string): string {
  return `amt-unprovision-${uuid}`;
}

/** One discovery per computer (`amt-discover-<uuid>`), or one for the whole site (`amt-discover-all`). */
export function discoveryWorkflowId(uuid?: string): string {
  return `amt-discover-${uuid ?? 'all'}`;
}

export type UnprovisionStage = 'prepare' | 'device' | 'directory' | 'report' | 'reprovision' | 'done';

export interface UnprovisionInput {
  uuid: string;
  mode: UnprovisionMode;
  /** Start a new provisioning run once removed (default in ConfigMgr); false: --no-reprovision. */
  reprovision: boolean;
  /** How long a dark device is waited for; default the site's provisioningDeadline. */
  deadlineSeconds?: number;
}

export interface UnprovisionStatus {
  uuid: string;
  mode: UnprovisionMode;
  reprovision: boolean;
  stage: UnprovisionStage;
  attempt: number;
  hostname?: string;
  lastError?: StageError<UnprovisionStage>;
  outcome?: 'Not Provisioned' | 'Failed';
  /** The provisioning run started afterwards, if any. */
  reprovisionRunId?: string;
}

export interface UnprovisionResult {
  uuid: string;
  outcome: 'Not Provisioned';
  mode: UnprovisionMode;
  /** The device held no committed provisioning (maintenanceTypes.ts DeviceRemoval). */
  alreadyUnprovisioned: boolean;
  revokedSerials: string[];
  directoryAccountDeleted: boolean;
  /** Why no provisioning run was started, or the run that was. */
  reprovision: { started: true; workflowId: string; runId: string } | { started: false; reason: string };
}

export const unprovisionStatusQuery = defineQuery<UnprovisionStatus>('status');

export interface DiscoveryInput {
  /** One computer, or every computer in the site store. */
  uuid?: string;
  /** Child runs at once for the whole site (default 10). */
  concurrency?: number;
}

export interface DiscoveryProgress {
  total: number;
  done: number;
  byStatus: Record<string, number>;
  failed: number;
}

export interface DiscoverySummary {
  /** Over the whole site, also across continue-as-new. */
  counts: DiscoveryProgress;
  /** Each computer's result; a site of more than 500 computers continues as new, and then only the last batch's are here (all are in the store and audit log). */
  results: DiscoveryResult[];
  /** Computers whose discovery itself failed (their status is unchanged), with the reason. */
  failures: { uuid: string; reason: string }[];
}

export const discoveryProgressQuery = defineQuery<DiscoveryProgress>('progress');
