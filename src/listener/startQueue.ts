// The listener's intake stage between a valid Hello and Temporal (performance issue 13, the
// Hello storm): at most `concurrency` signalWithStart calls at once, a bounded FIFO of devices
// waiting behind them, and one entry per device. A Hello for a device already waiting replaces
// the waiting one (its newer address and retry count are what the run should get); a Hello for
// a device whose call is under way makes no second call. Offering never waits: the accept and
// read path must not slow down when Temporal does. What is coalesced or shed, the caller counts.
//
// One Map is both the queue and the index: its iteration order is insertion order, and set()
// on a key already there keeps the key's place.

export interface QueuedStart {
  uuid: string;
}

export interface StartQueueOptions<T extends QueuedStart> {
  /** Calls under way at once. */
  concurrency: number;
  /** Devices waiting for a call slot; a Hello for another device beyond this is shed. */
  capacity: number;
  /** Hands one request on (signalWithStart). */
  send: (request: T) => Promise<void>;
  /** Told once per call how it ended: error undefined on success. */
  settled: (request: T, error: unknown) => void;
}

/** queued: it will be sent; coalesced: the device's entry waiting or under way stands for it; queue-full: shed. */
export type OfferOutcome = 'queued' | 'coalesced' | 'queue-full';

export interface StartQueueStats {
  waiting: number;
  sending: number;
  peakWaiting: number;
  peakSending: number;
}

export class StartQueue<T extends QueuedStart> {
  private readonly waiting = new Map<string, T>();
  private readonly sending = new Set<string>();
  private readonly idleWaiters: (() => void)[] = [];
  private peakWaiting = 0;
  private peakSending = 0;

  constructor(private readonly options: StartQueueOptions<T>) {
    for (const key of ['concurrency', 'capacity'] as const) {
      const value = options[key];
      if (!Number.isInteger(value) || value < 1) throw new Error(`start queue: ${key} must be a positive integer, got ${value}`);
    }
  }

  offer(request: T): OfferOutcome {
    const { uuid } = request;
    if (this.sending.has(uuid)) return 'coalesced';
    if (this.waiting.has(uuid)) {
      this.waiting.set(uuid, request);
      return 'coalesced';
    }
    if (this.waiting.size >= this.options.capacity) return 'queue-full';
    this.waiting.set(uuid, request);
    this.peakWaiting = Math.max(this.peakWaiting, this.waiting.size);
    this.pump();
    return 'queued';
  }

  stats(): StartQueueStats {
    return { waiting: this.waiting.size, sending: this.sending.size, peakWaiting: this.peakWaiting, peakSending: this.peakSending };
  }

  /** Resolves once nothing waits and no call is under way (every offered request was sent and settled). */
  drained(): Promise<void> {
    if (this.idle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private idle(): boolean {
    return this.waiting.size === 0 && this.sending.size === 0;
  }

  private pump(): void {
    while (this.sending.size < this.options.concurrency) {
      const next = this.waiting.entries().next();
      if (next.done) break;
      const [uuid, request] = next.value;
      this.waiting.delete(uuid);
      this.sending.add(uuid);
      this.peakSending = Math.max(this.peakSending, this.sending.size);
      void this.run(request);
    }
  }

  private async run(request: T): Promise<void> {
    let error: unknown;
    try {
      await this.options.send(request);
    } catch (err) {
      error = err ?? new Error('send rejected without a reason');
    }
    this.sending.delete(request.uuid);
    try {
      this.options.settled(request, error);
    } finally {
      this.pump();
      if (this.idle()) this.idleWaiters.splice(0).forEach((resolve) => resolve());
    }
  }
}
