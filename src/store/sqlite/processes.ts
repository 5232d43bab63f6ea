/**
 * The processes concern (../concerns/processes.ts) on SQLite: one data directory, usually
 * one process (or a few --workers), all on this host.
 */
import type { AcsProcess, Heartbeat } from '../types.js';
import type { Db } from './db.js';

interface ProcessRow {
  id: string;
  host: string;
  pid: number;
  started_at: number;
  heartbeat_at: number;
}

const UPSERT = `INSERT INTO acs_processes (id, host, pid, started_at, heartbeat_at) VALUES (@id, @host, @pid, @startedAt, @heartbeatAt)
ON CONFLICT (id) DO UPDATE SET heartbeat_at = max(acs_processes.heartbeat_at, excluded.heartbeat_at)`;
/** A lock belongs to a process when its owner starts with "<id>:". */
const FREE_LOCKS = "UPDATE session_locks SET expires_at = 0 WHERE expires_at > 0 AND substr(owner, 1, length(@id) + 1) = @id || ':'";

const toProcess = (r: ProcessRow): AcsProcess => ({ id: r.id, host: r.host, pid: Number(r.pid), startedAt: Number(r.started_at), heartbeatAt: Number(r.heartbeat_at) });

export function registerProcess(db: Db, p: AcsProcess): void {
  db.run(UPSERT, { id: p.id, host: p.host, pid: p.pid, startedAt: p.startedAt, heartbeatAt: p.heartbeatAt });
}

export function listProcesses(db: Db): AcsProcess[] {
  return db.all<ProcessRow>('SELECT id, host, pid, started_at, heartbeat_at FROM acs_processes ORDER BY started_at, id').map(toProcess);
}

function retire(db: Db, ids: readonly string[]): number {
  let freed = 0;
  for (const id of ids) {
    freed += db.run(FREE_LOCKS, { id });
    db.run('DELETE FROM acs_processes WHERE id = @id', { id });
  }
  return freed;
}

export function heartbeatProcess(db: Db, p: AcsProcess, now: number, staleBefore: number | null): Heartbeat {
  return db.immediate(() => {
    db.run(UPSERT, { id: p.id, host: p.host, pid: p.pid, startedAt: p.startedAt, heartbeatAt: now });
    if (staleBefore === null) return { dead: [], freedLocks: 0 };
    const dead = db
      .all<{ id: string }>('SELECT id FROM acs_processes WHERE heartbeat_at < @staleBefore AND id <> @id ORDER BY id', { staleBefore, id: p.id })
      .map((r) => r.id);
    return { dead, freedLocks: retire(db, dead) };
  });
}

export function retireProcesses(db: Db, ids: string[]): number {
  return db.immediate(() => retire(db, ids));
}
