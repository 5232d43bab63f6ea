/**
 * The campaigns concern (../concerns/campaigns.ts) on PostgreSQL: every method one statement.
 * Batches travel as one JSON array parameter (json_array_elements), as tasks do.
 */
import {
  CAMPAIGN_COLUMNS,
  CAMPAIGN_DEVICE_COLUMNS,
  campaignValues,
  columnsOf,
  SOFTWARE_VERSION_PATHS,
  toCampaign,
  toCampaignDevice,
  toCandidate,
  toProgress,
  type CampaignDeviceRow,
  type CampaignRow,
  type ProgressRow,
} from '../campaign-rows.js';
import type {
  CampaignCandidate,
  CampaignDeviceProgress,
  CampaignDeviceRecord,
  CampaignDeviceTransition,
  CampaignPatch,
  CampaignRecord,
  CampaignSnapshot,
  CampaignState,
  DeviceState,
  NewCampaignDevice,
} from '../types.js';
import { emptyCounts } from '../../campaigns/types.js';
import type { PgDb } from './db.js';

const placeholders = (n: number, from = 1): string => Array.from({ length: n }, (_, i) => `$${i + from}`).join(', ');
const NCOLS = CAMPAIGN_COLUMNS.split(', ').length;

/** The campaign and its rows in one statement (a CTE per table), so both land or neither. */
const CREATE = `WITH c AS (INSERT INTO campaigns (${CAMPAIGN_COLUMNS}) VALUES (${placeholders(NCOLS)}) RETURNING id)
INSERT INTO campaign_devices (${CAMPAIGN_DEVICE_COLUMNS})
SELECT c.id, x->>'deviceId', (n - 1)::integer, (x->>'wave')::integer, x->>'state', x->>'reason', NULL, NULL, 0, x->>'fromVersion', x->>'zone',
  NULL, NULL, CASE WHEN x->>'state' = 'skipped' THEN $${NCOLS + 2}::bigint END, $${NCOLS + 2}::bigint
FROM c, json_array_elements($${NCOLS + 1}::json) WITH ORDINALITY AS t(x, n)`;

export async function createCampaign(db: PgDb, c: CampaignRecord, devices: NewCampaignDevice[], nextAt: number | null): Promise<void> {
  await db.run(CREATE, [...campaignValues(c, nextAt), JSON.stringify(devices), c.createdAt]);
}

export async function getCampaign(db: PgDb, id: string): Promise<CampaignRecord | null> {
  const [r] = await db.query<CampaignRow>(`SELECT ${CAMPAIGN_COLUMNS} FROM campaigns WHERE id = $1`, [id]);
  return r === undefined ? null : toCampaign(r);
}

export async function listCampaigns(db: PgDb, q: { states?: CampaignState[]; limit: number; offset?: number }): Promise<{ total: number; campaigns: CampaignRecord[] }> {
  const states = q.states === undefined || q.states.length === 0 ? null : q.states;
  const rows = await db.query<CampaignRow & { total: number }>(
    `SELECT ${CAMPAIGN_COLUMNS}, count(*) OVER () AS total FROM campaigns WHERE ($1::text[] IS NULL OR state = ANY ($1::text[]))
     ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3`,
    [states, Math.max(0, Math.floor(q.limit)), Math.max(0, Math.floor(q.offset ?? 0))],
  );
  let total = rows[0]?.total;
  if (total === undefined) {
    const [r] = await db.query<{ n: number }>(`SELECT count(*)::bigint AS n FROM campaigns WHERE ($1::text[] IS NULL OR state = ANY ($1::text[]))`, [states]);
    total = r?.n ?? 0;
  }
  return { total, campaigns: rows.map(toCampaign) };
}

const UPDATE = `UPDATE campaigns SET
  state = coalesce($3, state),
  reason = CASE WHEN $4 THEN $5 ELSE reason END,
  wave = coalesce($6, wave),
  ack_failed = coalesce($7, ack_failed),
  resumed_at = coalesce($8, resumed_at),
  next_at = CASE WHEN $9 THEN $10::bigint ELSE next_at END,
  revision = revision + 1,
  updated_at = $11
WHERE id = $1 AND revision = $2
RETURNING ${CAMPAIGN_COLUMNS}`;

export async function updateCampaign(db: PgDb, id: string, revision: number, p: CampaignPatch, now: number): Promise<CampaignRecord | null> {
  const [r] = await db.query<CampaignRow>(UPDATE, [
    id,
    revision,
    p.state ?? null,
    p.reason !== undefined,
    p.reason ?? null,
    p.wave ?? null,
    p.ackFailed ?? null,
    p.resumedAt ?? null,
    p.nextAt !== undefined,
    p.nextAt ?? null,
    now,
  ]);
  return r === undefined ? null : toCampaign(r);
}

/**
 * One statement: FOR UPDATE SKIP LOCKED passes over campaigns another claimer is taking
 * right now; READ COMMITTED re-checks a locked row's newest version against the WHERE.
 */
const CLAIM = `UPDATE campaigns SET lease_owner = $1, lease_until = $2::bigint + $3::bigint
WHERE id IN (
  SELECT id FROM campaigns
  WHERE next_at IS NOT NULL AND next_at <= $2 AND (lease_until IS NULL OR lease_until <= $2 OR lease_owner = $1)
  ORDER BY next_at, id LIMIT $4 FOR UPDATE SKIP LOCKED)
AND next_at IS NOT NULL AND next_at <= $2 AND (lease_until IS NULL OR lease_until <= $2 OR lease_owner = $1)
RETURNING ${CAMPAIGN_COLUMNS}`;

export async function claimCampaigns(db: PgDb, owner: string, now: number, leaseMs: number, limit: number): Promise<CampaignRecord[]> {
  if (limit <= 0) return [];
  const rows = await db.query<CampaignRow>(CLAIM, [owner, now, leaseMs, Math.floor(limit)]);
  return rows.map(toCampaign).sort((a, b) => (a.id < b.id ? -1 : 1));
}

export async function releaseCampaign(db: PgDb, id: string, owner: string, revision: number, nextAt: number | null): Promise<void> {
  await db.run(
    `UPDATE campaigns SET lease_owner = NULL, lease_until = NULL, next_at = CASE WHEN revision = $3 THEN $4::bigint ELSE next_at END
     WHERE id = $1 AND lease_owner = $2`,
    [id, owner, revision, nextAt],
  );
}

const SNAPSHOT = `SELECT c.wave_sizes,
  (SELECT coalesce(json_agg(json_build_object('wave', g.wave, 'state', g.state, 'n', g.n)), '[]'::json)
     FROM (SELECT wave, state, count(*) AS n FROM campaign_devices WHERE campaign_id = $1 GROUP BY wave, state) g) AS counts,
  (SELECT count(*) FROM campaign_devices WHERE campaign_id = $1 AND scheduled_at >= $2) AS starts
FROM campaigns c WHERE c.id = $1`;

export async function campaignSnapshot(db: PgDb, id: string, since: number): Promise<CampaignSnapshot | null> {
  const [r] = await db.query<{ wave_sizes: number[]; counts: { wave: number; state: DeviceState; n: number }[]; starts: number }>(SNAPSHOT, [id, since]);
  if (r === undefined) return null;
  const waves = r.wave_sizes.map(() => emptyCounts());
  for (const g of r.counts) {
    const w = waves[g.wave];
    if (w !== undefined) w[g.state] += Number(g.n);
  }
  return { waves, startsSince: Number(r.starts) };
}

export async function listCampaignDevices(
  db: PgDb,
  id: string,
  q: { states?: DeviceState[]; wave?: number; afterSeq?: number; limit: number },
): Promise<CampaignDeviceRecord[]> {
  const rows = await db.query<CampaignDeviceRow>(
    `SELECT ${CAMPAIGN_DEVICE_COLUMNS} FROM campaign_devices
     WHERE campaign_id = $1 AND ($2::text[] IS NULL OR state = ANY ($2::text[])) AND ($3::integer IS NULL OR wave = $3) AND seq > $4
     ORDER BY seq LIMIT $5`,
    [id, q.states === undefined || q.states.length === 0 ? null : q.states, q.wave ?? null, q.afterSeq ?? -1, Math.max(0, Math.floor(q.limit))],
  );
  return rows.map(toCampaignDevice);
}

const VERSION_OF = (alias: string) =>
  `(SELECT p.value FROM parameters p WHERE p.device_id = ${alias}.device_id AND p.path IN ('${SOFTWARE_VERSION_PATHS.join("', '")}') ORDER BY p.path LIMIT 1)`;

const PROGRESS = `SELECT ${columnsOf(CAMPAIGN_DEVICE_COLUMNS, 'cd')}, t.state AS task_state, t.fault AS task_fault, d.last_boot AS last_boot, ${VERSION_OF('cd')} AS version
FROM campaign_devices cd
LEFT JOIN tasks t ON t.device_id = cd.device_id AND t.id = cd.task_id
LEFT JOIN devices d ON d.id = cd.device_id
WHERE cd.campaign_id = $1 AND cd.state IN ('scheduled', 'downloading', 'installing')
ORDER BY cd.seq LIMIT $2`;

export async function campaignProgress(db: PgDb, id: string, limit: number): Promise<CampaignDeviceProgress[]> {
  return (await db.query<ProgressRow>(PROGRESS, [id, Math.max(0, Math.floor(limit))])).map(toProgress);
}

const CANDIDATES = `SELECT ${columnsOf(CAMPAIGN_DEVICE_COLUMNS, 'cd')}, ${VERSION_OF('cd')} AS version
FROM campaign_devices cd
WHERE cd.campaign_id = $1 AND cd.state = 'pending' AND cd.wave <= $2
ORDER BY cd.seq LIMIT $3`;

export async function campaignCandidates(db: PgDb, id: string, maxWave: number, limit: number): Promise<CampaignCandidate[]> {
  return (await db.query<CampaignDeviceRow & { version: string | null }>(CANDIDATES, [id, maxWave, Math.max(0, Math.floor(limit))])).map(toCandidate);
}

/** Each element: the row's new values and, per optional field, whether to set it ("s…"). */
const TRANSITION = `UPDATE campaign_devices cd SET
  state = x->>'to',
  reason = CASE WHEN (x->>'sReason')::boolean THEN x->>'reason' ELSE cd.reason END,
  fault = CASE WHEN (x->>'sFault')::boolean THEN x->'fault' ELSE cd.fault END,
  task_id = CASE WHEN (x->>'sTask')::boolean THEN x->>'taskId' ELSE cd.task_id END,
  attempts = cd.attempts + (x->>'attempt')::integer,
  scheduled_at = CASE WHEN (x->>'sScheduled')::boolean THEN (x->>'scheduledAt')::bigint ELSE cd.scheduled_at END,
  downloading_at = CASE WHEN (x->>'sDownloading')::boolean THEN (x->>'downloadingAt')::bigint ELSE cd.downloading_at END,
  finished_at = CASE WHEN (x->>'sFinished')::boolean THEN (x->>'finishedAt')::bigint ELSE cd.finished_at END,
  updated_at = $3
FROM json_array_elements($2::json) AS t(x)
WHERE cd.campaign_id = $1 AND cd.device_id = x->>'deviceId'
  AND cd.state IN (SELECT json_array_elements_text(x->'from'))
RETURNING cd.device_id`;

export async function transitionCampaignDevices(db: PgDb, id: string, transitions: CampaignDeviceTransition[], now: number): Promise<string[]> {
  if (transitions.length === 0) return [];
  const items = transitions.map((t) => ({
    deviceId: t.deviceId,
    from: t.from,
    to: t.to,
    sReason: t.reason !== undefined,
    reason: t.reason ?? null,
    sFault: t.fault !== undefined,
    fault: t.fault ?? null,
    sTask: t.taskId !== undefined,
    taskId: t.taskId ?? null,
    attempt: t.attempt === true ? 1 : 0,
    sScheduled: t.scheduledAt !== undefined,
    scheduledAt: t.scheduledAt ?? null,
    sDownloading: t.downloadingAt !== undefined,
    downloadingAt: t.downloadingAt ?? null,
    sFinished: t.finishedAt !== undefined,
    finishedAt: t.finishedAt ?? null,
  }));
  const changed = new Set((await db.query<{ device_id: string }>(TRANSITION, [id, JSON.stringify(items), now])).map((r) => r.device_id));
  return transitions.map((t) => t.deviceId).filter((d) => changed.has(d));
}

export async function recentCampaignOutcomes(db: PgDb, id: string, since: number, limit: number): Promise<DeviceState[]> {
  const rows = await db.query<{ state: DeviceState }>(
    `SELECT state FROM campaign_devices
     WHERE campaign_id = $1 AND state IN ('succeeded', 'failed') AND finished_at >= $2
     ORDER BY finished_at DESC, seq DESC LIMIT $3`,
    [id, since, Math.max(0, Math.floor(limit))],
  );
  return rows.map((r) => r.state);
}

export async function campaignsUsingFile(db: PgDb, fileId: string): Promise<string[]> {
  return (await db.query<{ id: string }>(`SELECT id FROM campaigns WHERE file_id = $1 AND state IN ('running', 'paused') ORDER BY id`, [fileId])).map((r) => r.id);
}

export async function deleteCampaign(db: PgDb, id: string): Promise<boolean> {
  return (await db.run(`DELETE FROM campaigns WHERE id = $1 AND state IN ('done', 'aborted')`, [id])) > 0;
}
