/**
 * Glue between the CWMP endpoint (./server.ts) and the session driver (src/session): the
 * driver's store port over the Store, and the programs this ACS runs.
 */
import { DEFAULT_POLICY_SESSION_SETTINGS, policyProgram } from '../policies/program.js';
import type { PolicySource } from '../policies/source.js';
import { issueCredentials } from '../auth/device-credentials.js';
import type { Sealer } from '../auth/sealing.js';
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

/**
 * Credentials (when the ACS checks CPEs and hands out their own), tasks, then discovery of new
 * and bootstrapped devices, as configured; then the policies
 * (after discovery, so a bootstrapped device's values are read once, by discovery).
 */
export function programsFor(config: AcsConfig, sealer: Sealer | null, policies: PolicySource | null = null): ProgramFactory {
  const credentials =
    config.perDeviceCredentials && !config.allowUnauthenticatedCpes && sealer !== null
      ? {
          issue: (deviceId: string) => issueCredentials(deviceId, config.realm, sealer),
          rotateAfterMs: config.credentialRotationMs,
          factoryResetWindowMs: config.factoryResetBootstrapWindowMs,
        }
      : undefined;
  const base = defaultPrograms({
    discoverOnBootstrap: config.discoverOnBootstrap,
    discoveryBatchSize: config.discoveryBatchSize,
    taskBatchSize: config.taskBatchSize,
    ...(credentials ? { credentials } : {}),
  });
  if (policies === null) return base;
  const settings = {
    ...DEFAULT_POLICY_SESSION_SETTINGS,
    maxCycles: config.policyMaxCycles,
    retryBaseMs: config.policyRetryBaseMs,
    batchSize: config.taskBatchSize,
  };
  return (ctx) => {
    const programs = base(ctx);
    const policy = policyProgram(ctx, policies.current(), settings);
    if (policy !== null) programs.push(policy);
    return programs;
  };
}
