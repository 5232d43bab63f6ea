/**
 * The policies concern (../concerns/policies.ts) on PostgreSQL: every call one statement.
 */
import { POLICY_COLUMNS, definitionOf, toCompliance, toCounts, toPolicy, toRevision, type ComplianceRow, type CountRow, type PolicyRow, type RevisionRow } from '../policy-rows.js';
import type { ComplianceCounts, ComplianceRecord, PolicyRecord, PolicyRevision } from '../types.js';
import type { PgDb } from './db.js';

/** $1 id, $2 name, $3 priority, $4 revision, $5 definition, $6 author, $7 created, $8 updated. */
const CREATE = `WITH p AS (
  INSERT INTO policies (id, name, priority, revision, definition, author, created_at, updated_at)
  VALUES ($1, $2, $3, $4, $5::json, $6, $7, $8) RETURNING id
)
INSERT INTO policy_revisions (policy_id, revision, definition, author, at)
SELECT id, $4, $5::json, $6, $8 FROM p`;
/** As CREATE, without created_at: $7 is updated_at. */
const UPDATE = `WITH p AS (
  UPDATE policies SET name = $2, priority = $3, revision = $4, definition = $5::json, author = $6, updated_at = $7
  WHERE id = $1 AND revision = $4 - 1 RETURNING id
)
INSERT INTO policy_revisions (policy_id, revision, definition, author, at)
SELECT id, $4, $5::json, $6, $7 FROM p`;
const DELETE = `WITH gone AS (DELETE FROM policies WHERE id = $1 RETURNING 1),
  r AS (DELETE FROM policy_revisions WHERE policy_id = $1),
  c AS (DELETE FROM policy_compliance WHERE policy_id = $1)
SELECT EXISTS (SELECT 1 FROM gone) AS existed`;
const COUNTS = `SELECT
  count(*) FILTER (WHERE state = 'compliant' AND revision = $2) AS compliant,
  count(*) FILTER (WHERE state = 'faulted' AND revision = $2) AS faulted,
  count(*) FILTER (WHERE state = 'pending' OR revision <> $2) AS pending
FROM policy_compliance WHERE policy_id = $1`;

const params = (p: PolicyRecord): unknown[] => [p.id, p.name, p.priority, p.revision, JSON.stringify(definitionOf(p)), p.author, p.createdAt, p.updatedAt];

export async function createPolicy(db: PgDb, p: PolicyRecord): Promise<void> {
  await db.run(CREATE, params(p));
}

export async function updatePolicy(db: PgDb, p: PolicyRecord): Promise<boolean> {
  return (await db.run(UPDATE, [p.id, p.name, p.priority, p.revision, JSON.stringify(definitionOf(p)), p.author, p.updatedAt])) > 0;
}

export async function getPolicy(db: PgDb, id: string): Promise<PolicyRecord | null> {
  const [row] = await db.query<PolicyRow>(`SELECT ${POLICY_COLUMNS} FROM policies WHERE id = $1`, [id]);
  return row ? toPolicy(row) : null;
}

export async function listPolicies(db: PgDb): Promise<PolicyRecord[]> {
  return (await db.query<PolicyRow>(`SELECT ${POLICY_COLUMNS} FROM policies ORDER BY priority DESC, name, id`)).map(toPolicy);
}

export async function deletePolicy(db: PgDb, id: string): Promise<boolean> {
  const [row] = await db.query<{ existed: boolean }>(DELETE, [id]);
  return row?.existed === true;
}

export async function listPolicyRevisions(db: PgDb, policyId: string): Promise<PolicyRevision[]> {
  const rows = await db.query<RevisionRow>(
    'SELECT policy_id, revision, definition, author, at FROM policy_revisions WHERE policy_id = $1 ORDER BY revision DESC',
    [policyId],
  );
  return rows.map(toRevision);
}

export async function policyCompliance(db: PgDb, policyId: string, revision: number): Promise<ComplianceCounts> {
  const [row] = await db.query<CountRow>(COUNTS, [policyId, revision]);
  return toCounts(row);
}

export async function deviceCompliance(db: PgDb, deviceId: string): Promise<ComplianceRecord[]> {
  const rows = await db.query<ComplianceRow>(
    'SELECT device_id, policy_id, revision, state, fault, at FROM policy_compliance WHERE device_id = $1 ORDER BY policy_id',
    [deviceId],
  );
  return rows.map(toCompliance);
}

export async function policyMemos(db: PgDb, deviceIds: readonly string[]): Promise<Record<string, string>> {
  if (deviceIds.length > 1000) throw new Error('policyMemos: at most 1,000 devices at a time');
  if (deviceIds.length === 0) return {};
  const rows = await db.query<{ device_id: string; memo: string }>('SELECT device_id, memo FROM device_policy WHERE device_id = ANY($1::text[])', [deviceIds]);
  return Object.fromEntries(rows.map((r) => [r.device_id, r.memo]));
}
