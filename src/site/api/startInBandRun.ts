// Hands an accepted in-band request to Temporal (docs/amt-protocol.md section 7, step 3) through
// the one run-control module (src/runs/runControl.ts): the same workflow id as out-of-band
// (`amt-provision-<uuid>`), in `in-band` mode; a running run absorbs the request as a signal.
import type { Client } from '@temporalio/client';
import { RunControl } from '../../runs/runControl';
import { TASK_QUEUE } from '../../workflows/definitions';

export interface InBandRunRequest {
  uuid: string;
  /** The computer's FQDN in the site store. */
  hostname: string;
  /** Where the run reaches the device: the agent's TCP peer address. */
  address: string;
  trustedRootHashes: string[];
}

/** Starts (or signals) the device's run; resolves with its workflow id. */
export type InBandRunStarter = (request: InBandRunRequest) => Promise<string>;

export function inBandRunStarter(client: Client, taskQueue = TASK_QUEUE): InBandRunStarter {
  const runs = new RunControl(client, taskQueue);
  // No OTP and no hash here: the run reads the hash from the site store's vault.
  return async (request) => (await runs.fromAgent(request)).workflowId;
}
