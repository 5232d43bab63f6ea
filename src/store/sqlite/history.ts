/**
 * The history concern (../concerns/history.ts) on SQLite: session logs and CPE→ACS
 * messages, newest first. They are appended (and capped per device) by the commit's
 * `log` and `cpe_messages` write ops (apply.ts).
 */
import type { CpeMessageRecord, SessionLogRecord } from '../types.js';
import type { Db } from './db.js';

const LIST_LOG = `SELECT device_id, started_at, ended_at, events, rpcs, cpe_requests, outcome, linked_requests
FROM session_log WHERE device_id = @device ORDER BY id DESC LIMIT @limit`;

const LIST_MESSAGES = `SELECT at, message FROM cpe_messages WHERE device_id = @device ORDER BY id DESC LIMIT @limit`;

const DEFAULT_LIST_LIMIT = 100;

interface LogRow {
  device_id: string;
  started_at: number;
  ended_at: number;
  events: string;
  rpcs: string;
  cpe_requests: string;
  outcome: string;
  linked_requests: string;
}

/** Newest first. */
export function listSessions(db: Db, device: string, limit = DEFAULT_LIST_LIMIT): SessionLogRecord[] {
  return db.all<LogRow>(LIST_LOG, { device, limit }).map((r) => ({
    deviceId: r.device_id,
    startedAt: r.started_at,
    endedAt: r.ended_at,
    events: JSON.parse(r.events) as SessionLogRecord['events'],
    rpcs: JSON.parse(r.rpcs) as SessionLogRecord['rpcs'],
    cpeRequests: JSON.parse(r.cpe_requests) as string[],
    outcome: r.outcome,
    linkedRequests: JSON.parse(r.linked_requests) as string[],
  }));
}

/** Newest first. */
export function listCpeMessages(db: Db, device: string, limit = DEFAULT_LIST_LIMIT): CpeMessageRecord[] {
  return db.all<{ at: number; message: string }>(LIST_MESSAGES, { device, limit }).map((r) => ({
    at: r.at,
    message: JSON.parse(r.message) as CpeMessageRecord['message'],
  }));
}
