/**
 * A Store that counts its calls. Every interface call is one round trip to the database
 * (each backend method is one transaction or one statement), so benchmarks and tests use
 * this to hold the session path to its budget: two calls for an idle periodic session.
 */
import type { Store } from './types.js';

/** Every Store method; `satisfies` makes the compiler flag a method added to Store but not here. */
const METHODS = {
  migrate: true,
  close: true,
  openSession: true,
  extendLock: true,
  releaseLock: true,
  commitSession: true,
  getDevice: true,
  listDevices: true,
  deleteDevice: true,
  setTags: true,
  setCpeCredential: true,
  getCpeCredential: true,
  getCpeCredentialByUsername: true,
  readParameters: true,
  listSessions: true,
  listCpeMessages: true,
  setSearchablePaths: true,
  searchablePaths: true,
  createTasks: true,
  getTask: true,
  listTasks: true,
  retryTask: true,
  deleteTask: true,
  deleteTasks: true,
  expireTasks: true,
  recordConnectionRequest: true,
  createApiToken: true,
  findApiToken: true,
  listApiTokens: true,
  deleteApiToken: true,
  createWebhook: true,
  listWebhooks: true,
  deleteWebhook: true,
  enqueueWebhookDeliveries: true,
  claimWebhookDeliveries: true,
  finishWebhookDelivery: true,
  listWebhookDeliveries: true,
  pruneWebhookDeliveries: true,
} as const satisfies Record<keyof Store, true>;

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
