/**
 * Per-device history: the session log and the CPE's own requests. Both are appended and
 * capped per device by the commit's write ops (migrations.ts flotilla_op_log, _cpe_messages), in its
 * transaction; here are the reads, newest first.
 */
import type { CpeMessageRecord, SessionLogRecord } from '../types.js';
import type { PgDb } from './db.js';

const LIST_LOG = `SELECT device_id, started_at, ended_at, events, rpcs, cpe_requests, outcome, linked_requests
FROM session_log WHERE device_id = $1 ORDER BY id DESC LIMIT $2`;
const LIST_MESSAGES = 'SELECT at, message FROM cpe_messages WHERE device_id = $1 ORDER BY id DESC LIMIT $2';

const DEFAULT_LIST_LIMIT = 100;

interface LogRow {
  device_id: string;
  started_at: number;
  ended_at: number;
  events: SessionLogRecord['events'];
  rpcs: SessionLogRecord['rpcs'];
  cpe_requests: string[];
  outcome: string;
  linked_requests: string[];
}

export async function listSessions(db: PgDb, device: string, limit = DEFAULT_LIST_LIMIT): Promise<SessionLogRecord[]> {
  return (await db.query<LogRow>(LIST_LOG, [device, limit])).map((r) => ({
    deviceId: r.device_id,
    startedAt: r.started_at,
    endedAt: r.ended_at,
    events: r.events,
    rpcs: r.rpcs,
    cpeRequests: r.cpe_requests,
    outcome: r.outcome,
    linkedRequests: r.linked_requests,
  }));
}

export async function listCpeMessages(db: PgDb, device: string, limit = DEFAULT_LIST_LIMIT): Promise<CpeMessageRecord[]> {
  return (await db.query<{ at: number; message: CpeMessageRecord['message'] }>(LIST_MESSAGES, [device, limit])).map((r) => ({
    at: r.at,
    message: r.message,
  }));
}
