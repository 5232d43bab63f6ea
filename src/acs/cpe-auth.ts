/**
 * CPE authentication before the store is touched: the Authorization header is checked
 * against the bootstrap credential (in memory) or the device's own credential, found through
 * an in-process cache, before the session takes the device's lock or hands it its tasks. A
 * wrong password therefore costs no lock and no task attempt.
 *
 * The cache (bounded LRU, entries trusted for a TTL) keeps an idle periodic session at two
 * store round trips: `openSession` returns the device's credential anyway, so every session
 * refreshes its device's entry for free. A credential changed in another process is caught
 * two ways: a failed check against a cached credential reads the store once more (a rotated
 * password works at once), and the credential `openSession` returns is checked again (a
 * device that got its own credential meanwhile is refused the bootstrap one).
 *
 * The bootstrap credential is held in memory too. When it comes from the data directory,
 * a failed check reads it again (at most once per BOOTSTRAP_RELOAD_MS), so
 * `flotilla credentials reset` on a running ACS takes effect at the next attempt without
 * adding anything to a successful session.
 */
import { LRUCache } from 'lru-cache';
import { verifyBasic, verifyDigest, type ParsedAuthorization } from '../auth/server.js';
import type { CpeCredential, Store } from '../store/types.js';

type CredentialStore = Pick<Store, 'getCpeCredential' | 'getCpeCredentialByUsername'>;

export interface CredentialCacheOptions {
  /** Most devices kept. */
  max: number;
  ttlMs: number;
  /** Tests only: a clock for the TTL (milliseconds). Default: the cache's own (performance.now). */
  clock?: () => number;
}

/** LRU values must be objects: a device known to have no credential is `{ credential: null }`. */
interface DeviceEntry {
  credential: CpeCredential | null;
}

interface UsernameEntry {
  deviceId: string;
  credential: CpeCredential;
}

export class CredentialCache {
  readonly #store: CredentialStore;
  readonly #byDevice: LRUCache<string, DeviceEntry>;
  readonly #byUsername: LRUCache<string, UsernameEntry>;

  constructor(store: CredentialStore, opts: CredentialCacheOptions) {
    this.#store = store;
    const max = Math.max(1, opts.max);
    const ttl = Math.max(1, opts.ttlMs);
    const clock = opts.clock;
    const timing = clock === undefined ? {} : { perf: { now: clock }, ttlResolution: 0 };
    this.#byDevice = new LRUCache({ max, ttl, ...timing });
    this.#byUsername = new LRUCache({ max, ttl, ...timing });
  }

  /** The device's own credential, or null when it has none. A miss is one store round trip. */
  async ofDevice(deviceId: string): Promise<CpeCredential | null> {
    const hit = this.#byDevice.get(deviceId);
    if (hit !== undefined) return hit.credential;
    const credential = await this.#store.getCpeCredential(deviceId);
    this.learn(deviceId, credential);
    return credential;
  }

  /**
   * The device and credential a username names. `fresh` skips the cache. Unknown usernames
   * are not cached, so a credential created elsewhere is found at its first use.
   */
  async byUsername(username: string, fresh = false): Promise<{ entry: UsernameEntry | null; cached: boolean }> {
    const hit = fresh ? undefined : this.#byUsername.get(username);
    if (hit !== undefined) return { entry: hit, cached: true };
    const found = await this.#store.getCpeCredentialByUsername(username);
    if (found === null) {
      this.#byUsername.delete(username);
      return { entry: null, cached: false };
    }
    this.learn(found.deviceId, found.credential);
    return { entry: found, cached: false };
  }

  /** What the store says now (an openSession result, a change made in this process). */
  learn(deviceId: string, credential: CpeCredential | null): void {
    const old = this.#byDevice.get(deviceId)?.credential;
    if (old != null && old.username !== credential?.username) this.#byUsername.delete(old.username);
    this.#byDevice.set(deviceId, { credential });
    if (credential !== null) this.#byUsername.set(credential.username, { deviceId, credential });
  }

  /** Drop what is known of a device (deleted, or its credential changed by this process). */
  forget(deviceId: string): void {
    const old = this.#byDevice.get(deviceId)?.credential;
    if (old != null) this.#byUsername.delete(old.username);
    this.#byDevice.delete(deviceId);
  }
}

/** How a CPE got in: no check, the shared bootstrap credential, or its own. */
export type CpeAuthentication =
  | { ok: true; via: 'anyone' }
  | { ok: true; via: 'bootstrap' }
  | { ok: true; via: 'own'; credential: CpeCredential }
  | { ok: false; reason: string };

export function verify(auth: ParsedAuthorization, credential: CpeCredential, method: string): boolean {
  if (auth.username !== credential.username) return false;
  return auth.scheme === 'Digest' ? verifyDigest(auth, credential.ha1, method) : verifyBasic(auth, credential);
}

export interface CpeAuthenticator {
  /** The shared bootstrap credential from now on (generated after start, or reset). */
  setBootstrap(credential: CpeCredential | null): void;
  /** Before the store's session: may read credentials (cached), never takes a lock. */
  check(auth: ParsedAuthorization | null, deviceId: string, method: string): Promise<CpeAuthentication>;
  /**
   * After openSession, against the credential it returned (the store's truth at lock time):
   * whether the earlier decision still holds. Also refreshes the cache.
   */
  confirm(
    decided: Extract<CpeAuthentication, { ok: true }>,
    auth: ParsedAuthorization | null,
    deviceId: string,
    stored: CpeCredential | null,
    method: string,
  ): boolean;
}

/** A failed check re-reads the bootstrap credential at most this often. */
export const BOOTSTRAP_RELOAD_MS = 2_000;

export function cpeAuthenticator(opts: {
  allowAnyone: boolean;
  bootstrap: CpeCredential | null;
  cache: CredentialCache;
  /** Reads the bootstrap credential again (its file), for a change made by another process. */
  reloadBootstrap?: () => Promise<CpeCredential | null>;
  /** Clock of the reload throttle (ms). */
  clock?: () => number;
}): CpeAuthenticator {
  const { allowAnyone, cache, reloadBootstrap } = opts;
  const clock = opts.clock ?? Date.now;
  let bootstrap = opts.bootstrap;
  let reloadedAt = -Infinity;
  const viaBootstrap = async (auth: ParsedAuthorization, deviceId: string, method: string): Promise<CpeAuthentication | null> => {
    if (bootstrap === null || !verify(auth, bootstrap, method)) return null;
    // A device with its own credential must use it (the bootstrap one is shared by all).
    if ((await cache.ofDevice(deviceId)) !== null) return { ok: false, reason: 'bootstrap credential of a device with its own' };
    return { ok: true, via: 'bootstrap' };
  };
  return {
    setBootstrap(credential) {
      bootstrap = credential;
    },
    async check(auth, deviceId, method) {
      if (allowAnyone) return { ok: true, via: 'anyone' };
      if (auth === null) return { ok: false, reason: 'no credentials' };
      const shared = await viaBootstrap(auth, deviceId, method);
      if (shared !== null) return shared;
      const matches = (e: UsernameEntry | null): e is UsernameEntry => e !== null && e.deviceId === deviceId && verify(auth, e.credential, method);
      const first = await cache.byUsername(auth.username);
      if (matches(first.entry)) return { ok: true, via: 'own', credential: first.entry.credential };
      if (first.cached) {
        // Perhaps rotated by another process: the store's word, once.
        const again = await cache.byUsername(auth.username, true);
        if (matches(again.entry)) return { ok: true, via: 'own', credential: again.entry.credential };
      }
      if (reloadBootstrap !== undefined && clock() - reloadedAt >= BOOTSTRAP_RELOAD_MS) {
        // Perhaps reset by `flotilla credentials reset` meanwhile.
        reloadedAt = clock();
        try {
          bootstrap = await reloadBootstrap();
        } catch {
          // Unreadable for now: keep what we had.
        }
        const again = await viaBootstrap(auth, deviceId, method);
        if (again !== null) return again;
      }
      return { ok: false, reason: 'wrong credentials' };
    },
    confirm(decided, auth, deviceId, stored, method) {
      cache.learn(deviceId, stored);
      switch (decided.via) {
        case 'anyone':
          return true;
        case 'bootstrap':
          return stored === null;
        case 'own':
          return stored !== null && auth !== null && verify(auth, stored, method);
      }
    },
  };
}
