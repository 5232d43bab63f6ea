/**
 * Store concern: device KPI time series (docs/monitoring.md).
 *
 * Samples arrive three ways: in a session's commit (the `samples` write op: values a sampling
 * profile asked for, and the parameters of a `4 VALUE CHANGE` Inform), and from TR-232 bulk
 * data reports (appendSamples). Each sample is one row: the value as the device said it, its
 * number when it is one, and for counters the rate since the previous sample of the same
 * series, worked out in the same transaction (counterRate below: a 32-bit wrap counts as a
 * wrap, any other decrease as a restart from zero, e.g. a reboot).
 *
 * Retention: raw rows for `rawRetentionMs`, hourly roll-ups (count, min, max, sum of the
 * sample's rate for counters, else its number) for `hourlyRetentionMs`; maintainSeries rolls up
 * the hours that ended and drops what is too old. On PostgreSQL the raw table is partitioned by
 * day, so retention drops whole partitions.
 *
 * Sampling profiles (parameters × interval, for the devices they match) live here too.
 * Backends: sqlite/series.ts, postgres/series.ts; suite: test/store/conformance/series.ts.
 */

export type SampleSource = 'sample' | 'change' | 'bulk';

export interface NewSample {
  deviceId: string;
  path: string;
  at: number;
  value: string;
  /** A counter: the stored rate is its increase per second since the previous sample. */
  counter?: boolean;
  source: SampleSource;
}

export interface SamplePoint {
  at: number;
  value: string;
  /** The value as a number, null when it is not one. */
  num: number | null;
  /** Counters: increase per second since the previous sample (null for the first one). */
  rate: number | null;
  source: SampleSource;
}

export interface HourPoint {
  /** Start of the hour (ms). */
  hour: number;
  count: number;
  min: number | null;
  max: number | null;
  avg: number | null;
}

export interface SeriesQuery {
  deviceId: string;
  path: string;
  /** Inclusive. */
  from: number;
  /** Exclusive. */
  to: number;
  limit: number;
}

export interface SeriesAggregateQuery {
  path: string;
  from: number;
  to: number;
  /** Only these devices (null: every device). */
  deviceIds: readonly string[] | null;
  /** Percentiles wanted, 0-100. */
  percentiles: readonly number[];
}

export interface SeriesAggregate {
  /** Samples with a number (counters: with a rate). */
  count: number;
  devices: number;
  min: number | null;
  max: number | null;
  avg: number | null;
  /** "95" → value (nearest rank). */
  percentiles: Record<string, number | null>;
}

export interface SeriesRetention {
  now: number;
  rawRetentionMs: number;
  hourlyRetentionMs: number;
}

export interface SeriesMaintenance {
  /** Hourly rows written (or rewritten). */
  rolledUp: number;
  rawDropped: number;
  hoursDropped: number;
}

export interface SamplingParameter {
  path: string;
  /** Stored as a rate per second (octets, packets …). */
  counter?: boolean;
}

/**
 * A profile the devices report themselves (TR-232 bulk data over HTTP) instead of the ACS
 * reading it in sessions: the ACS configures `Device.BulkData.Profile.{i}` with these
 * parameters, the interval as ReportingInterval, and the URL of its own receiver.
 */
export interface BulkDataSettings {
  encoding: 'JSON' | 'CSV';
  /** JSON: NameValuePair or ObjectHierarchy; CSV: ParameterPerRow or ParameterPerColumn. */
  reportFormat: 'NameValuePair' | 'ObjectHierarchy' | 'ParameterPerRow' | 'ParameterPerColumn';
}

export interface SamplingProfile {
  id: string;
  name: string;
  enabled: boolean;
  intervalSeconds: number;
  parameters: SamplingParameter[];
  /**
   * Which devices (all that are given must hold): identity fields exactly, and tags (every
   * one listed). Known at the Inform, so matching costs no store read.
   */
  match: { oui?: string; productClass?: string; manufacturer?: string; tags?: string[] };
  /** Reported by the devices (TR-232) rather than read in sessions; absent: sampled in sessions. */
  bulkData?: BulkDataSettings;
  createdAt: number;
  updatedAt: number;
}

export type NewSamplingProfile = Omit<SamplingProfile, 'id' | 'createdAt' | 'updatedAt'>;

export interface SeriesStore {
  /** Append samples (bulk data); samples already there (same device, path and time) are kept. Returns how many were new. */
  appendSamples(samples: readonly NewSample[]): Promise<number>;
  /** Raw samples, oldest first. */
  listSamples(q: SeriesQuery): Promise<SamplePoint[]>;
  /** Hourly roll-ups, oldest first. */
  listSampleHours(q: SeriesQuery): Promise<HourPoint[]>;
  /** The paths a device has samples of. */
  listSeriesPaths(deviceId: string): Promise<string[]>;
  /** Statistics of one path over a time range and a set of devices, over raw samples (counters: their rates). */
  aggregateSamples(q: SeriesAggregateQuery): Promise<SeriesAggregate>;
  /** Every device's samples of one path since `since` with a number (counters: a rate), by device then time; at most `limit`. */
  recentSamples(path: string, since: number, limit: number): Promise<{ deviceId: string; at: number; metric: number }[]>;
  /** Roll up ended hours, drop what retention no longer keeps. */
  maintainSeries(r: SeriesRetention): Promise<SeriesMaintenance>;

  createSamplingProfile(p: NewSamplingProfile, now: number): Promise<SamplingProfile>;
  updateSamplingProfile(id: string, p: NewSamplingProfile, now: number): Promise<SamplingProfile | null>;
  listSamplingProfiles(): Promise<SamplingProfile[]>;
  deleteSamplingProfile(id: string): Promise<boolean>;
}

const TWO_32 = 4294967296;

/**
 * A counter's increase per second between two samples. A decrease is a 32-bit wrap when the
 * previous value was in the top half of the 32-bit range (the new value continues from 0
 * after 2^32), otherwise a restart (reboot, reset): the new value is what accrued since.
 * Null when the time does not move forward.
 */
export function counterRate(prev: { num: number; at: number } | null, num: number, at: number): number | null {
  if (prev === null || at <= prev.at) return null;
  let delta = num - prev.num;
  if (delta < 0) delta = prev.num >= TWO_32 / 2 && prev.num < TWO_32 ? num + TWO_32 - prev.num : num;
  return delta / ((at - prev.at) / 1000);
}

/** A value as a number, when all of it is one. */
export function sampleNumber(value: string): number | null {
  const v = value.trim();
  if (v === '' || !/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(v)) {
    if (v === 'true') return 1;
    if (v === 'false') return 0;
    return null;
  }
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

export const HOUR_MS = 3_600_000;
