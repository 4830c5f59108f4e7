// Upserts the runs' search attributes (definitions.ts searchAttributes) from the facts a
// workflow learns as it goes; every workflow publishes the same keys the same way.
import { upsertSearchAttributes } from '@temporalio/workflow';
import { searchAttributes, type AmtStatus } from './definitions';

export interface SearchAttributeUpdate {
  uuid?: string;
  mode?: string;
  hostname?: string;
  /** The workflow's stage (ProvisioningStage): provisioning, unprovision or discovery stage names. */
  stage?: string;
  status?: AmtStatus;
}

export function publishSearchAttributes(update: SearchAttributeUpdate): void {
  const pairs = [];
  if (update.uuid) pairs.push({ key: searchAttributes.uuid, value: update.uuid });
  if (update.mode) pairs.push({ key: searchAttributes.mode, value: update.mode });
  if (update.hostname) pairs.push({ key: searchAttributes.hostname, value: update.hostname });
  if (update.stage) pairs.push({ key: searchAttributes.stage, value: update.stage });
  if (update.status) pairs.push({ key: searchAttributes.status, value: update.status });
  upsertSearchAttributes(pairs);
}
