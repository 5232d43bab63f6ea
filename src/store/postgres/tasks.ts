/**
 * The task queue: create, hand out at session start (sessions.ts, inside openSession:
 * marked `running` in the same statement), record outcomes at commit (write ops, ../session-writes.ts),
 * retry, delete, expire. Ids are random UUIDs; `seq` comes from a sequence, so concurrent
 * creators in any number of processes get distinct, increasing numbers without reading
 * max(seq), and one device's tasks keep their creation order.
 *
 * Claiming across processes: a device's tasks are only handed to the session that holds the
 * device's lock, in the statement that takes it, so two ACS processes never both run one
 * task. The fleet-wide expiry sweep is one UPDATE … WHERE state = 'queued' RETURNING: when
 * two processes sweep at once, each task is expired (and reported) by exactly one of them.
 */
import { randomUUID } from 'node:crypto';
import type { ConnectionRequestRecord, TaskState, TaskType } from '../../tasks/types.js';
import { commandKeyOf } from '../../tasks/rpc.js';
import type { NewTask, TaskQuery, TaskRecord } from '../types.js';
import type { PgDb } from './db.js';
import { devicesMatching } from './query.js';
import { TASK_JSON } from './rows.js';
import { searchableSet } from './search.js';

const INSERT = `INSERT INTO tasks AS r (id, device_id, type, task, command_key, state, created_at, updated_at, expires_at)
SELECT x->>'id', x->>'deviceId', x->>'type', (x->>'task')::json, x->>'commandKey', 'queued', $2, $2, (x->>'expiresAt')::bigint
FROM json_array_elements($1::json) WITH ORDINALITY AS t(x, n) ORDER BY n
RETURNING ${TASK_JSON} AS r`;
const BY_ID = `SELECT ${TASK_JSON} AS r FROM tasks r WHERE r.id = $1`;
const RETRY = `WITH u AS (
  UPDATE tasks SET state = 'queued', fault = NULL, response = NULL, expires_at = NULL, attempts = 0, updated_at = $2
  WHERE id = $1 AND state IN ('fault', 'expired') RETURNING *)
SELECT x.r FROM (SELECT ${TASK_JSON} AS r, 0 AS o FROM u r UNION ALL SELECT ${TASK_JSON}, 1 FROM tasks r WHERE r.id = $1) x
ORDER BY x.o LIMIT 1`;
const DELETE = 'DELETE FROM tasks WHERE id = $1';
const EXPIRE = `UPDATE tasks r SET state = 'expired', updated_at = $1
WHERE (r.state = 'queued' OR (r.state = 'running' AND r.response IS NOT NULL)) AND r.expires_at IS NOT NULL AND r.expires_at <= $1 RETURNING ${TASK_JSON} AS r`;
const CONNECTION_REQUEST = 'UPDATE tasks SET connection_request = $2 WHERE id = ANY ($1::text[])';

export async function createTasks(db: PgDb, tasks: readonly NewTask[], now: number): Promise<TaskRecord[]> {
  if (tasks.length === 0) return [];
  const rows = tasks.map((t) => ({
    id: randomUUID(),
    deviceId: t.deviceId,
    type: t.task.type,
    task: JSON.stringify(t.task),
    commandKey: commandKeyOf(t.task),
    expiresAt: t.expiresAt ?? null,
  }));
  const made = new Map((await db.query<{ r: TaskRecord }>(INSERT, [JSON.stringify(rows), now])).map(({ r }) => [r.id, r]));
  return rows.map((row) => made.get(row.id)!);
}

export async function getTask(db: PgDb, id: string): Promise<TaskRecord | null> {
  const [row] = await db.query<{ r: TaskRecord }>(BY_ID, [id]);
  return row?.r ?? null;
}

/** WHERE for the optional device and states; parameters from $3 on (so $1, $2 stay free). */
function where(q: { deviceId?: string; states?: readonly TaskState[]; types?: readonly TaskType[]; devices?: TaskQuery['devices'] }, params: unknown[], searchable?: ReadonlySet<string>): string {
  const conds: string[] = [];
  if (q.devices !== undefined && searchable !== undefined) conds.push(devicesMatching('r.device_id', q.devices, searchable, params));
  if (q.deviceId !== undefined) {
    params.push(q.deviceId);
    conds.push(`r.device_id = $${params.length}`);
  }
  if (q.states !== undefined) {
    params.push([...q.states]);
    conds.push(`r.state = ANY ($${params.length}::text[])`);
  }
  if (q.types !== undefined) {
    params.push([...q.types]);
    conds.push(`r.type = ANY ($${params.length}::text[])`);
  }
  return conds.length === 0 ? '' : `WHERE ${conds.join(' AND ')}`;
}

/** Count and page in one statement, hence one snapshot. */
export async function listTasks(db: PgDb, q: TaskQuery = {}): Promise<{ total: number; tasks: TaskRecord[] }> {
  const limit = q.limit === undefined ? null : Math.max(0, Math.floor(q.limit));
  const offset = Math.max(0, Math.floor(q.offset ?? 0));
  const params: unknown[] = [limit, offset];
  const w = where(q, params, q.devices !== undefined ? await searchableSet(db) : undefined);
  const dir = q.newestFirst === true ? 'DESC' : 'ASC';
  const order = `r.created_at ${dir}, r.seq ${dir}, r.id ${dir}`;
  const sql = `SELECT (SELECT count(*) FROM tasks r ${w}) AS total,
  (SELECT coalesce(json_agg(x.r ORDER BY x.n), '[]'::json) FROM
    (SELECT ${TASK_JSON} AS r, row_number() OVER (ORDER BY ${order}) AS n FROM tasks r ${w}
     ORDER BY ${order} LIMIT $1 OFFSET $2) x) AS tasks`;
  // A scoped view's SQL varies with the scope: not kept as a named statement.
  const [row] = q.devices === undefined ? await db.query<{ total: number; tasks: TaskRecord[] }>(sql, params) : await db.queryUnprepared<{ total: number; tasks: TaskRecord[] }>(sql, params);
  return { total: row?.total ?? 0, tasks: row?.tasks ?? [] };
}

export async function retryTask(db: PgDb, id: string, now: number): Promise<TaskRecord | null> {
  const [row] = await db.query<{ r: TaskRecord }>(RETRY, [id, now]);
  return row?.r ?? null;
}

export async function deleteTask(db: PgDb, id: string): Promise<boolean> {
  return (await db.run(DELETE, [id])) > 0;
}

export async function deleteTasks(db: PgDb, q: { deviceId?: string; states?: readonly TaskState[] }): Promise<number> {
  const params: unknown[] = [];
  const w = where(q, params);
  if (w === '') throw new Error('deleteTasks needs a device or a state');
  return db.run(`DELETE FROM tasks r ${w}`, params);
}

export async function expireTasks(db: PgDb, now: number): Promise<TaskRecord[]> {
  return (await db.query<{ r: TaskRecord }>(EXPIRE, [now])).map(({ r }) => r);
}

export async function recordConnectionRequest(db: PgDb, ids: readonly string[], record: ConnectionRequestRecord): Promise<void> {
  if (ids.length === 0) return;
  await db.run(CONNECTION_REQUEST, [[...ids], JSON.stringify(record)]);
}
