// Upserts the runs' search attributes (definitions.ts searchAttributes) from the facts a
// workflow learns as it goes; every workflow publishes the same keys the same way. Only
// values that differ from the run's current ones are sent: each upsert is a history event and
// a visibility write on the server, and most facts (uuid, mode, hostname) were set at start.
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import { upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
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
  const current = workflowInfo().typedSearchAttributes;
  const pairs: SearchAttributeUpdatePair[] = [];
  for (const [field, key] of Object.entries(searchAttributes) as [keyof SearchAttributeUpdate, (typeof searchAttributes)[keyof typeof searchAttributes]][]) {
    const value = update[field];
    if (value && current.get(key) !== value) pairs.push({ key, value });
  }
  if (pairs.length > 0) upsertSearchAttributes(pairs);
}
