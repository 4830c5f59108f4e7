// Activity interceptor: turns the typed errors of the protocol and directory modules
// (anything carrying a stable `type` and a `retryable` flag) into Temporal ApplicationFailures
// with that type, so the workflow decides retry vs. give-up on the type alone.
import { ApplicationFailure } from '@temporalio/common';
import type { ActivityInboundCallsInterceptor, ActivityInterceptors } from '@temporalio/worker';

export interface TypedError extends Error {
  type: string;
  retryable: boolean;
}

export function isTypedError(err: unknown): err is TypedError {
  return err instanceof Error && typeof (err as Partial<TypedError>).type === 'string' && typeof (err as Partial<TypedError>).retryable === 'boolean';
}

export function toApplicationFailure(err: unknown): unknown {
  if (err instanceof ApplicationFailure) return err;
  if (isTypedError(err)) {
    return ApplicationFailure.create({ type: err.type, message: err.message, nonRetryable: !err.retryable });
  }
  return err;
}

const inbound: ActivityInboundCallsInterceptor = {
  async execute(input, next) {
    try {
      return await next(input);
    } catch (err) {
      throw toApplicationFailure(err);
    }
  },
};

export function failureMappingInterceptor(): ActivityInterceptors {
  return { inbound };
}
