/**
 * The policies concern (../concerns/policies.ts) on SQLite.
 */
import { POLICY_COLUMNS, definitionOf, toCompliance, toCounts, toPolicy, toRevision, type ComplianceRow, type CountRow, type PolicyRow, type RevisionRow } from '../policy-rows.js';
import type { ComplianceCounts, ComplianceRecord, PolicyRecord, PolicyRevision } from '../types.js';
import { json, type Db } from './db.js';

const INSERT_POLICY = `INSERT INTO policies (id, name, priority, revision, definition, author, created_at, updated_at)
VALUES (@id, @name, @priority, @revision, @definition, @author, @createdAt, @updatedAt)`;
const UPDATE_POLICY = `UPDATE policies SET name = @name, priority = @priority, revision = @revision, definition = @definition,
  author = @author, updated_at = @updatedAt WHERE id = @id AND revision = @revision - 1`;
const INSERT_REVISION = `INSERT INTO policy_revisions (policy_id, revision, definition, author, at)
VALUES (@id, @revision, @definition, @author, @updatedAt)`;
const COUNTS = `SELECT
  sum(state = 'compliant' AND revision = @revision) AS compliant,
  sum(state = 'faulted' AND revision = @revision) AS faulted,
  sum(state = 'pending' OR revision <> @revision) AS pending
FROM policy_compliance WHERE policy_id = @id`;

function params(p: PolicyRecord): Record<string, string | number> {
  return {
    id: p.id,
    name: p.name,
    priority: p.priority,
    revision: p.revision,
    definition: json(definitionOf(p)),
    author: p.author,
    createdAt: p.createdAt,
    updatedAt: p.updatedAt,
  };
}

export function createPolicy(db: Db, p: PolicyRecord): void {
  db.immediate(() => {
    db.run(INSERT_POLICY, params(p));
    db.run(INSERT_REVISION, params(p));
  });
}

export function updatePolicy(db: Db, p: PolicyRecord): boolean {
  return db.immediate(() => {
    if (db.run(UPDATE_POLICY, params(p)) === 0) return false;
    db.run(INSERT_REVISION, params(p));
    return true;
  });
}

export function getPolicy(db: Db, id: string): PolicyRecord | null {
  const row = db.get<PolicyRow>(`SELECT ${POLICY_COLUMNS} FROM policies WHERE id = @id`, { id });
  return row ? toPolicy(row) : null;
}

export function listPolicies(db: Db): PolicyRecord[] {
  return db.all<PolicyRow>(`SELECT ${POLICY_COLUMNS} FROM policies ORDER BY priority DESC, name, id`).map(toPolicy);
}

export function deletePolicy(db: Db, id: string): boolean {
  return db.immediate(() => {
    const existed = db.run('DELETE FROM policies WHERE id = @id', { id }) > 0;
    db.run('DELETE FROM policy_revisions WHERE policy_id = @id', { id });
    db.run('DELETE FROM policy_compliance WHERE policy_id = @id', { id });
    return existed;
  });
}

export function listPolicyRevisions(db: Db, policyId: string): PolicyRevision[] {
  return db
    .all<RevisionRow>('SELECT policy_id, revision, definition, author, at FROM policy_revisions WHERE policy_id = @id ORDER BY revision DESC', {
      id: policyId,
    })
    .map(toRevision);
}

export function policyCompliance(db: Db, policyId: string, revision: number): ComplianceCounts {
  return toCounts(db.get<CountRow>(COUNTS, { id: policyId, revision }));
}

export function deviceCompliance(db: Db, deviceId: string): ComplianceRecord[] {
  return db
    .all<ComplianceRow>('SELECT device_id, policy_id, revision, state, fault, at FROM policy_compliance WHERE device_id = @id ORDER BY policy_id', {
      id: deviceId,
    })
    .map(toCompliance);
}

export function policyMemos(db: Db, deviceIds: readonly string[]): Record<string, string> {
  if (deviceIds.length > 1000) throw new Error('policyMemos: at most 1,000 devices at a time');
  if (deviceIds.length === 0) return {};
  const rows = db.all<{ device_id: string; memo: string }>('SELECT device_id, memo FROM device_policy WHERE device_id IN (SELECT value FROM json_each(@ids))', {
    ids: JSON.stringify(deviceIds),
  });
  return Object.fromEntries(rows.map((r) => [r.device_id, r.memo]));
}
