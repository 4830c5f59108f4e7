// Why Temporal did not take a Hello the listener handed on, as a bounded reason for the
// metric and the log (the device's next Hello retries).
import { isGrpcServiceError } from '@temporalio/client';
import type { ForwardFailure } from '../metrics/productMetrics';

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
