// Retrying the site server while it is unreachable: exponential backoff with a cap, bounded
// by a total time after which the agent gives up (and exits "site unreachable"). The clock
// is injectable so the schedule is unit-tested without waiting.
export interface RetryPolicy {
  initialDelayMs: number;
  maxDelayMs: number;
  /** No attempt starts later than this after the first one. */
  totalMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { initialDelayMs: 1_000, maxDelayMs: 30_000, totalMs: 300_000 };

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export interface RetryOutcome<T> {
  value: T;
  attempts: number;
}

/** Thrown when the budget is spent; `cause` is the last attempt's error. */
export class RetriesExhausted extends Error {
  override name = 'RetriesExhausted';
  constructor(
    readonly attempts: number,
    readonly elapsedMs: number,
    cause: unknown,
  ) {
    super(`gave up after ${attempts} attempt(s) in ${Math.round(elapsedMs / 1000)} s`, { cause });
  }
}

export async function withRetries<T>(
  attempt: () => Promise<T>,
  isRetryable: (err: unknown) => boolean,
  policy: RetryPolicy,
  options: { clock?: Clock; onRetry?: (err: unknown, attempt: number, delayMs: number) => void } = {},
): Promise<RetryOutcome<T>> {
  const clock = options.clock ?? realClock;
  const start = clock.now();
  for (let n = 1; ; n++) {
    try {
      return { value: await attempt(), attempts: n };
    } catch (err) {
      if (!isRetryable(err)) throw err;
      const delay = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** (n - 1));
      const elapsed = clock.now() - start;
      // The last attempt is made at the deadline rather than skipped when a full delay would overshoot it.
      const wait = Math.min(delay, policy.totalMs - elapsed);
      if (wait <= 0) throw new RetriesExhausted(n, elapsed, err);
      options.onRetry?.(err, n, wait);
      await clock.sleep(wait);
    }
  }
}
