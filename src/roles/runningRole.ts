// What every role (hello listener, worker, site server) hands back when it has started, to
// its own command (roleProcess.ts) and to `npm start` (src/stack/embeddedStack.ts) alike.
import type { Logger } from '../log';
import type { ReadinessCheck } from './readiness';

export interface RunningRole {
  /** One line for the operator: what runs where. */
  summary: string;
  /** What GET /readyz checks (Temporal, the store, the role's own state). */
  readiness: readonly ReadinessCheck[];
  /** Settles when the role stops by itself (a worker that failed): rejects with why. */
  stopped?: Promise<void>;
  /** Stops taking new work and finishes what is in flight, within the role's grace period. */
  drain(): Promise<void>;
}

/**
 * Waits for `work` at most `graceMs`; what is still in flight then is left to the caller's
 * shutdown (devices send another Hello, agents retry, Temporal retries activities elsewhere).
 */
export async function drainWithin(work: Promise<void>, graceMs: number, log: Logger, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<'expired'>((resolve) => {
    timer = setTimeout(() => resolve('expired'), graceMs);
  });
  try {
    if (await Promise.race([work.then(() => 'done' as const), expired]) === 'expired') {
      log.warn(`grace period over with ${what} still in flight; stopping anyway`, { graceMs });
    }
  } finally {
    clearTimeout(timer);
  }
}
