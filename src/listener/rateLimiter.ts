// Per-address token bucket: a real device sends a Hello a minute, so a peer sending many
// per second is misbehaving and must not starve the rest of the fleet.
export interface RateLimit {
  /** Sustained Hellos per second per address. */
  perSecond: number;
  /** Burst allowance per address. */
  burst: number;
}

export class AddressRateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly limit: RateLimit, private readonly now: () => number = Date.now) {}

  /** Takes one token for address; false when the address is over its limit. */
  allow(address: string): boolean {
    const now = this.now();
    const bucket = this.buckets.get(address) ?? { tokens: this.limit.burst, at: now };
    bucket.tokens = Math.min(this.limit.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.limit.perSecond);
    bucket.at = now;
    const allowed = bucket.tokens >= 1;
    if (allowed) bucket.tokens -= 1;
    this.buckets.set(address, bucket);
    if (this.buckets.size > 10_000) this.forgetIdle(now);
    return allowed;
  }

  private forgetIdle(now: number): void {
    const refillMs = (this.limit.burst / this.limit.perSecond) * 1000;
    for (const [address, bucket] of this.buckets) {
      if (now - bucket.at > refillMs) this.buckets.delete(address);
    }
  }
}
