// Runs one provisioning stage with workflow-level retries, so the run itself knows the
// attempt number and last error (the `status` query shows them), an operator's `retry`
// cuts a backoff short, and a device that stays unreachable past its deadline ends the run.
import { ActivityFailure, ApplicationFailure, TimeoutFailure, isCancellation, condition, setHandler } from '@temporalio/workflow';
import { retrySignal, type Stage, type StageError } from './definitions';
import { publishSearchAttributes } from './searchAttributeUpdates';

export interface StageRetryPolicy {
  initialDelayMs: number;
  maxDelayMs: number;
  /** Give up (as DeviceUnreachable / DirectoryUnavailable...) once failures have lasted this long. */
  giveUpAfterMs: number;
}

/** Hooks for a workflow's stages; `S` is its stage names (provisionDevice's by default). */
export interface StageHooks<S extends string = Stage> {
  onAttempt(stage: S, attempt: number): void;
  onError(error: StageError<S>): void;
  /** True once an operator asked to retry now. */
  retryRequested(): boolean;
  clearRetryRequest(): void;
}

/**
 * The hooks every run uses: they keep its status (stage, attempt, last error) for the status
 * query, publish a new stage as ProvisioningStage, and take the operator's `retry` signal.
 * `changed` redraws what the UI shows; `onError` may act on an error first.
 */
export function statusStageHooks<S extends string>(
  status: { stage: S; attempt: number; lastError?: StageError<S> }, changed: () => void, onError?: (error: StageError<S>) => void,
): StageHooks<S> {
  let retryRequested = false;
  setHandler(retrySignal, () => { retryRequested = true; });
  return {
    onAttempt(stage, attempt) {
      if (stage !== status.stage) publishSearchAttributes({ stage });
      status.stage = stage;
      status.attempt = attempt;
      changed();
    },
    onError(error) {
      status.lastError = error;
      onError?.(error);
      changed();
    },
    retryRequested: () => retryRequested,
    clearRetryRequest() { retryRequested = false; },
  };
}

/** A stage that cannot succeed: the run reports Failed with this reason. */
export class StageFailed<S extends string = Stage> extends Error {
  constructor(readonly error: StageError<S>) {
    super(`${error.stage}: ${error.message}`);
    this.name = 'StageFailed';
  }
}

export function describeFailure<S extends string>(stage: S, err: unknown): StageError<S> {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof ApplicationFailure) {
    return { stage, type: cause.type ?? 'Error', message: cause.message, nonRetryable: cause.nonRetryable === true };
  }
  if (cause instanceof TimeoutFailure) {
    return { stage, type: 'ActivityTimeout', message: `activity timed out (${String(cause.timeoutType)})`, nonRetryable: false };
  }
  const message = cause instanceof Error ? cause.message : String(cause);
  return { stage, type: 'Error', message, nonRetryable: false };
}

export async function runStage<T, S extends string = Stage>(stage: S, policy: StageRetryPolicy, hooks: StageHooks<S>, call: () => Promise<T>): Promise<T> {
  let failingSince: number | undefined;
  for (let attempt = 1; ; attempt++) {
    hooks.onAttempt(stage, attempt);
    try {
      return await call();
    } catch (err) {
      if (isCancellation(err)) throw err;
      const error = describeFailure(stage, err);
      hooks.onError(error);
      if (error.nonRetryable) throw new StageFailed(error);
      const now = workflowNow();
      failingSince ??= now;
      if (now - failingSince >= policy.giveUpAfterMs) {
        // The give-up names the last real error (DeviceUnreachable, DirectoryUnavailable, ...), not a guess by stage.
        throw new StageFailed({
          stage, type: error.type, nonRetryable: true,
          message: `still failing after ${Math.round((now - failingSince) / 1000)} s (deadline ${Math.round(policy.giveUpAfterMs / 1000)} s); last error: ${error.message}`,
        });
      }
      const delay = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** (attempt - 1));
      // Back off, unless an operator asks to retry now.
      await condition(() => hooks.retryRequested(), delay);
      hooks.clearRetryRequest();
    }
  }
}

/** Workflow time in ms: the sandbox makes `Date` return the workflow task's time, so this replays identically. */
function workflowNow(): number {
  return new Date().getTime();
}
