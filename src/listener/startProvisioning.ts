// Hands an accepted Hello to the device's provisioning run through the one run-control
// module (src/runs/runControl.ts): it starts the run, or a running run absorbs the Hello.
import type { Client } from '@temporalio/client';
import { RunControl } from '../runs/runControl';
import { TASK_QUEUE } from '../workflows/definitions';
import type { ProvisionRequest } from './helloListener';

/**
 * One signalWithStart, with the SDK's own retries of ResourceExhausted and Unavailable, may
 * take this long before it counts as failed: under overload a call slot must not be held
 * indefinitely, and the device's next Hello (a minute later) retries anyway.
 */
export const HELLO_CALL_DEADLINE_MS = 10_000;

export function helloToWorkflow(client: Client, taskQueue = TASK_QUEUE, deadlineMs = HELLO_CALL_DEADLINE_MS): (request: ProvisionRequest) => Promise<void> {
  const runs = new RunControl(client, taskQueue);
  return async (request) => {
    await client.connection.withDeadline(Date.now() + deadlineMs, () => runs.fromHello({
      uuid: request.uuid, hostname: request.hostname, address: request.peerAddress, trustedRootHashes: request.trustedRootHashes,
    }, request.retryCount));
  };
}
