// Hands an accepted Hello to the device's provisioning run through the one run-control
// module (src/runs/runControl.ts): it starts the run, or a running run absorbs the Hello.
import type { Client } from '@temporalio/client';
import { RunControl } from '../runs/runControl';
import { TASK_QUEUE } from '../workflows/definitions';
import type { ProvisionRequest } from './helloListener';

export function helloToWorkflow(client: Client, taskQueue = TASK_QUEUE): (request: ProvisionRequest) => Promise<void> {
  const runs = new RunControl(client, taskQueue);
  return async (request) => {
    await runs.fromHello({
      uuid: request.uuid, hostname: request.hostname, address: request.peerAddress, trustedRootHashes: request.trustedRootHashes,
    }, request.retryCount);
  };
}
