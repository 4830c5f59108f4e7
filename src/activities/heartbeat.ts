// Heartbeats for long activities: a steady beat so a dead worker is noticed within the
// heartbeat timeout, the current step as detail (visible in the UI's pending activities),
// and the activity's cancellation wired to whatever must be torn down.
import { Context } from '@temporalio/activity';

export interface Heartbeat {
  step(name: string): void;
  stop(): void;
}

function currentContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined; // called outside an activity (e.g. directly from a test)
  }
}

export function startHeartbeat(onCancel?: () => void, intervalMs = 5_000): Heartbeat {
  const ctx = currentContext();
  if (!ctx) return { step() {}, stop() {} };
  let detail = { step: 'starting' };
  ctx.heartbeat(detail);
  const timer = setInterval(() => ctx.heartbeat(detail), intervalMs);
  const cancel = (): void => onCancel?.();
  ctx.cancellationSignal.addEventListener('abort', cancel);
  return {
    step(name) {
      detail = { step: name };
      ctx.heartbeat(detail);
    },
    stop() {
      clearInterval(timer);
      ctx.cancellationSignal.removeEventListener('abort', cancel);
    },
  };
}
