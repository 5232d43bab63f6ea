/**
 * A Store that counts its calls. Every interface call is one round trip to the database
 * (each backend method is one transaction or one statement), so benchmarks and tests use
 * this to hold the session path to its budget: two calls for an idle periodic session.
 */
import { CONCERN_METHODS } from './compose.js';
import type { Store } from './types.js';

/** Every Store method. */
const METHODS = { ...CONCERN_METHODS, migrate: true, close: true } as const satisfies Record<keyof Store, true>;

export type CountingStore = Store & {
  /** Calls since creation or the last reset. */
  roundTrips(): number;
  /** Calls per method since creation or the last reset. */
  byMethod(): Partial<Record<keyof Store, number>>;
  reset(): void;
};

export function countingStore(store: Store): CountingStore {
  let total = 0;
  let perMethod: Partial<Record<keyof Store, number>> = {};
  const counted = {
    roundTrips: () => total,
    byMethod: () => ({ ...perMethod }),
    reset: () => {
      total = 0;
      perMethod = {};
    },
  } as CountingStore;
  for (const name of Object.keys(METHODS) as (keyof Store)[]) {
    const fn = store[name] as (...args: unknown[]) => Promise<unknown>;
    (counted as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
      total++;
      perMethod[name] = (perMethod[name] ?? 0) + 1;
      return fn.apply(store, args);
    };
  }
  return counted;
}
