/**
 * Firmware campaigns: what an operator asks for (a file, a filter, waves, a window, caps,
 * a success check, stop rules) and the states a campaign and each of its devices go
 * through. Pure data; the store keeps it (src/store/concerns/campaigns.ts), the runner
 * (src/services/campaign-runner.ts) moves it on, the rules that decide each step are the
 * sibling modules here, testable with plain inputs.
 */

/** One wave: a number of devices, or a percentage of the devices the campaign upgrades. */
export type WaveSpec = { size: number } | { percent: number };

/**
 * When devices may be started: a window opens at each time `cron` names and stays open for
 * `durationMinutes`. `timezone`: "UTC", an IANA name ("Europe/Berlin"), or "device" (each
 * device's own, read from its Time.LocalTimeZoneName / LocalTimeZone; UTC when unknown).
 */
export interface WindowSpec {
  cron: string;
  durationMinutes: number;
  timezone: string;
}

export interface CampaignLimits {
  /** Devices with a transfer queued or under way at once (null: no cap). */
  maxConcurrent: number | null;
  /** New devices started per minute (null: no cap). */
  startsPerMinute: number | null;
}

export interface StopRules {
  /** Pause when more than this fraction (0..1) of a wave's devices failed. */
  maxFailureRatio: number | null;
  /** Pause after this many failures in a row (in the order outcomes arrive). */
  maxConsecutiveFailures: number | null;
}

/** A campaign as created: stored whole, so new options need no migration. */
export interface CampaignDefinition {
  name: string;
  fileId: string;
  /** Filter expressions (the NBI's language), all of which a device must match. */
  filter: string[];
  waves: WaveSpec[];
  window: WindowSpec | null;
  limits: CampaignLimits;
  /**
   * Success: SoftwareVersion equals the file's version (after the device's next boot)
   * within `deadlineSeconds` of its transfer starting; else "did not come back".
   */
  successCheck: { deadlineSeconds: number };
  /**
   * How long a started device may stay unreached (its download not picked up) before it is
   * skipped as offline. With a window, the window's end comes first.
   */
  offlineSeconds: number;
  stopRules: StopRules;
  /**
   * Take a configuration backup (Upload, "1 Vendor Configuration File") of each device right
   * before its firmware download, in the same session: the backup is queued first, so a
   * device that cannot be restored to its old firmware can still get its configuration back.
   * Absent in campaigns stored before it existed: false.
   */
  backupFirst?: boolean;
}

/** What a campaign installs, as the file repository describes the file. */
export interface CampaignTarget {
  fileId: string;
  /** SoftwareVersion the device reports once the file is installed. */
  version: string;
  fileType: string;
}

/**
 * `running`: waves go on; `paused`: by an operator or a stop rule (reason says which), no
 * device is started but outcomes still arrive; `done`: every wave finished; `aborted`: stopped
 * for good by an operator.
 */
export type CampaignState = 'running' | 'paused' | 'done' | 'aborted';
export const CAMPAIGN_STATES: readonly CampaignState[] = ['running', 'paused', 'done', 'aborted'];

/**
 * A device in a campaign: `pending` (its wave has not reached it), `scheduled` (its download
 * task is queued; the device has not picked it up), `downloading` (the CPE accepted the
 * Download), `installing` (transfer reported or the device rebooted; the version is not
 * confirmed yet), `succeeded`, `failed` (a CPE fault, or it did not come back), `skipped`
 * (already on the version, not applicable, offline past the window, campaign aborted).
 */
export type DeviceState = 'pending' | 'scheduled' | 'downloading' | 'installing' | 'succeeded' | 'failed' | 'skipped';
export const DEVICE_STATES: readonly DeviceState[] = ['pending', 'scheduled', 'downloading', 'installing', 'succeeded', 'failed', 'skipped'];
/** States in which the campaign waits on the device (a task exists for it). */
export const IN_FLIGHT_STATES: readonly DeviceState[] = ['scheduled', 'downloading', 'installing'];
export const FINAL_DEVICE_STATES: readonly DeviceState[] = ['succeeded', 'failed', 'skipped'];

export type StateCounts = Record<DeviceState, number>;

export const emptyCounts = (): StateCounts => ({ pending: 0, scheduled: 0, downloading: 0, installing: 0, succeeded: 0, failed: 0, skipped: 0 });

export const totalOf = (c: StateCounts): number => DEVICE_STATES.reduce((n, s) => n + c[s], 0);

/** A CPE fault as TransferComplete (or the Download's answer) carried it. */
export interface DeviceFault {
  code: number;
  message: string;
}
