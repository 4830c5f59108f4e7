// Hands an accepted Hello to the device's provisioning run through the one run-control
// module (src/runs/runControl.ts): it starts the run, or a running run absorbs the Hello.
import { isGrpcServiceError, type Client } from '@temporalio/client';
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

/** Why Temporal did not take a Hello: a fixed set (the `result` label of amtprov_hellos_forwarded_total). */
export type ForwardFailure = 'resource-exhausted' | 'unavailable' | 'deadline-exceeded' | 'failed';

/** gRPC status codes (fixed by the gRPC spec; @grpc/grpc-js is only a transitive dependency here). */
const REFUSALS = new Map<number, ForwardFailure>([
  [4, 'deadline-exceeded'],
  [8, 'resource-exhausted'],
  [14, 'unavailable'],
]);

/** The gRPC status of a failed call (the SDK wraps it in ServiceError causes), as a reason. */
export function forwardFailure(err: unknown): ForwardFailure {
  for (let cause = err, depth = 0; cause && depth < 5; cause = (cause as { cause?: unknown }).cause, depth++) {
    if (isGrpcServiceError(cause)) return REFUSALS.get(cause.code) ?? 'failed';
  }
  return 'failed';
}
