// Log lines about events a peer can cause (dropped Hellos, refused connections) at a bounded
// rate: a storm must not become a log storm. Per key (e.g. a drop reason) the first `burst`
// events of each window are logged in full; the rest are counted and reported as one
// "suppressed" line when the window closes. Counters elsewhere keep the exact totals.
import type { LogFields, Logger } from './log';

export interface LogRate {
  /** Lines per key per window before suppression. */
  burst: number;
  windowMs: number;
}

export class RateBoundedLog {
  private readonly windows = new Map<string, { started: number; logged: number; suppressed: number }>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly log: Logger,
    private readonly rate: LogRate = { burst: 20, windowMs: 10_000 },
    private readonly now: () => number = Date.now,
  ) {
    this.timer = setInterval(() => this.flush(false), rate.windowMs);
    this.timer.unref();
  }

  info(key: string, message: string, fields: LogFields): void {
    this.write(key, 'info', message, fields);
  }

  write(key: string, level: 'info' | 'warn' | 'error', message: string, fields: LogFields): void {
    const now = this.now();
    let window = this.windows.get(key);
    if (window && now - window.started >= this.rate.windowMs) {
      this.report(key, window);
      window = undefined;
    }
    window ??= { started: now, logged: 0, suppressed: 0 };
    this.windows.set(key, window);
    if (window.logged < this.rate.burst) {
      window.logged += 1;
      this.log[level](message, fields);
    } else {
      window.suppressed += 1;
    }
  }

  /** Reports every window's suppressed count; `all` also ends open windows (on close). */
  flush(all = true): void {
    const now = this.now();
    for (const [key, window] of this.windows) {
      if (all || now - window.started >= this.rate.windowMs) {
        this.report(key, window);
        this.windows.delete(key);
      }
    }
  }

  close(): void {
    clearInterval(this.timer);
    this.flush();
  }

  private report(key: string, window: { suppressed: number }): void {
    if (window.suppressed > 0) this.log.warn('log lines suppressed', { key, suppressed: window.suppressed, windowMs: this.rate.windowMs });
  }
}
