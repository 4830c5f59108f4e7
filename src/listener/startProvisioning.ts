// Hands a Hello to Temporal: one workflow id per device, so a running run absorbs the
// Hello as a signal and a finished (or failed) one is followed by a new run.
import type { Client } from '@temporalio/client';
import type { provisionDevice } from '../workflows';
import {
  helloSignal, provisioningWorkflowId, searchAttributes, TASK_QUEUE, type HelloSignal, type ProvisionInput,
} from '../workflows/definitions';
import type { ProvisionRequest } from './helloListener';

export function helloToWorkflow(client: Client, taskQueue = TASK_QUEUE): (request: ProvisionRequest) => Promise<void> {
  return async (request) => {
    const input: ProvisionInput = {
      uuid: request.uuid, mode: 'out-of-band', address: request.peerAddress,
      trustedRootHashes: request.trustedRootHashes, trigger: 'hello',
    };
    await client.workflow.signalWithStart<typeof provisionDevice, [HelloSignal]>('provisionDevice', {
      taskQueue,
      workflowId: provisioningWorkflowId(request.uuid),
      workflowIdConflictPolicy: 'USE_EXISTING',
      args: [input],
      signal: helloSignal,
      signalArgs: [{ retryCount: request.retryCount, peerAddress: request.peerAddress }],
      typedSearchAttributes: [
        { key: searchAttributes.uuid, value: request.uuid },
        { key: searchAttributes.mode, value: 'out-of-band' },
        { key: searchAttributes.status, value: 'Detected' },
      ],
    });
  };
}
