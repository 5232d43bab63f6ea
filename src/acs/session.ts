/**
 * Glue between the CWMP endpoint (./server.ts) and the session driver (src/session): the
 * driver's store port over the Store, and the programs this ACS runs.
 */
import { defaultPrograms } from '../session/programs/default.js';
import type { SessionStorePort } from '../session/port.js';
import type { ProgramFactory } from '../session/program.js';
import type { Store } from '../store/types.js';
import type { AcsConfig } from './config.js';

/** The driver's store port: each method one Store call, so one round trip. */
export function sessionStorePort(store: Store): SessionStorePort {
  return {
    openSession: (input) => store.openSession(input),
    commitSession: (commit) => store.commitSession(commit),
    extendLock: (deviceId, owner, ttlMs, now) => store.extendLock(deviceId, owner, ttlMs, now),
    releaseLock: (deviceId, owner) => store.releaseLock(deviceId, owner),
    readStoredParameters: (deviceId, paths) => store.readParameters(deviceId, paths),
  };
}

/** Tasks, then discovery of new and bootstrapped devices, as configured. */
export function programsFor(config: AcsConfig): ProgramFactory {
  return defaultPrograms({
    discoverOnBootstrap: config.discoverOnBootstrap,
    discoveryBatchSize: config.discoveryBatchSize,
    taskBatchSize: config.taskBatchSize,
    maxTaskAttempts: config.maxTaskAttempts,
  });
}
