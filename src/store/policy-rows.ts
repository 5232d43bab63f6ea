/**
 * Policy rows: the same columns and mapping in every SQL backend. The definition is JSON
 * (text on SQLite, json on PostgreSQL, which arrives parsed).
 */
import type { ComplianceFault, ComplianceRecord, ComplianceState, PolicyDefinition, PolicyRecord, PolicyRevision } from './types.js';

export interface PolicyRow {
  id: string;
  revision: number;
  definition: string | PolicyDefinition;
  author: string;
  created_at: number;
  updated_at: number;
}

export const POLICY_COLUMNS = 'id, revision, definition, author, created_at, updated_at';

const parsed = <T>(v: string | T): T => (typeof v === 'string' ? (JSON.parse(v) as T) : v);

export const toPolicy = (r: PolicyRow): PolicyRecord => ({
  ...parsed<PolicyDefinition>(r.definition),
  id: r.id,
  revision: Number(r.revision),
  author: r.author,
  createdAt: Number(r.created_at),
  updatedAt: Number(r.updated_at),
});

/** Only the definition's fields: a record's bookkeeping stays in its columns. */
export function definitionOf(p: PolicyDefinition): PolicyDefinition {
  return {
    name: p.name,
    ...(p.description !== undefined ? { description: p.description } : {}),
    filter: p.filter,
    filters: p.filters,
    triggers: p.triggers,
    priority: p.priority,
    enabled: p.enabled,
    declarations: p.declarations,
    ...(p.script !== undefined ? { script: p.script } : {}),
    ...(p.backups !== undefined && p.backups.length > 0 ? { backups: p.backups } : {}),
  };
}

export interface RevisionRow {
  policy_id: string;
  revision: number;
  definition: string | PolicyDefinition;
  author: string;
  at: number;
}

export const toRevision = (r: RevisionRow): PolicyRevision => ({
  policyId: r.policy_id,
  revision: Number(r.revision),
  definition: parsed<PolicyDefinition>(r.definition),
  author: r.author,
  at: Number(r.at),
});

export interface ComplianceRow {
  device_id: string;
  policy_id: string;
  revision: number;
  state: ComplianceState;
  fault: string | ComplianceFault | null;
  at: number;
}

export const toCompliance = (r: ComplianceRow): ComplianceRecord => ({
  deviceId: r.device_id,
  policyId: r.policy_id,
  revision: Number(r.revision),
  state: r.state,
  fault: r.fault === null ? null : parsed<ComplianceFault>(r.fault),
  at: Number(r.at),
});

export interface CountRow {
  compliant: number | string | null;
  faulted: number | string | null;
  pending: number | string | null;
}

export const toCounts = (r: CountRow | undefined): { compliant: number; faulted: number; pending: number } => ({
  compliant: Number(r?.compliant ?? 0),
  faulted: Number(r?.faulted ?? 0),
  pending: Number(r?.pending ?? 0),
});
