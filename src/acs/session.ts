/**
 * Glue between the CWMP endpoint (./server.ts) and the session driver (src/session): the
 * driver's store port over the Store, and the programs this ACS runs.
 */
import { DEFAULT_POLICY_SESSION_SETTINGS, policyProgram } from '../policies/program.js';
import type { PolicySource } from '../policies/source.js';
import { HttpExtension } from '../policies/extensions.js';
import type { Logger } from 'pino';
import type { Inform } from '../cwmp/types.js';
import { issueCredentials } from '../auth/device-credentials.js';
import type { Sealer } from '../auth/sealing.js';
import { defaultPrograms } from '../session/programs/default.js';
import type { ServicesApplied } from '../session/programs/services.js';
import type { SessionStorePort } from '../session/port.js';
import type { Program, ProgramContext, ProgramFactory } from '../session/program.js';
import { matchingProfiles, MonitoringProgram } from '../session/programs/monitoring.js';
import { BulkDataProgram, bulkDataDue, type BulkDataProgramOptions } from '../session/programs/bulkdata.js';
import { rootOf } from '../session/programs/discovery.js';
import type { SamplingSource } from '../session/sampling-source.js';
import { EV, hasEvent } from '../cwmp/events.js';
import type { Store, SubscriberClaims } from '../store/types.js';
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
 * Credentials (when the ACS checks CPEs and hands out their own), tasks, discovery of new and
 * bootstrapped devices, then subscribers' services, as configured; then the policies.
 */
export function programsFor(
  config: AcsConfig,
  sealer: Sealer | null,
  deps: { store: Store; log?: Logger | undefined },
  policies: PolicySource | null = null,
  sampling: SamplingSource | null = null,
  bulkData: BulkDataProgramOptions | null = null,
): ProgramFactory {
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
    discoveryWholeTree: config.discoveryWholeTree,
    taskBatchSize: config.taskBatchSize,
    maxTaskAttempts: config.maxTaskAttempts,
    ...(credentials ? { credentials } : {}),
    services: { applied: (r) => void recordServices(deps.store, r).catch((err: unknown) => deps.log?.error({ err, deviceId: r.deviceId }, 'could not record the services applied')) },
  });
  // Last: KPI samples take what the other programs read, and ask only for the rest.
  const withMonitoring: ProgramFactory = (ctx) => {
    const programs = base(ctx);
    programs.push(...monitoringFor(ctx, sampling, bulkData));
    return programs;
  };
  if (policies === null) return withMonitoring;
  const settings = {
    ...DEFAULT_POLICY_SESSION_SETTINGS,
    maxCycles: config.policyMaxCycles,
    retryBaseMs: config.policyRetryBaseMs,
    batchSize: config.taskBatchSize,
    http: config.policyHttpBase === undefined ? null : new HttpExtension({ base: config.policyHttpBase, timeoutMs: config.policyHttpTimeoutMs, cacheMs: config.policyHttpCacheMs }),
  };
  return (ctx) => {
    const programs = base(ctx);
    const policy = policyProgram(ctx, policies.current(), settings);
    if (policy !== null) programs.push(policy);
    programs.push(...monitoringFor(ctx, sampling, bulkData));
    return programs;
  };
}

/**
 * The monitoring program when there is something to keep (a value change, or a profile
 * sampled in sessions for this device), and the bulk data program when the device's TR-232
 * profiles are due a check (bulkdata.ts: never in an idle periodic session).
 */
function monitoringFor(ctx: ProgramContext, sampling: SamplingSource | null, bulkData: BulkDataProgramOptions | null): Program[] {
  const profiles = sampling === null ? [] : matchingProfiles(ctx, sampling.current());
  const sampled = profiles.filter((p) => p.bulkData === undefined);
  const reported = profiles.filter((p) => p.bulkData !== undefined);
  const out: Program[] = [];
  if (bulkData !== null && sampling !== null && bulkDataDue(ctx.view, reported, sampling.changedAt())) {
    out.push(new BulkDataProgram(ctx, reported, rootOf(ctx.view.inform.parameterList.map((p) => p.name)), bulkData));
  }
  if (sampled.length > 0 || hasEvent(ctx.view.inform.event, EV.VALUE_CHANGE)) out.push(new MonitoringProgram(ctx, sampled));
  return out;
}

/** The outcome of a services program: on the binding, and one line of the subscriber's history. */
async function recordServices(store: Store, r: ServicesApplied): Promise<void> {
  await store.recordServiceStatus(r.bindingId, r.revision, r.statuses);
  const summary = r.statuses.map((s) => `${s.template} ${s.state}${s.reason ? ` (${s.reason})` : ''}${s.fault ? ` (fault ${s.fault.code})` : ''}`).join(', ');
  await store.appendSubscriberHistory({ subscriberId: r.subscriberId, at: Date.now(), action: 'services-applied', deviceId: r.deviceId, detail: `revision ${r.revision}: ${summary || 'no services'}` });
}

/** What an Inform claims: its serial number, and the values of the configured claim parameters. */
export function claimsFor(config: AcsConfig): (inform: Inform) => SubscriberClaims {
  const paths = new Set(config.subscriberClaimParameters);
  return (inform) => ({
    serialNumber: inform.deviceId.serialNumber,
    codes: inform.parameterList.filter((p) => paths.has(p.name) && p.value !== '').map((p) => p.value),
  });
}
