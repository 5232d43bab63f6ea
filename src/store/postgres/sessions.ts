/**
 * The two round trips of a session and the lock calls.
 *
 * openSession is ONE statement: a data-modifying CTE takes the lock and, only when it was
 * taken, expires the device's tasks that are due and marks the others `running` (tasks left
 * running by a session that died are handed out again: we hold the lock now); the outer
 * SELECT reads the device, its tags, its credential and the tasks handed out. The lock is the sqlite/sessions.ts rule — a row
 * (device_id, owner, expires_at) taken when absent, expired or already ours — written as
 * INSERT … ON CONFLICT DO UPDATE … WHERE … RETURNING. That is atomic across processes: a
 * second inserter of the same device waits for the first's row, then re-checks the WHERE
 * against the committed row, so exactly one owner gets it; an expired lock (a killed
 * process) is simply taken over.
 *
 * commitSession and releaseLock are ONE call of flotilla_apply (migrations.ts) with the
 * planned write ops (../session-writes.ts): every write and the unlock, in one transaction.
 */
import { planCommit, releaseOps, type HistoryLimits, type WriteOp } from '../session-writes.js';
import type { DeviceCredentials, SessionCommit, SessionOpenInput, SessionOpenResult, TaskRecord } from '../types.js';
import type { PgDb } from './db.js';
import { SESSION_SUBSCRIBER_CTES, SESSION_SUBSCRIBER_SELECT, toSessionSubscriber, type SessionSubscriberJson } from './subscribers.js';
import { DEVICE_CREDENTIALS_JSON, DEVICE_JSON, TASK_JSON, toCredential, toDeviceSummary, type DeviceJson } from './rows.js';

const OPEN_SESSION = `
WITH lock AS (
  INSERT INTO session_locks AS l (device_id, owner, expires_at) VALUES ($1, $2, $3)
  ON CONFLICT (device_id) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
  WHERE l.owner = excluded.owner OR l.expires_at <= $4
  RETURNING 1
), expired AS (
  -- Data-modifying CTEs run to completion whether or not the query reads them.
  UPDATE tasks SET state = 'expired', updated_at = $4
  WHERE device_id = $1 AND state IN ('queued', 'running') AND expires_at <= $4 AND EXISTS (SELECT 1 FROM lock)
  RETURNING 1
), taken AS (
  UPDATE tasks SET state = 'running', attempts = attempts + 1, updated_at = $4
  WHERE device_id = $1 AND state IN ('queued', 'running') AND (expires_at IS NULL OR expires_at > $4)
    AND EXISTS (SELECT 1 FROM lock) AND $7::boolean
  RETURNING *
)${SESSION_SUBSCRIBER_CTES}
SELECT EXISTS (SELECT 1 FROM lock) AS acquired,
  (SELECT ${DEVICE_JSON} FROM devices d WHERE d.id = $1) AS device,
  (SELECT ${DEVICE_CREDENTIALS_JSON} FROM cpe_credentials c WHERE c.device_id = $1) AS credentials,
  (SELECT coalesce(json_agg(${TASK_JSON} ORDER BY r.seq), '[]'::json) FROM taken r) AS queue,
  (SELECT m.memo FROM device_policy m WHERE m.device_id = $1) AS policy_memo,
  ${SESSION_SUBSCRIBER_SELECT}`;

/** Extending a lapsed lock that nobody took is fine: nobody else ran a session meanwhile. */
const EXTEND_LOCK = 'UPDATE session_locks SET expires_at = $3 WHERE device_id = $1 AND owner = $2';
/** Any list of write ops, in order, in one transaction: see migrations.ts (flotilla_apply). */
const APPLY = 'SELECT flotilla_apply($1, $2::json)';

interface OpenRow {
  acquired: boolean;
  device: DeviceJson | null;
  credentials: DeviceCredentials | null;
  queue: TaskRecord[];
  policy_memo: string | null;
  subscriber: SessionSubscriberJson | null;
}

export async function openSession(db: PgDb, input: SessionOpenInput): Promise<SessionOpenResult> {
  const [row] = await db.query<OpenRow>(OPEN_SESSION, [
    input.deviceId,
    input.lockOwner,
    input.now + input.lockTtlMs,
    input.now,
    input.claims?.serialNumber ?? '',
    input.claims?.codes ?? [],
    input.takeTasks !== false,
  ]);
  if (row === undefined) throw new Error('openSession returned no row');
  const device = row.device === null ? null : toDeviceSummary(row.device);
  const credentials = row.credentials;
  const credential = credentials === null ? null : toCredential(credentials.current.cpe);
  // A busy device's queue belongs to the session that holds it: neither read nor expired.
  if (!row.acquired) return { lock: 'busy', device, credential, credentials, queue: [], policyMemo: null };
  const subscriber = toSessionSubscriber(row.subscriber);
  // Only a device with a subscriber carries the key (most have none).
  return { lock: 'acquired', device, credential, credentials, queue: row.queue, policyMemo: row.policy_memo, ...(subscriber !== null ? { subscriber } : {}) };
}

export async function extendLock(db: PgDb, device: string, owner: string, ttlMs: number, now: number): Promise<boolean> {
  return (await db.run(EXTEND_LOCK, [device, owner, now + ttlMs])) > 0;
}

/**
 * Apply write ops in one statement (one round trip, one transaction). Serialising happens
 * before anything is sent, so an unencodable list changes nothing.
 */
export async function applyWrites(db: PgDb, device: string, ops: readonly WriteOp[]): Promise<void> {
  await db.query(APPLY, [device, JSON.stringify(ops)]);
}

export async function releaseLock(db: PgDb, device: string, owner: string, now = Date.now()): Promise<void> {
  await applyWrites(db, device, releaseOps(owner, now));
}

/** Every write of a session, all or nothing (../session-writes.ts planCommit). */
export async function commitSession(db: PgDb, c: SessionCommit, limits: HistoryLimits): Promise<void> {
  await applyWrites(db, c.deviceId, planCommit(c, limits));
}
