/**
 * The task queue: create, hand out at session start (marking `running`), record outcomes at
 * commit, retry, delete, expire. Ids are random UUIDs; `seq` orders one device's tasks and is
 * assigned inside the IMMEDIATE transaction, so two creators cannot take the same number.
 *
 * Portable on purpose: plain INSERT/UPDATE/SELECT, JSON kept as TEXT, no triggers.
 */
import { randomUUID } from 'node:crypto';
import type { ConnectionRequestRecord, Task, TaskState, TaskType } from '../../tasks/types.js';
import { commandKeyOf } from '../../tasks/rpc.js';
import type { NewTask, TaskQuery, TaskRecord } from '../types.js';
import { json, type Db, type Params } from './db.js';
import { devicesMatching } from './query.js';

interface TaskRow {
  id: string;
  device_id: string;
  seq: number;
  task: string;
  command_key: string | null;
  state: TaskState;
  response: string | null;
  fault: string | null;
  attempts: number;
  connection_request: string | null;
  created_at: number;
  updated_at: number;
  expires_at: number | null;
}

const COLUMNS =
  'id, device_id, seq, task, command_key, state, response, fault, attempts, connection_request, created_at, updated_at, expires_at';

function toTask(r: TaskRow): TaskRecord {
  return {
    id: r.id,
    deviceId: r.device_id,
    task: JSON.parse(r.task) as Task,
    seq: r.seq,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    state: r.state,
    commandKey: r.command_key,
    response: r.response === null ? null : (JSON.parse(r.response) as TaskRecord['response']),
    fault: r.fault === null ? null : (JSON.parse(r.fault) as TaskRecord['fault']),
    updatedAt: r.updated_at,
    attempts: r.attempts,
    connectionRequest: r.connection_request === null ? null : (JSON.parse(r.connection_request) as ConnectionRequestRecord),
  };
}

const NEXT_SEQ = 'SELECT coalesce(max(seq), 0) + 1 AS seq FROM tasks WHERE device_id = @device';
const INSERT = `INSERT INTO tasks (${COLUMNS}, type)
VALUES (@id, @device, @seq, @task, @commandKey, 'queued', NULL, NULL, 0, NULL, @now, @now, @expiresAt, @type)`;
const BY_ID = `SELECT ${COLUMNS} FROM tasks WHERE id = @id`;
const EXPIRE_DEVICE = `UPDATE tasks SET state = 'expired', updated_at = @now
WHERE device_id = @device AND state IN ('queued', 'running') AND expires_at IS NOT NULL AND expires_at <= @now`;
const PENDING = `SELECT ${COLUMNS} FROM tasks
WHERE device_id = @device AND state IN ('queued', 'running') ORDER BY seq`;
const MARK_RUNNING = `UPDATE tasks SET state = 'running', attempts = attempts + 1, updated_at = @now
WHERE device_id = @device AND state IN ('queued', 'running')`;
const RETRY = `UPDATE tasks SET state = 'queued', fault = NULL, response = NULL, expires_at = NULL, attempts = 0, updated_at = @now
WHERE id = @id AND state IN ('fault', 'expired')`;
const DELETE = 'DELETE FROM tasks WHERE id = @id';
/** Queued tasks, and running ones waiting across sessions (a step recorded: a Download's status 1 …). */
const EXPIRABLE = `(state = 'queued' OR (state = 'running' AND response IS NOT NULL)) AND expires_at IS NOT NULL AND expires_at <= @now`;
const EXPIRING = `SELECT ${COLUMNS} FROM tasks WHERE ${EXPIRABLE}`;
const EXPIRE_IDS = `UPDATE tasks SET state = 'expired', updated_at = @now WHERE ${EXPIRABLE}`;
const CONNECTION_REQUEST = `UPDATE tasks SET connection_request = @record WHERE id IN (SELECT value FROM json_each(@ids))`;

export function createTasks(db: Db, tasks: readonly NewTask[], now: number): TaskRecord[] {
  return db.immediate(() =>
    tasks.map((t) => {
      const id = randomUUID();
      const { seq } = db.get<{ seq: number }>(NEXT_SEQ, { device: t.deviceId })!;
      db.run(INSERT, {
        id,
        device: t.deviceId,
        seq,
        task: json(t.task),
        type: t.task.type,
        commandKey: commandKeyOf(t.task),
        now,
        expiresAt: t.expiresAt ?? null,
      });
      return toTask(db.get<TaskRow>(BY_ID, { id })!);
    }),
  );
}

export function getTask(db: Db, id: string): TaskRecord | null {
  const row = db.get<TaskRow>(BY_ID, { id });
  return row ? toTask(row) : null;
}

function where(q: { deviceId?: string; states?: readonly TaskState[]; types?: readonly TaskType[]; devices?: TaskQuery['devices'] }, params: Params, db?: Db): string {
  const conds: string[] = [];
  if (q.devices !== undefined && db !== undefined) conds.push(devicesMatching(db, 'device_id', q.devices, params));
  if (q.deviceId !== undefined) {
    conds.push('device_id = @device');
    params.device = q.deviceId;
  }
  if (q.states !== undefined) {
    conds.push('state IN (SELECT value FROM json_each(@states))');
    params.states = json(q.states);
  }
  if (q.types !== undefined) {
    conds.push('type IN (SELECT value FROM json_each(@types))');
    params.types = json(q.types);
  }
  return conds.length === 0 ? '' : `WHERE ${conds.join(' AND ')}`;
}

export function listTasks(db: Db, q: TaskQuery = {}): { total: number; tasks: TaskRecord[] } {
  const params: Params = {};
  const w = where(q, params, db);
  const dir = q.newestFirst === true ? 'DESC' : 'ASC';
  const limit = q.limit === undefined ? -1 : Math.max(0, Math.floor(q.limit));
  const offset = Math.max(0, Math.floor(q.offset ?? 0));
  return db.read(() => ({
    total: db.get<{ n: number }>(`SELECT count(*) AS n FROM tasks ${w}`, params)!.n,
    tasks: db
      .all<TaskRow>(`SELECT ${COLUMNS} FROM tasks ${w} ORDER BY created_at ${dir}, seq ${dir}, id ${dir} LIMIT @limit OFFSET @offset`, {
        ...params,
        limit,
        offset,
      })
      .map(toTask),
  }));
}

export function retryTask(db: Db, id: string, now: number): TaskRecord | null {
  return db.immediate(() => {
    db.run(RETRY, { id, now });
    return getTask(db, id);
  });
}

export function deleteTask(db: Db, id: string): boolean {
  return db.run(DELETE, { id }) > 0;
}

export function deleteTasks(db: Db, q: { deviceId?: string; states?: readonly TaskState[] }): number {
  const params: Params = {};
  const w = where(q, params);
  if (w === '') throw new Error('deleteTasks needs a device or a state');
  return db.run(`DELETE FROM tasks ${w}`, params);
}

export function expireTasks(db: Db, now: number): TaskRecord[] {
  return db.immediate(() => {
    const rows = db.all<TaskRow>(EXPIRING, { now });
    if (rows.length > 0) db.run(EXPIRE_IDS, { now });
    return rows.map((r) => ({ ...toTask(r), state: 'expired' as const, updatedAt: now }));
  });
}

export function recordConnectionRequest(db: Db, ids: readonly string[], record: ConnectionRequestRecord): void {
  if (ids.length === 0) return;
  db.run(CONNECTION_REQUEST, { ids: json(ids), record: json(record) });
}

/**
 * Inside openSession (lock held): retire what expired, mark the rest running and return
 * it in order. `running` ones are from a session that died without committing; we hold the
 * lock now, so nobody else is running them.
 */
export function takeTasks(db: Db, device: string, now: number): TaskRecord[] {
  db.run(EXPIRE_DEVICE, { device, now });
  db.run(MARK_RUNNING, { device, now });
  return db.all<TaskRow>(PENDING, { device }).map(toTask);
}
