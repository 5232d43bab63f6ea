/**
 * A CPE's limit on connection requests (TR-069 3.2.2: it SHOULD limit them), HTTP and UDP
 * alike: a token bucket per key, kept only while it is not full, so idle CPEs cost nothing.
 */

export interface RateLimit {
  /** Requests accepted back to back. */
  burst: number;
  /** Seconds to earn one more. */
  refillSeconds: number;
}

export const DEFAULT_RATE_LIMIT: RateLimit = { burst: 3, refillSeconds: 10 };

interface Bucket {
  tokens: number;
  at: number;
}

export class TokenBuckets {
  readonly rate: RateLimit;
  readonly #buckets = new Map<string, Bucket>();

  constructor(rate: RateLimit = DEFAULT_RATE_LIMIT) {
    this.rate = rate;
  }

  /** Spend a token of `key`'s bucket if it has one. */
  take(key: string, now: number): boolean {
    const { burst, refillSeconds } = this.rate;
    const b = this.#buckets.get(key) ?? { tokens: burst, at: now };
    b.tokens = Math.min(burst, b.tokens + (now - b.at) / (refillSeconds * 1000));
    b.at = now;
    const ok = b.tokens >= 1;
    if (ok) b.tokens -= 1;
    if (b.tokens >= burst) this.#buckets.delete(key);
    else this.#buckets.set(key, b);
    return ok;
  }

  forget(key: string): void {
    this.#buckets.delete(key);
  }
}
