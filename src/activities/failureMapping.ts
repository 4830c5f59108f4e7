// Activity interceptor: turns every ProvisionerError (src/errors.ts) into a Temporal
// ApplicationFailure with its type, so the workflow decides retry vs. give-up on the type
// alone; and blanks out any secret the activity touched before the failure leaves the worker.
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import type { ActivityInboundCallsInterceptor, ActivityInterceptors } from '@temporalio/worker';
import { ProvisionerError } from '../errors';
import { redact, withSecretScope } from './secretScope';

export function toApplicationFailure(err: unknown): ApplicationFailure | CancelledFailure {
  // Cancellation must stay a cancellation for the worker to report it as such.
  if (err instanceof CancelledFailure) return err;
  if (err instanceof ApplicationFailure) {
    return ApplicationFailure.create({ type: err.type ?? 'Error', message: redact(err.message), nonRetryable: err.nonRetryable === true });
  }
  if (err instanceof ProvisionerError) {
    return ApplicationFailure.create({ type: err.type, message: redact(err.message), nonRetryable: !err.retryable });
  }
  // Unknown errors keep their class name as type and stay retryable; the stack is dropped
  // because library stacks can quote request data.
  const name = err instanceof Error ? err.name : 'Error';
  const message = err instanceof Error ? err.message : String(err);
  return ApplicationFailure.create({ type: name, message: redact(message), nonRetryable: false });
}

const inbound: ActivityInboundCallsInterceptor = {
  execute(input, next) {
    return withSecretScope(async () => {
      try {
        return await next(input);
      } catch (err) {
        throw toApplicationFailure(err);
      }
    });
  },
};

export function failureMappingInterceptor(): ActivityInterceptors {
  return { inbound };
}
