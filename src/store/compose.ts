/**
 * How a backend becomes a Store, written once for every backend: each backend module of a
 * concern exports its methods as plain functions taking the backend's handle first
 * (`Impl<Concern, Handle>`, sync or async), and `composeStore` binds them to one handle.
 * So a backend has no hand-written pass-through class, and the compiler checks each
 * module against its concern's interface (`satisfies Impl<…>`).
 */
import type { Store, StoreLifecycle } from './types.js';

/** A concern's methods as a backend module writes them: the handle first, sync or async. */
export type Impl<I, H> = {
  [K in keyof I]: I[K] extends (...args: infer A) => Promise<infer R> ? (handle: H, ...args: A) => R | Promise<R> : never;
};

/** The concern interfaces of a Store, minus the lifecycle. */
export type Concerns = Omit<Store, keyof StoreLifecycle>;

/**
 * One object with every concern's methods bound to `handle`, each async (a synchronous
 * backend's throw becomes a rejection, as callers expect of a Store). `impl` is the spread
 * of the backend's concern modules; the compiler insists it covers every concern.
 */
export function composeStore<H, X extends object = object>(handle: H, lifecycle: StoreLifecycle, impl: Impl<Concerns, H>, extra?: X): Store & X {
  const store: Record<string, unknown> = { ...extra };
  for (const [name, fn] of Object.entries(impl) as [string, (h: H, ...a: unknown[]) => unknown][]) {
    store[name] = async (...args: unknown[]) => fn(handle, ...args);
  }
  store.migrate = lifecycle.migrate;
  store.close = lifecycle.close;
  return store as Store & X;
}
