/**
 * The sessions-and-devices concern (../concerns/devices.ts) on PostgreSQL: the session's two
 * round trips and the lock (sessions.ts), listing and readParameters (query.ts), search
 * indexes (search.ts), and here the reads of one device, tags and deletion. Each call is one statement: reads that need several
 * tables aggregate them in the database, writes that touch several tables are one
 * statement of data-modifying CTEs (one transaction, one round trip).
 */
import { prefixUpperBound, subtreePrefix } from '../tree.js';
import type { DeviceRecord, StoredParameter } from '../types.js';
import type { PgDb } from './db.js';
import { DEVICE_JSON, PARAMETER_JSON, toDeviceSummary, type DeviceJson } from './rows.js';

export { listDevices, readParameters } from './query.js';
export { searchablePaths, setSearchablePaths } from './search.js';
export { commitSession, extendLock, openSession, releaseLock } from './sessions.js';

const PARAMS_ALL = `SELECT coalesce(json_agg(${PARAMETER_JSON} ORDER BY p.path), '[]'::json)
  FROM parameters p WHERE p.device_id = d.id`;
/** [path, hi) bounds the index range; the OR only drops look-alikes such as "X.a-b" for "X.a". */
const PARAMS_RANGE = `SELECT coalesce(json_agg(${PARAMETER_JSON} ORDER BY p.path), '[]'::json)
  FROM parameters p WHERE p.device_id = d.id AND p.path >= $2 AND p.path < $3 AND (p.path = $2 OR p.path >= $4)`;

/** The summary and the rows in one statement, hence one snapshot. */
const DEVICE_ALL = `SELECT ${DEVICE_JSON} AS device, (${PARAMS_ALL}) AS parameters FROM devices d WHERE d.id = $1`;
const DEVICE_RANGE = `SELECT ${DEVICE_JSON} AS device, (${PARAMS_RANGE}) AS parameters FROM devices d WHERE d.id = $1`;

/** Everything keyed by device, in one statement. */
const DELETE_DEVICE = `
WITH gone AS (DELETE FROM devices WHERE id = $1 RETURNING 1),
  t AS (DELETE FROM device_tags WHERE device_id = $1),
  p AS (DELETE FROM parameters WHERE device_id = $1),
  c AS (DELETE FROM cpe_credentials WHERE device_id = $1),
  l AS (DELETE FROM session_locks WHERE device_id = $1),
  r AS (DELETE FROM tasks WHERE device_id = $1),
  s AS (DELETE FROM session_log WHERE device_id = $1),
  m AS (DELETE FROM cpe_messages WHERE device_id = $1),
  pc AS (DELETE FROM policy_compliance WHERE device_id = $1),
  pm AS (DELETE FROM device_policy WHERE device_id = $1),
  ks AS (DELETE FROM samples WHERE device_id = $1),
  kh AS (DELETE FROM sample_hours WHERE device_id = $1),
  ac AS (DELETE FROM alarm_counts WHERE device_id = $1),
  al AS (DELETE FROM alarms WHERE device_id = $1 RETURNING id),
  ah AS (DELETE FROM alarm_history WHERE alarm_id IN (SELECT id FROM al)),
  cd AS (DELETE FROM campaign_devices WHERE device_id = $1),
  -- The device's own files (backups, logs: their bytes are chunk rows).
  fc AS (DELETE FROM file_chunks WHERE file_id IN (SELECT id FROM files WHERE device_id = $1)),
  f AS (DELETE FROM files WHERE device_id = $1)
SELECT EXISTS (SELECT 1 FROM gone) AS existed`;

/**
 * Removals first, then additions, as if in that order: a tag both removed and added ends up
 * present, which is why removal skips the tags being added (one statement's CTEs all see
 * the same snapshot, so they cannot be sequenced).
 */
const SET_TAGS = `
WITH dev AS (SELECT 1 FROM devices WHERE id = $1),
  removed AS (DELETE FROM device_tags WHERE device_id = $1 AND tag = ANY ($3::text[]) AND NOT (tag = ANY ($2::text[]))
    AND EXISTS (SELECT 1 FROM dev)),
  added AS (INSERT INTO device_tags (device_id, tag) SELECT DISTINCT $1, t FROM unnest($2::text[]) AS t
    WHERE EXISTS (SELECT 1 FROM dev) ON CONFLICT DO NOTHING)
SELECT EXISTS (SELECT 1 FROM dev) AS found`;

/**
 * `subtree` "X.Y." selects that object and everything under it; a parameter path selects
 * that parameter. Rows come in byte order of path.
 */
export async function getDevice(db: PgDb, id: string, opts: { subtree?: string } = {}): Promise<DeviceRecord | null> {
  const subtree = opts.subtree;
  const lo = subtree === undefined ? '' : subtreePrefix(subtree);
  const hi = prefixUpperBound(lo);
  const rows =
    hi === null
      ? await db.query<{ device: DeviceJson; parameters: StoredParameter[] }>(DEVICE_ALL, [id])
      : await db.query<{ device: DeviceJson; parameters: StoredParameter[] }>(DEVICE_RANGE, [id, subtree ?? lo, hi, lo]);
  const row = rows[0];
  if (row === undefined) return null;
  return { ...toDeviceSummary(row.device), parameters: row.parameters };
}

// Listing (filters, sort, paging, projection) is query.ts.

export async function deleteDevice(db: PgDb, id: string): Promise<boolean> {
  const [row] = await db.query<{ existed: boolean }>(DELETE_DEVICE, [id]);
  return row?.existed === true;
}

export async function setTags(db: PgDb, id: string, add: readonly string[], remove: readonly string[]): Promise<boolean> {
  const [row] = await db.query<{ found: boolean }>(SET_TAGS, [id, [...add], [...remove]]);
  return row?.found === true;
}
