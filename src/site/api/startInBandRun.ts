// Hands an accepted in-band request to Temporal (AMT-PROTOCOL.md section 7, step 3): the
// same workflow id as out-of-band (`amt-provision-<uuid>`), in `in-band` mode. A run already
// going for the device absorbs the request as a signal instead of a second run starting.
import type { Client } from '@temporalio/client';
import type { provisionDevice } from '../../workflows';
import {
  agentRequestSignal, provisioningWorkflowId, searchAttributes, TASK_QUEUE, type AgentRequestSignal, type ProvisionInput,
} from '../../workflows/definitions';

export interface InBandRunRequest {
  uuid: string;
  /** Where the run reaches the device: the agent's TCP peer address. */
  address: string;
  trustedRootHashes: string[];
}

/** Starts (or signals) the device's run; resolves with its workflow id. */
export type InBandRunStarter = (request: InBandRunRequest) => Promise<string>;

export function inBandRunStarter(client: Client, taskQueue = TASK_QUEUE): InBandRunStarter {
  return async (request) => {
    const workflowId = provisioningWorkflowId(request.uuid);
    // No OTP and no hash here: the run reads the hash from the site store's vault.
    const input: ProvisionInput = {
      uuid: request.uuid, mode: 'in-band', address: request.address, trustedRootHashes: request.trustedRootHashes, trigger: 'agent',
    };
    await client.workflow.signalWithStart<typeof provisionDevice, [AgentRequestSignal]>('provisionDevice', {
      taskQueue,
      workflowId,
      workflowIdConflictPolicy: 'USE_EXISTING',
      args: [input],
      signal: agentRequestSignal,
      signalArgs: [{ peerAddress: request.address }],
      typedSearchAttributes: [
        { key: searchAttributes.uuid, value: request.uuid },
        { key: searchAttributes.mode, value: 'in-band' },
        { key: searchAttributes.status, value: 'Detected' },
      ],
    });
    return workflowId;
  };
}
