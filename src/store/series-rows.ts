/**
 * Rows of the series concern (concerns/series.ts) as both backends read and write them: the
 * sample write's items, profile rows, and the nearest-rank percentile both use.
 */
import { sampleNumber, type BulkDataSettings, type NewSamplingProfile, type SampleSource, type SamplingProfile } from './concerns/series.js';

/** One sample as the `samples` write op carries it: [path, at, value, num, counter 0/1, source]. */
export type SampleItem = [string, number, string, number | null, 0 | 1, SampleSource];

export const sampleItem = (s: { path: string; at: number; value: string; counter?: boolean; source: SampleSource }): SampleItem => [
  s.path,
  s.at,
  s.value,
  sampleNumber(s.value),
  s.counter === true ? 1 : 0,
  s.source,
];

export interface ProfileRow {
  id: string;
  name: string;
  enabled: number | boolean;
  interval_seconds: number | string;
  definition: string | Definition;
  created_at: number | string;
  updated_at: number | string;
}

interface Definition {
  parameters: SamplingProfile['parameters'];
  match: SamplingProfile['match'];
  bulkData?: BulkDataSettings;
}

export const profileDefinition = (p: NewSamplingProfile): string =>
  JSON.stringify({ parameters: p.parameters, match: p.match, ...(p.bulkData !== undefined ? { bulkData: p.bulkData } : {}) });

export function toProfile(r: ProfileRow): SamplingProfile {
  const d = typeof r.definition === 'string' ? (JSON.parse(r.definition) as Definition) : r.definition;
  return {
    id: r.id,
    name: r.name,
    enabled: r.enabled === true || r.enabled === 1,
    intervalSeconds: Number(r.interval_seconds),
    parameters: d.parameters,
    match: d.match,
    ...(d.bulkData !== undefined ? { bulkData: d.bulkData } : {}),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}

/** Offset (0-based) of the nearest-rank percentile p among n sorted values. */
export const percentileOffset = (p: number, n: number): number => Math.min(n - 1, Math.max(0, Math.ceil((p / 100) * n) - 1));
