/**
 * Token buckets for connection requests: one per device and one for the whole ACS, so the
 * NBI cannot be turned into a flood against one CPE or against a network (a connection
 * request endpoint is a DDoS lever, cwmp-primer). A request needs a token from both.
 */

export interface BucketSpec {
  /** Requests allowed back to back. */
  burst: number;
  /** Tokens earned per second. */
  perSecond: number;
}

export const DEFAULT_DEVICE_LIMIT: BucketSpec = { burst: 3, perSecond: 1 / 20 };
export const DEFAULT_GLOBAL_LIMIT: BucketSpec = { burst: 100, perSecond: 50 };

class Bucket {
  tokens: number;
  at: number;

  constructor(
    readonly spec: BucketSpec,
    now: number,
  ) {
    this.tokens = spec.burst;
    this.at = now;
  }

  refill(now: number): void {
    this.tokens = Math.min(this.spec.burst, this.tokens + ((now - this.at) / 1000) * this.spec.perSecond);
    this.at = now;
  }

  /** Milliseconds until one token is there. */
  waitMs(): number {
    return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) / this.spec.perSecond) * 1000);
  }
}

export type Admission = { ok: true } | { ok: false; scope: 'device' | 'global'; retryAfterMs: number };

export class ConnectionRequestLimiter {
  readonly #device: BucketSpec;
  readonly #global: Bucket;
  readonly #devices = new Map<string, Bucket>();

  constructor(opts: { device?: BucketSpec; global?: BucketSpec } = {}, now = Date.now()) {
    this.#device = opts.device ?? DEFAULT_DEVICE_LIMIT;
    this.#global = new Bucket(opts.global ?? DEFAULT_GLOBAL_LIMIT, now);
  }

  /** Take a token for `deviceId` from both buckets, or none from either. */
  take(deviceId: string, now = Date.now()): Admission {
    const device = this.#devices.get(deviceId) ?? new Bucket(this.#device, now);
    device.refill(now);
    this.#global.refill(now);
    if (device.tokens < 1) return { ok: false, scope: 'device', retryAfterMs: device.waitMs() };
    if (this.#global.tokens < 1) return { ok: false, scope: 'global', retryAfterMs: this.#global.waitMs() };
    device.tokens -= 1;
    this.#global.tokens -= 1;
    this.#devices.set(deviceId, device);
    this.#prune(now);
    return { ok: true };
  }

  /** Devices whose bucket is full again cost nothing: drop them now and then. */
  #prune(now: number): void {
    if (this.#devices.size < 10_000) return;
    for (const [id, b] of this.#devices) {
      b.refill(now);
      if (b.tokens >= b.spec.burst) this.#devices.delete(id);
    }
  }
}
