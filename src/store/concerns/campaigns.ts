/**
 * Store concern: firmware campaigns and their per-device rows. The campaign's whole state
 * lives here — which wave, each device's state and download task — so a restart or crash
 * of any ACS process neither loses nor repeats a device's upgrade, and several processes
 * share the work: a process leases a campaign (claimCampaigns) and moves it on while the
 * lease holds, the way webhook deliveries are leased (./webhooks.ts).
 *
 * Device rows change only by compare-and-set (`transitionCampaignDevices` names the states a
 * row may be in), so two runners that overlap (a lease that lapsed under a slow one) cannot
 * both start the same device.
 *
 * Two reads join what other concerns wrote (tasks, devices, parameters) so that a runner's
 * step costs one round trip however many devices are in flight; nothing here writes there.
 * Backends: sqlite/campaigns.ts, postgres/campaigns.ts; suite: test/store/conformance/campaigns.ts.
 */
import type { CampaignDefinition, CampaignState, CampaignTarget, DeviceFault, DeviceState, StateCounts } from '../../campaigns/types.js';

export type { CampaignDefinition, CampaignState, CampaignTarget, DeviceFault, DeviceState, StateCounts } from '../../campaigns/types.js';

export interface CampaignRecord {
  /** Short (16 hex digits): it goes into download CommandKeys, which CWMP caps at 32 characters. */
  id: string;
  definition: CampaignDefinition;
  target: CampaignTarget;
  state: CampaignState;
  /** Why it is paused, aborted or done ("stop rule: …", "paused by alice"); null while running. */
  reason: string | null;
  /** The current wave (0-based). */
  wave: number;
  /** Devices in each wave, fixed at creation. */
  waveSizes: number[];
  /** Failures of the current wave an operator accepted by resuming (the ratio rule counts the others). */
  ackFailed: number;
  /** Outcomes before this time do not count for "failures in a row" (the last resume). */
  resumedAt: number;
  /** Bumped by every update; updateCampaign compares it. */
  revision: number;
  author: string;
  createdAt: number;
  updatedAt: number;
}

export interface NewCampaignDevice {
  deviceId: string;
  wave: number;
  /** `pending`, or `skipped` with its reason (already on the version, not applicable). */
  state: 'pending' | 'skipped';
  reason: string | null;
  /** SoftwareVersion when the campaign was created. */
  fromVersion: string | null;
  /** The zone the device reported (its maintenance window's), as it reported it. */
  zone: string | null;
}

export interface CampaignDeviceRecord {
  campaignId: string;
  deviceId: string;
  /** Position in the campaign (creation order): waves and starts follow it. */
  seq: number;
  wave: number;
  state: DeviceState;
  reason: string | null;
  fault: DeviceFault | null;
  /** The download task of the latest attempt. */
  taskId: string | null;
  /** Download tasks made for this device (a retry makes another). */
  attempts: number;
  fromVersion: string | null;
  zone: string | null;
  scheduledAt: number | null;
  downloadingAt: number | null;
  finishedAt: number | null;
  updatedAt: number;
}

/** An in-flight row with what its task and its device say now. */
export interface CampaignDeviceProgress extends CampaignDeviceRecord {
  /** Null: the row has no task yet, or its task was deleted. */
  task: { state: 'queued' | 'running' | 'done' | 'fault' | 'expired'; fault: DeviceFault | null } | null;
  /** The device's stored SoftwareVersion (TR-098 or TR-181 DeviceInfo). */
  version: string | null;
  lastBoot: number | null;
}

/** A pending row with its device's stored version, for the check just before it starts. */
export interface CampaignCandidate extends CampaignDeviceRecord {
  version: string | null;
}

/**
 * A device row's change, applied only while the row is in one of `from`. Fields left out
 * keep their value; `attempt` adds one to attempts.
 */
export interface CampaignDeviceTransition {
  deviceId: string;
  from: readonly DeviceState[];
  to: DeviceState;
  reason?: string | null;
  fault?: DeviceFault | null;
  taskId?: string | null;
  attempt?: boolean;
  scheduledAt?: number | null;
  downloadingAt?: number | null;
  finishedAt?: number | null;
}

export interface CampaignPatch {
  state?: CampaignState;
  reason?: string | null;
  wave?: number;
  ackFailed?: number;
  resumedAt?: number;
  /** When a runner should next look at it (null: only when an operator acts). */
  nextAt?: number | null;
}

export interface CampaignSnapshot {
  /** Per wave, devices in each state. */
  waves: StateCounts[];
  /** Rows scheduled at or after `since` (starts in the last minute, for the cap). */
  startsSince: number;
}

export interface CampaignStore {
  /**
   * One transaction: the campaign, due for its runner at `nextAt`, and its device rows in
   * order (their position is `seq`).
   */
  createCampaign(campaign: CampaignRecord, devices: NewCampaignDevice[], nextAt: number | null): Promise<void>;
  getCampaign(id: string): Promise<CampaignRecord | null>;
  /** Newest first. */
  listCampaigns(query: { states?: CampaignState[]; limit: number; offset?: number }): Promise<{ total: number; campaigns: CampaignRecord[] }>;
  /**
   * Apply `patch` when the campaign is at `expectedRevision`; revision + 1, `updatedAt = now`.
   * The new record, or null (no such campaign, or it changed meanwhile: read it again).
   */
  updateCampaign(id: string, expectedRevision: number, patch: CampaignPatch, now: number): Promise<CampaignRecord | null>;
  /**
   * Atomically take up to `limit` campaigns that are due (`nextAt <= now`) and not leased
   * by another owner (lease lapsed, or already `owner`'s), and lease them to `owner` until
   * `now + leaseMs`. Across processes sharing the database, a campaign has one holder at a
   * time; when it dies, the lease lapses and another takes over.
   */
  claimCampaigns(owner: string, now: number, leaseMs: number, limit: number): Promise<CampaignRecord[]>;
  /**
   * Give up the lease (if `owner` holds it) and set when the campaign is next due — only if
   * it is still at `revision` (the holder's last view): an operator's change meanwhile set
   * its own due time (now), which must not be pushed back.
   */
  releaseCampaign(id: string, owner: string, revision: number, nextAt: number | null): Promise<void>;
  /** Counts per wave and state, and starts since `since`; null: no such campaign. */
  campaignSnapshot(id: string, since: number): Promise<CampaignSnapshot | null>;
  /**
   * A page of device rows in `seq` order, optionally in some states or one wave, after the
   * row at `afterSeq`.
   */
  listCampaignDevices(id: string, query: { states?: DeviceState[]; wave?: number; afterSeq?: number; limit: number }): Promise<CampaignDeviceRecord[]>;
  /** Up to `limit` in-flight rows (scheduled, downloading, installing) with their task and device, in `seq` order. */
  campaignProgress(id: string, limit: number): Promise<CampaignDeviceProgress[]>;
  /** Up to `limit` pending rows of waves up to `maxWave`, in `seq` order, with their device's stored version. */
  campaignCandidates(id: string, maxWave: number, limit: number): Promise<CampaignCandidate[]>;
  /**
   * One transaction: each transition applies if its row is still in one of its `from`
   * states (`updatedAt = now`). Returns the device ids that changed, in input order.
   */
  transitionCampaignDevices(id: string, transitions: CampaignDeviceTransition[], now: number): Promise<string[]>;
  /** States of up to `limit` rows that finished (succeeded or failed) at or after `since`, newest first. */
  recentCampaignOutcomes(id: string, since: number, limit: number): Promise<DeviceState[]>;
  /** Campaigns that still use the file (running or paused): the file must not be deleted. */
  campaignsUsingFile(fileId: string): Promise<string[]>;
  /** A campaign and its rows; only a done or aborted one. False: none, or still active. */
  deleteCampaign(id: string): Promise<boolean>;
}
