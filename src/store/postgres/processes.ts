/**
 * The processes concern (../concerns/processes.ts) on PostgreSQL: processes on any number
 * of hosts; one that stops heartbeating is retired by whichever peer notices first (two
 * noticing at once: the second finds the row gone and frees nothing twice).
 */
import type { AcsProcess, Heartbeat } from '../types.js';
import type { PgDb } from './db.js';

interface ProcessRow {
  id: string;
  host: string;
  pid: number;
  started_at: string | number;
  heartbeat_at: string | number;
}

/** A lock belongs to a process when its owner starts with "<id>:". */
const OWNED_BY = "left(l.owner, length(r.id) + 1) = r.id || ':'";

const HEARTBEAT = `
WITH me AS (
  INSERT INTO acs_processes AS p (id, host, pid, started_at, heartbeat_at) VALUES ($1, $2, $3, $4, $5)
  ON CONFLICT (id) DO UPDATE SET heartbeat_at = greatest(p.heartbeat_at, excluded.heartbeat_at)
  RETURNING 1
), r AS (
  DELETE FROM acs_processes WHERE $6::bigint IS NOT NULL AND heartbeat_at < $6::bigint AND id <> $1 RETURNING id
), freed AS (
  UPDATE session_locks l SET expires_at = 0 FROM r WHERE l.expires_at > 0 AND ${OWNED_BY} RETURNING 1
)
SELECT (SELECT count(*) FROM me) AS me, (SELECT coalesce(array_agg(id ORDER BY id), '{}') FROM r) AS dead, (SELECT count(*) FROM freed)::int AS freed`;

const RETIRE = `
WITH r AS (DELETE FROM acs_processes WHERE id = ANY($1::text[]) RETURNING id),
freed AS (UPDATE session_locks l SET expires_at = 0 FROM (SELECT unnest($1::text[]) AS id) r WHERE l.expires_at > 0 AND ${OWNED_BY} RETURNING 1)
SELECT (SELECT count(*) FROM r) AS removed, (SELECT count(*) FROM freed)::int AS freed`;

const toProcess = (r: ProcessRow): AcsProcess => ({ id: r.id, host: r.host, pid: Number(r.pid), startedAt: Number(r.started_at), heartbeatAt: Number(r.heartbeat_at) });

export async function registerProcess(db: PgDb, p: AcsProcess): Promise<void> {
  await db.run(
    `INSERT INTO acs_processes AS p (id, host, pid, started_at, heartbeat_at) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (id) DO UPDATE SET heartbeat_at = greatest(p.heartbeat_at, excluded.heartbeat_at)`,
    [p.id, p.host, p.pid, p.startedAt, p.heartbeatAt],
  );
}

export async function listProcesses(db: PgDb): Promise<AcsProcess[]> {
  return (await db.query<ProcessRow>('SELECT id, host, pid, started_at, heartbeat_at FROM acs_processes ORDER BY started_at, id')).map(toProcess);
}

export async function heartbeatProcess(db: PgDb, p: AcsProcess, now: number, staleBefore: number | null): Promise<Heartbeat> {
  const [row] = await db.query<{ dead: string[]; freed: number }>(HEARTBEAT, [p.id, p.host, p.pid, p.startedAt, now, staleBefore]);
  return { dead: row?.dead ?? [], freedLocks: Number(row?.freed ?? 0) };
}

export async function retireProcesses(db: PgDb, ids: string[]): Promise<number> {
  if (ids.length === 0) return 0;
  const [row] = await db.query<{ freed: number }>(RETIRE, [ids]);
  return Number(row?.freed ?? 0);
}
