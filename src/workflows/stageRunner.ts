// Runs one provisioning stage with workflow-level retries, so the run itself knows the
// attempt number and last error (the `status` query shows them), an operator's `retry`
// cuts a backoff short, and a device that stays unreachable past its deadline ends the run.
import { ActivityFailure, ApplicationFailure, TimeoutFailure, isCancellation, condition } from '@temporalio/workflow';
import type { Stage, StageError } from './definitions';

export interface StageRetryPolicy {
  initialDelayMs: number;
  maxDelayMs: number;
  /** Give up (as DeviceUnreachable / DirectoryUnavailable...) once failures have lasted this long. */
  giveUpAfterMs: number;
}

export interface StageHooks {
  onAttempt(stage: Stage, attempt: number): void;
  onError(error: StageError): void;
  /** True once an operator asked to retry now. */
  retryRequested(): boolean;
  clearRetryRequest(): void;
}

/** A stage that cannot succeed: the run reports Failed with this reason. */
export class StageFailed extends Error {
  constructor(readonly error: StageError) {
    super(`${error.stage}: ${error.message}`);
    this.name = 'StageFailed';
  }
}

export function describeFailure(stage: Stage, err: unknown): StageError {
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

export async function runStage<T>(stage: Stage, policy: StageRetryPolicy, hooks: StageHooks, call: () => Promise<T>): Promise<T> {
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
