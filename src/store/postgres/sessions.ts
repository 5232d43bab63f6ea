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
 * commitSession is ONE call of flotilla_commit_session (migrations.ts): every write and
 * the unlock, in one transaction.
 */
import type { SessionCommit, SessionOpenInput, SessionOpenResult } from '../types.js';
import type { PgDb } from './db.js';
import { deviceRowOf } from './devices.js';
import { planParameterOps } from './parameters.js';
import { CREDENTIAL_JSON, DEVICE_JSON, TASK_JSON, toCredential, toDeviceSummary, type DeviceJson } from './rows.js';
import { dedupeOutcomes } from './tasks.js';
import type { CpeCredential, TaskRecord } from '../types.js';

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
    AND EXISTS (SELECT 1 FROM lock)
  RETURNING *
)
SELECT EXISTS (SELECT 1 FROM lock) AS acquired,
  (SELECT ${DEVICE_JSON} FROM devices d WHERE d.id = $1) AS device,
  (SELECT ${CREDENTIAL_JSON} FROM cpe_credentials c WHERE c.device_id = $1) AS credential,
  (SELECT coalesce(json_agg(${TASK_JSON} ORDER BY r.seq), '[]'::json) FROM taken r) AS queue`;

/** Extending a lapsed lock that nobody took is fine: nobody else ran a session meanwhile. */
const EXTEND_LOCK = 'UPDATE session_locks SET expires_at = $3 WHERE device_id = $1 AND owner = $2';
/** Freeing our lock without a commit (the session failed): the tasks it held go back to the queue. */
const RELEASE_LOCK = `
WITH released AS (DELETE FROM session_locks WHERE device_id = $1 AND owner = $2 RETURNING 1)
UPDATE tasks SET state = 'queued', updated_at = $3
WHERE device_id = $1 AND state = 'running' AND EXISTS (SELECT 1 FROM released)`;
const COMMIT = 'SELECT flotilla_commit_session($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)';

export interface HistoryLimits {
  sessionsPerDevice: number;
  cpeMessagesPerDevice: number;
}

interface OpenRow {
  acquired: boolean;
  device: DeviceJson | null;
  credential: CpeCredential | null;
  queue: TaskRecord[];
}

export async function openSession(db: PgDb, input: SessionOpenInput): Promise<SessionOpenResult> {
  const [row] = await db.query<OpenRow>(OPEN_SESSION, [input.deviceId, input.lockOwner, input.now + input.lockTtlMs, input.now]);
  if (row === undefined) throw new Error('openSession returned no row');
  const device = row.device === null ? null : toDeviceSummary(row.device);
  const credential = row.credential === null ? null : toCredential(row.credential);
  // A busy device's queue belongs to the session that holds it: neither read nor expired.
  if (!row.acquired) return { lock: 'busy', device, credential, queue: [] };
  return { lock: 'acquired', device, credential, queue: row.queue };
}

export async function extendLock(db: PgDb, device: string, owner: string, ttlMs: number, now: number): Promise<boolean> {
  return (await db.run(EXTEND_LOCK, [device, owner, now + ttlMs])) > 0;
}

export async function releaseLock(db: PgDb, device: string, owner: string, now = Date.now()): Promise<void> {
  await db.run(RELEASE_LOCK, [device, owner, now]);
}

/**
 * Every write of a session, all or nothing (sqlite/sessions.ts has the same contract: a
 * commit after the lock was lost still writes, and leaves the new owner's lock alone).
 * Serialising happens before anything is sent, so an unencodable commit changes nothing.
 */
export async function commitSession(db: PgDb, c: SessionCommit, limits: HistoryLimits): Promise<void> {
  const steps = planParameterOps(c.parameterOps);
  const outcomes = dedupeOutcomes(c.requestOutcomes).map((o) => {
    // A fault may carry the answer of an earlier step (addObject whose values failed).
    const response = o.state === 'done' ? o.response : (o.response ?? null);
    return {
      id: o.requestId,
      state: o.state,
      response: response === null ? null : JSON.stringify(response),
      fault: o.state === 'fault' ? JSON.stringify(o.fault) : null,
      at: o.at,
    };
  });
  const messages = c.cpeMessages.map(({ at, message }) => ({
    at,
    message: JSON.stringify(message),
    // A failed transfer: the commit function faults the task with this CommandKey.
    ...(message.method === 'TransferComplete' && message.faultStruct.faultCode !== 0
      ? {
          transferFault: {
            commandKey: message.commandKey,
            fault: JSON.stringify({ faultCode: message.faultStruct.faultCode, faultString: message.faultStruct.faultString, setParameterValuesFault: [] }),
          },
        }
      : {}),
  }));
  const log = {
    startedAt: c.log.startedAt,
    endedAt: c.log.endedAt,
    events: JSON.stringify(c.log.events),
    rpcs: JSON.stringify(c.log.rpcs),
    cpeRequests: JSON.stringify(c.log.cpeRequests),
    outcome: c.log.outcome,
    linkedRequests: JSON.stringify(c.log.linkedRequests),
  };
  const params = [
    c.deviceId,
    c.lockOwner,
    c.releaseLock,
    limits.sessionsPerDevice,
    limits.cpeMessagesPerDevice,
    JSON.stringify(deviceRowOf(c.identity, c.informAt, c.events)),
    JSON.stringify(steps),
    JSON.stringify(outcomes),
    JSON.stringify(messages),
    JSON.stringify(log),
  ];
  await db.query(COMMIT, params);
}
