/**
 * What the session driver needs of the store: the two calls of every session, the lock's
 * upkeep, and stored values on demand. Narrow on purpose, so the driver is tested against an
 * in-memory port and the ACS wires it to whatever store it runs (src/acs/session.ts).
 */
import type { SessionCommit, SessionOpenInput, SessionOpenResult, StoredParameter } from '../store/types.js';

export interface SessionStorePort {
  /** One round trip: take the lock, read the device, its credential and its queue. */
  openSession(input: SessionOpenInput): Promise<SessionOpenResult>;
  /** One round trip: every write of the session, and the lock released. */
  commitSession(commit: SessionCommit): Promise<void>;
  extendLock(deviceId: string, lockOwner: string, ttlMs: number, now: number): Promise<boolean>;
  releaseLock(deviceId: string, lockOwner: string): Promise<void>;
  /**
   * One round trip: the stored rows of `paths` (exact paths, or subtrees ending in ".") of
   * one device, in path order; empty for an unknown device.
   */
  readStoredParameters(deviceId: string, paths: readonly string[]): Promise<StoredParameter[]>;
}
