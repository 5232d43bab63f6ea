/**
 * CPE authentication before the store is touched: the Authorization header is checked
 * against the bootstrap credential (in memory) or the device's own credentials, found through
 * an in-process cache, before the session takes the device's lock or hands it its tasks. A
 * wrong password therefore costs no lock and no task attempt.
 *
 * Who may use the shared bootstrap credential (`bootstrapScope`): with `new-devices` (the
 * default) only a device with no credentials of its own (never seen, or never given any), one
 * an operator marked as expecting a reset, or one inside the window after a factoryReset the
 * ACS sent (`bootstrapUntil`). Anyone else presenting it is refused (`bootstrapRefused`): it
 * is the one way to pose as another device. With `any`, every device may use it.
 *
 * A device's own credentials are its current set, a pending set handed out by a rotation and
 * not used yet, and a factory set imported from procurement (src/store/concerns/credentials.ts).
 *
 * The cache (bounded LRU, entries trusted for a TTL) keeps an idle periodic session at two
 * store round trips: `openSession` returns the device's credentials anyway, so every session
 * refreshes its device's entry for free. A change made in another process is caught two
 * ways: a failed check against a cached entry reads the store once more (a rotated password
 * works at once), and the credentials `openSession` returns are checked again.
 *
 * The bootstrap credential is held in memory too. When it comes from the data directory,
 * a failed check reads it again (at most once per BOOTSTRAP_RELOAD_MS), so
 * `flotilla credentials reset` on a running ACS takes effect at the next attempt without
 * adding anything to a successful session.
 */
import { LRUCache } from 'lru-cache';
import { verifyBasic, verifyDigest, type ParsedAuthorization } from '../auth/server.js';
import type { SessionAuth } from '../session/program.js';
import type { CpeCredential, DeviceCredentials, Store } from '../store/types.js';

type CredentialStore = Pick<Store, 'getDeviceCredentials'>;

export type BootstrapScope = 'new-devices' | 'any';

export interface CredentialCacheOptions {
  /** Most devices kept. */
  max: number;
  ttlMs: number;
  /** Tests only: a clock for the TTL (milliseconds). Default: the cache's own (performance.now). */
  clock?: () => number;
}

/** LRU values must be objects: a device known to have no credentials is `{ state: null }`. */
interface DeviceEntry {
  state: DeviceCredentials | null;
}

export class CredentialCache {
  readonly #store: CredentialStore;
  readonly #byDevice: LRUCache<string, DeviceEntry>;

  constructor(store: CredentialStore, opts: CredentialCacheOptions) {
    this.#store = store;
    const max = Math.max(1, opts.max);
    const ttl = Math.max(1, opts.ttlMs);
    const clock = opts.clock;
    const timing = clock === undefined ? {} : { perf: { now: clock }, ttlResolution: 0 };
    this.#byDevice = new LRUCache({ max, ttl, ...timing });
  }

  /** The device's credentials (null: none of its own). A miss, or `fresh`, is one store round trip. */
  async ofDevice(deviceId: string, fresh = false): Promise<{ state: DeviceCredentials | null; cached: boolean }> {
    const hit = fresh ? undefined : this.#byDevice.get(deviceId);
    if (hit !== undefined) return { state: hit.state, cached: true };
    const state = await this.#store.getDeviceCredentials(deviceId);
    this.learn(deviceId, state);
    return { state, cached: false };
  }

  /** What the store says now (an openSession result, a change made in this process). */
  learn(deviceId: string, state: DeviceCredentials | null): void {
    this.#byDevice.set(deviceId, { state });
  }

  /** Drop what is known of a device (deleted, or its credentials changed by this process). */
  forget(deviceId: string): void {
    this.#byDevice.delete(deviceId);
  }
}

/** How a CPE got in, or why not. */
export type CpeAuthentication =
  | { ok: true; via: SessionAuth }
  | { ok: false; reason: string; bootstrapRefused: boolean };

export function verify(auth: ParsedAuthorization, credential: CpeCredential, method: string): boolean {
  if (auth.username !== credential.username) return false;
  return auth.scheme === 'Digest' ? verifyDigest(auth, credential.ha1, method) : verifyBasic(auth, credential);
}

export interface AuthPolicy {
  bootstrap: CpeCredential | null;
  bootstrapScope: BootstrapScope;
}

/** The decision for one header against what is known of the device (pure). */
export function decide(auth: ParsedAuthorization, state: DeviceCredentials | null, method: string, now: number, policy: AuthPolicy): CpeAuthentication {
  if (policy.bootstrap !== null && verify(auth, policy.bootstrap, method)) {
    if (state === null) return { ok: true, via: 'bootstrap' };
    if (state.bootstrapUntil !== null && state.bootstrapUntil > now) return { ok: true, via: 'bootstrap' };
    if (policy.bootstrapScope === 'any') return { ok: true, via: 'bootstrap' };
    return { ok: false, reason: 'bootstrap credential of a device with its own', bootstrapRefused: true };
  }
  if (state !== null) {
    // Factory first: a device still on its imported set is given its own at this session.
    if (state.factory !== null && verify(auth, state.factory.cpe, method)) return { ok: true, via: 'factory' };
    if (verify(auth, state.current.cpe, method)) return { ok: true, via: 'current' };
    if (state.pending !== null && verify(auth, state.pending.cpe, method)) return { ok: true, via: 'pending' };
  }
  return { ok: false, reason: 'wrong credentials', bootstrapRefused: false };
}

export interface CpeAuthenticator {
  /** The shared bootstrap credential from now on (generated after start, or reset). */
  setBootstrap(credential: CpeCredential | null): void;
  /** Before the store's session: may read credentials (cached), never takes a lock. */
  check(auth: ParsedAuthorization | null, deviceId: string, method: string, now: number): Promise<CpeAuthentication>;
  /**
   * After openSession, against the credentials it returned (the store's truth at lock time):
   * the decision that holds now. Also refreshes the cache.
   */
  confirm(
    decided: Extract<CpeAuthentication, { ok: true }>,
    auth: ParsedAuthorization | null,
    deviceId: string,
    stored: DeviceCredentials | null,
    method: string,
    now: number,
  ): CpeAuthentication;
}

/** A failed check re-reads the bootstrap credential at most this often. */
export const BOOTSTRAP_RELOAD_MS = 2_000;

export function cpeAuthenticator(opts: {
  allowAnyone: boolean;
  bootstrap: CpeCredential | null;
  bootstrapScope?: BootstrapScope;
  cache: CredentialCache;
  /** Reads the bootstrap credential again (its file), for a change made by another process. */
  reloadBootstrap?: () => Promise<CpeCredential | null>;
  /** Clock of the reload throttle (ms). */
  clock?: () => number;
}): CpeAuthenticator {
  const { allowAnyone, cache, reloadBootstrap } = opts;
  const clock = opts.clock ?? Date.now;
  const policy: AuthPolicy = { bootstrap: opts.bootstrap, bootstrapScope: opts.bootstrapScope ?? 'new-devices' };
  let reloadedAt = -Infinity;
  return {
    setBootstrap(credential) {
      policy.bootstrap = credential;
    },
    async check(auth, deviceId, method, now) {
      if (allowAnyone) return { ok: true, via: 'anyone' };
      if (auth === null) return { ok: false, reason: 'no credentials', bootstrapRefused: false };
      const first = await cache.ofDevice(deviceId);
      let decided = decide(auth, first.state, method, now, policy);
      let state = first.state;
      if (!decided.ok && first.cached) {
        // Perhaps changed by another process (rotated, marked expecting a reset): the store's word, once.
        state = (await cache.ofDevice(deviceId, true)).state;
        decided = decide(auth, state, method, now, policy);
      }
      if (!decided.ok && !decided.bootstrapRefused && reloadBootstrap !== undefined && clock() - reloadedAt >= BOOTSTRAP_RELOAD_MS) {
        // Perhaps reset by `flotilla credentials reset` meanwhile.
        reloadedAt = clock();
        try {
          policy.bootstrap = await reloadBootstrap();
        } catch {
          // Unreadable for now: keep what we had.
        }
        decided = decide(auth, state, method, now, policy);
      }
      return decided;
    },
    confirm(decided, auth, deviceId, stored, method, now) {
      cache.learn(deviceId, stored);
      // No check, or a client certificate (which names the device whatever the stored credentials).
      if (decided.via === 'anyone' || decided.via === 'certificate') return decided;
      if (auth === null) return { ok: false, reason: 'no credentials', bootstrapRefused: false };
      return decide(auth, stored, method, now, policy);
    },
  };
}
