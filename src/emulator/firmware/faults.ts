// Faults a test or operator injects into one device (control API). The HTTP layer and the
// services consult them; nothing here is persisted: a fault plan lives as long as the
// emulator process, across power cycles, like an instrument clipped onto a real board.

/** How CommitChanges loses power: before the flash write (nothing kept) or after it (committed, but no answer). */
export type PowerLossPoint = 'before-write' | 'after-write';

export interface PowerLossFault {
  point: PowerLossPoint;
  /** Power returns by itself after this many ms; null = stays off until powered on (control API). */
  restoreAfterMs: number | null;
}

export interface OperationFailure {
  /** PT_STATUS (phase 1) or ReturnValue (phase 2) the operation answers instead of doing its work. */
  status: number;
  /** How many calls fail; undefined = until cleared. */
  remaining?: number;
}

export interface FaultPlanView {
  failOperations: Record<string, OperationFailure>;
  dropConnectionAfterRequests: number | null;
  latencyMs: number;
  losePowerDuringCommit: PowerLossFault | null;
}

export class FaultPlan {
  private failures = new Map<string, OperationFailure>();
  private dropAfter: number | null = null;
  private latency = 0;
  private powerLoss: PowerLossFault | null = null;

  /**
   * Operation names: phase 1 SOAP operation names as in the WSDL (`CommitChanges`,
   * `SetHostName`, ...); phase 2 `<Class>.<Method>` for methods and `<Class>.<Get|Put|Create|Delete|Enumerate>`
   * for WS-Transfer/Enumeration (e.g. `AMT_GeneralSettings.Put`).
   */
  failOperation(operation: string, status: number, times?: number): void {
    this.failures.set(operation, times === undefined ? { status } : { status, remaining: times });
  }

  /**
   * The status the named operation must answer instead of running, or undefined to run it.
   * Consumes one of a limited count. Services call this once per call, before any change.
   */
  takeFailure(operation: string): number | undefined {
    const failure = this.failures.get(operation);
    if (!failure) return undefined;
    if (failure.remaining !== undefined) {
      failure.remaining -= 1;
      if (failure.remaining <= 0) this.failures.delete(operation);
    }
    return failure.status;
  }

  /** Serve `requests` more HTTP requests, then drop the connection of the next one unanswered (once). */
  dropConnectionAfter(requests: number): void {
    this.dropAfter = requests;
  }

  /** Called by the HTTP layer per request: true = destroy the socket instead of answering. */
  shouldDropConnection(): boolean {
    if (this.dropAfter === null) return false;
    if (this.dropAfter > 0) {
      this.dropAfter -= 1;
      return false;
    }
    this.dropAfter = null;
    return true;
  }

  /** Delay before each HTTP response and each hello (real milliseconds, not time-scaled). */
  setLatency(ms: number): void {
    this.latency = Math.max(0, ms);
  }

  get latencyMs(): number {
    return this.latency;
  }

  losePowerDuringCommit(point: PowerLossPoint | null, restoreAfterMs: number | null = null): void {
    this.powerLoss = point === null ? null : { point, restoreAfterMs };
  }

  /** Consumed by Firmware.commit: one power loss per arming. */
  takePowerLoss(): PowerLossFault | null {
    const fault = this.powerLoss;
    this.powerLoss = null;
    return fault;
  }

  clear(): void {
    this.failures.clear();
    this.dropAfter = null;
    this.latency = 0;
    this.powerLoss = null;
  }

  view(): FaultPlanView {
    return {
      failOperations: Object.fromEntries([...this.failures].map(([name, f]) => [name, { ...f }])),
      dropConnectionAfterRequests: this.dropAfter,
      latencyMs: this.latency,
      losePowerDuringCommit: this.powerLoss && { ...this.powerLoss },
    };
  }
}
