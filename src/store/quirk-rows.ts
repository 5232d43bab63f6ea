/**
 * Quirk profiles as rows: the same columns and mapping in every SQL backend. match, settings
 * and evidence are JSON, so a new setting needs no migration.
 */
import type { QuirkProfile, QuirkSource } from './types.js';

export interface QuirkRow {
  id: string;
  name: string;
  source: QuirkSource;
  match: string | object;
  settings: string | object;
  evidence: string | object;
  enabled: number | boolean;
  created_at: number | string;
  updated_at: number | string;
}

export const QUIRK_COLUMNS = 'id, name, source, match, settings, evidence, enabled, created_at, updated_at';

const json = <T>(v: string | object): T => (typeof v === 'string' ? (JSON.parse(v) as T) : (v as T));

export const toQuirk = (r: QuirkRow): QuirkProfile => ({
  id: r.id,
  name: r.name,
  source: r.source,
  match: json(r.match),
  settings: json(r.settings),
  evidence: json(r.evidence),
  enabled: r.enabled === true || r.enabled === 1,
  createdAt: Number(r.created_at),
  updatedAt: Number(r.updated_at),
});
