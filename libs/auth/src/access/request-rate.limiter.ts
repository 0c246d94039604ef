/** Refused for going over a rate limit: the api answers 429 with `Retry-After: retryAfterSeconds`. */
export class RateLimitedError extends Error {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
    this.name = 'RateLimitedError';
  }
}

/**
 * A token bucket per key (an API token, a session's user, a client address): `perMinute` requests a minute, bursts up
 * to a minute's worth. State is this process's memory: with several api processes each allows the limit (the
 * README says so); a restart forgets it. Idle buckets are dropped so the map stays small.
 */
export class RequestRateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes one request from `key`'s bucket; throws RateLimitedError when it is empty. A limit of 0 never refuses. */
  take(key: string, what = 'requests'): void {
    if (this.perMinute <= 0) return;
    const now = this.now();
    const perMs = this.perMinute / 60_000;
    const bucket = this.buckets.get(key) ?? { tokens: this.perMinute, at: now };
    bucket.tokens = Math.min(this.perMinute, bucket.tokens + (now - bucket.at) * perMs);
    bucket.at = now;
    if (bucket.tokens < 1) {
      this.buckets.set(key, bucket);
      throw new RateLimitedError(`too many ${what}: the limit is ${this.perMinute} a minute`, Math.max(1, Math.ceil((1 - bucket.tokens) / perMs / 1000)));
    }
    bucket.tokens -= 1;
    this.buckets.set(key, bucket);
    if (this.buckets.size > 10_000) this.sweep(now, perMs);
  }

  /** Drops buckets that have refilled: they hold nothing a fresh bucket would not. */
  private sweep(now: number, perMs: number): void {
    for (const [key, bucket] of this.buckets) {
      if (bucket.tokens + (now - bucket.at) * perMs >= this.perMinute) this.buckets.delete(key);
    }
  }
}
