/**
 * In-memory token buckets, one per key (a token subject or a client address). A bucket holds up to
 * `capacity` tokens and refills continuously at `perMinute` tokens a minute; each request takes one.
 *
 * Written here rather than taken from express-rate-limit because the key is a *verified* token
 * subject (the middleware verifies the bearer token itself), the answer must be a GraphQL error with
 * a code, and a continuously refilling bucket has no window edge at which a client can send twice
 * its allowance. State is per process: run one instance, or put a shared limiter in front.
 */
export interface TakeResult {
  allowed: boolean;
  /** Whole tokens left after this request. */
  remaining: number;
  /** When refused: seconds until one token is back. */
  retryAfterSeconds: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class TokenBucketLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly perMs: number;

  constructor(
    readonly capacity: number,
    perMinute: number,
    private readonly now: () => number = () => performance.now(),
    /** Most keys kept; beyond it the least recently used are forgotten (they start full again). */
    private readonly maxKeys = 100_000,
  ) {
    if (!(capacity >= 1) || !(perMinute > 0)) throw new Error('a token bucket needs capacity >= 1 and a positive rate');
    this.perMs = perMinute / 60_000;
  }

  take(key: string): TakeResult {
    const now = this.now();
    const bucket = this.buckets.get(key);
    let tokens = this.capacity;
    if (bucket) {
      tokens = Math.min(this.capacity, bucket.tokens + (now - bucket.at) * this.perMs);
      this.buckets.delete(key); // re-inserted below: Map order doubles as least-recently-used order
    }
    const allowed = tokens >= 1;
    if (allowed) tokens -= 1;
    this.buckets.set(key, { tokens, at: now });
    if (this.buckets.size > this.maxKeys) this.evict();
    return {
      allowed,
      remaining: Math.floor(tokens),
      retryAfterSeconds: allowed ? 0 : Math.max(1, Math.ceil((1 - tokens) / this.perMs / 1000)),
    };
  }

  get size(): number {
    return this.buckets.size;
  }

  private evict() {
    const excess = this.buckets.size - Math.floor(this.maxKeys * 0.9);
    let removed = 0;
    for (const key of this.buckets.keys()) {
      if (removed >= excess) break;
      this.buckets.delete(key);
      removed += 1;
    }
  }
}
