/**
 * Per-device history: one session_log row per session and the CPE's own requests
 * (TransferComplete, Kicked, …). Both are capped per device at write time — a million
 * devices informing every few minutes would otherwise grow without bound — with one
 * indexed DELETE that finds the cut-off by walking the newest `keep` entries.
 */
import type { CpeMessageRecord, SessionLogRecord } from '../types.js';
import { json, type Db } from './db.js';

const INSERT_LOG = `INSERT INTO session_log
  (device_id, started_at, ended_at, events, rpcs, cpe_requests, outcome, linked_requests)
VALUES (@device, @startedAt, @endedAt, @events, @rpcs, @cpeRequests, @outcome, @linked)`;
const PRUNE_LOG = `DELETE FROM session_log WHERE device_id = @device AND id <=
  (SELECT id FROM session_log WHERE device_id = @device ORDER BY id DESC LIMIT 1 OFFSET @keep)`;
const LIST_LOG = `SELECT device_id, started_at, ended_at, events, rpcs, cpe_requests, outcome, linked_requests
FROM session_log WHERE device_id = @device ORDER BY id DESC LIMIT @limit`;

const INSERT_MESSAGE = 'INSERT INTO cpe_messages (device_id, at, message) VALUES (@device, @at, @message)';
const PRUNE_MESSAGES = `DELETE FROM cpe_messages WHERE device_id = @device AND id <=
  (SELECT id FROM cpe_messages WHERE device_id = @device ORDER BY id DESC LIMIT 1 OFFSET @keep)`;
const LIST_MESSAGES = `SELECT at, message FROM cpe_messages WHERE device_id = @device ORDER BY id DESC LIMIT @limit`;

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

export function appendSessionLog(db: Db, log: SessionLogRecord, keep: number): void {
  db.run(INSERT_LOG, {
    device: log.deviceId,
    startedAt: log.startedAt,
    endedAt: log.endedAt,
    events: json(log.events),
    rpcs: json(log.rpcs),
    cpeRequests: json(log.cpeRequests),
    outcome: log.outcome,
    linked: json(log.linkedRequests),
  });
  db.run(PRUNE_LOG, { device: log.deviceId, keep });
}

export function appendCpeMessages(db: Db, device: string, messages: readonly CpeMessageRecord[], keep: number): void {
  if (messages.length === 0) return;
  for (const m of messages) db.run(INSERT_MESSAGE, { device, at: m.at, message: json(m.message) });
  db.run(PRUNE_MESSAGES, { device, keep });
}

/** Newest first. */
export function listSessions(db: Db, device: string, limit: number): SessionLogRecord[] {
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
export function listCpeMessages(db: Db, device: string, limit: number): CpeMessageRecord[] {
  return db.all<{ at: number; message: string }>(LIST_MESSAGES, { device, limit }).map((r) => ({
    at: r.at,
    message: JSON.parse(r.message) as CpeMessageRecord['message'],
  }));
}
