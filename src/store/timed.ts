/**
 * A Store that reports every call's latency (one call is one round trip, see ./counting.ts),
 * for the process's metrics: `flotilla serve` wraps its store with this and feeds
 * src/metrics. One clock read before and after each call; nothing else changes.
 */
import { CONCERN_METHODS } from './compose.js';
import type { Store } from './types.js';

const METHODS = { ...CONCERN_METHODS, migrate: true, close: true } as const satisfies Record<keyof Store, true>;

export type StoreObserver = (method: string, seconds: number, failed: boolean) => void;

export function timedStore(store: Store, observe: StoreObserver): Store {
  const timed = {} as Record<string, unknown>;
  for (const name of Object.keys(METHODS) as (keyof Store)[]) {
    const fn = store[name] as (...args: unknown[]) => Promise<unknown>;
    timed[name] = (...args: unknown[]) => {
      const start = process.hrtime.bigint();
      const done = (failed: boolean): void => observe(name, Number(process.hrtime.bigint() - start) / 1e9, failed);
      let p: Promise<unknown>;
      try {
        p = fn.apply(store, args);
      } catch (e) {
        done(true);
        throw e;
      }
      if (!(p instanceof Promise)) {
        done(false);
        return p;
      }
      return p.then(
        (v) => {
          done(false);
          return v;
        },
        (e: unknown) => {
          done(true);
          throw e;
        },
      );
    };
  }
  return timed as unknown as Store;
}
