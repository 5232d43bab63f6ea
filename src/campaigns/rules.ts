/**
 * The decisions of a campaign, as functions of plain inputs: is a device applicable, what
 * an in-flight device's task and reported version say about it, does a stop rule trip,
 * what the campaign does next. The runner (src/services/campaign-runner.ts) gathers the
 * inputs from the store and carries the answers out.
 */
import type { CampaignDefinition, DeviceFault, DeviceState, StateCounts, StopRules } from './types.js';
import { FINAL_DEVICE_STATES, IN_FLIGHT_STATES } from './types.js';

/** Which devices a file is for (empty or absent lists: any). */
export interface Applicability {
  oui?: readonly string[];
  productClass?: readonly string[];
  /** SoftwareVersions the file upgrades from. */
  fromVersions?: readonly string[];
}

export interface DeviceFacts {
  oui: string;
  productClass: string;
  version: string | null;
}

export const SKIP = {
  onVersion: 'already on the version',
  notApplicable: 'not applicable',
  offline: 'offline past the window',
  aborted: 'campaign aborted',
} as const;

/** Why a device is left out of the campaign at planning time, or null when it takes part. */
export function skipReason(d: DeviceFacts, targetVersion: string, a: Applicability | null): string | null {
  if (d.version !== null && d.version === targetVersion) return SKIP.onVersion;
  if (a !== null) {
    if (a.oui !== undefined && a.oui.length > 0 && !a.oui.includes(d.oui)) return `${SKIP.notApplicable} (OUI ${d.oui})`;
    if (a.productClass !== undefined && a.productClass.length > 0 && !a.productClass.includes(d.productClass)) {
      return `${SKIP.notApplicable} (product class ${d.productClass})`;
    }
    if (a.fromVersions !== undefined && a.fromVersions.length > 0 && (d.version === null || !a.fromVersions.includes(d.version))) {
      return `${SKIP.notApplicable} (version ${d.version ?? 'unknown'})`;
    }
  }
  return null;
}

/** What the store knows about an in-flight device: its row, its download task, its device. */
export interface InFlightFacts {
  state: DeviceState;
  /** When its download task was queued. */
  scheduledAt: number;
  /** When the CPE was first seen working on the download (null: not yet). */
  downloadingAt: number | null;
  /** Null: the task is gone (deleted by an operator). */
  task: { state: 'queued' | 'running' | 'done' | 'fault' | 'expired'; fault: DeviceFault | null } | null;
  version: string | null;
  lastBoot: number | null;
}

export interface Assessment {
  state: DeviceState;
  reason?: string;
  fault?: DeviceFault;
}

export const DID_NOT_COME_BACK = 'did not come back';

/**
 * The device's state from what is known now; null when it has not changed.
 * Success is the version check, not the transfer's word: a device that reports the file's
 * version after booting since its download was queued has it.
 */
export function assess(f: InFlightFacts, targetVersion: string, def: Pick<CampaignDefinition, 'successCheck'>, now: number): Assessment | null {
  const booted = f.lastBoot !== null && f.lastBoot > f.scheduledAt;
  const next = ((): Assessment => {
    if (f.version === targetVersion && booted) return { state: 'succeeded' };
    const t = f.task;
    if (t === null) return { state: 'failed', reason: 'the download task was deleted' };
    if (t.state === 'expired') return { state: 'skipped', reason: SKIP.offline };
    if (t.state === 'fault') {
      return t.fault === null ? { state: 'failed', reason: 'download failed' } : { state: 'failed', reason: `CPE fault ${t.fault.code}: ${t.fault.message}`, fault: t.fault };
    }
    if (t.state === 'queued') return { state: 'scheduled' };
    const since = f.downloadingAt ?? now;
    if (now - since > def.successCheck.deadlineSeconds * 1000) {
      if (t.state === 'done' && booted && f.version !== null) return { state: 'failed', reason: `came back with version ${f.version}` };
      return { state: 'failed', reason: DID_NOT_COME_BACK };
    }
    if (t.state === 'done' && booted && f.version !== null && f.version !== targetVersion) {
      return { state: 'failed', reason: `came back with version ${f.version}` };
    }
    return { state: t.state === 'done' || booted ? 'installing' : 'downloading' };
  })();
  return next.state === f.state ? null : next;
}

/** What the stop rules look at in the current wave. */
export interface RuleInputs {
  waveSize: number;
  /** Failures in the wave the operator has not acknowledged by resuming. */
  failedInWave: number;
  /** Outcomes since the last resume, newest first (succeeded/failed only). */
  recentOutcomes: readonly DeviceState[];
}

/** The reason to pause, or null. */
export function stopReason(rules: StopRules, wave: number, x: RuleInputs): string | null {
  if (rules.maxFailureRatio !== null && x.waveSize > 0 && x.failedInWave / x.waveSize > rules.maxFailureRatio) {
    const pct = (n: number) => `${Math.round(n * 1000) / 10}%`;
    return `stop rule: ${x.failedInWave} of ${x.waveSize} devices failed in wave ${wave + 1} (${pct(x.failedInWave / x.waveSize)}, more than ${pct(rules.maxFailureRatio)})`;
  }
  if (rules.maxConsecutiveFailures !== null) {
    let streak = 0;
    for (const s of x.recentOutcomes) {
      if (s !== 'failed') break;
      streak++;
    }
    if (streak >= rules.maxConsecutiveFailures) return `stop rule: ${streak} failures in a row`;
  }
  return null;
}

const sum = (c: StateCounts, states: readonly DeviceState[]): number => states.reduce((n, s) => n + c[s], 0);

export const inFlight = (c: StateCounts): number => sum(c, IN_FLIGHT_STATES);
export const finished = (c: StateCounts): number => sum(c, FINAL_DEVICE_STATES);

/**
 * How many devices may start now under the caps: transfers at once (queued or under way)
 * and starts within the last minute.
 */
export function startBudget(limits: CampaignDefinition['limits'], transfersNow: number, startsLastMinute: number): number {
  let n = Number.MAX_SAFE_INTEGER;
  if (limits.maxConcurrent !== null) n = Math.min(n, limits.maxConcurrent - transfersNow);
  if (limits.startsPerMinute !== null) n = Math.min(n, limits.startsPerMinute - startsLastMinute);
  return Math.max(0, n);
}

/**
 * The campaign's next move once the current wave's devices are all final: the next
 * non-empty wave, or done. Waves are only entered when the previous verdict passed.
 */
export function nextWave(sizes: readonly number[], current: number): number | 'done' {
  for (let w = current + 1; w < sizes.length; w++) if (sizes[w]! > 0) return w;
  return 'done';
}
