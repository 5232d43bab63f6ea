/**
 * Store concern: per-device history — session logs and CPE→ACS messages, written by
 * commitSession and read here.
 * Backends: sqlite/history.ts, postgres/history.ts; suite: test/store/conformance/history.ts.
 */
import type { CpeRequest, EventStruct } from '../../cwmp/types.js';

/** A CPE→ACS request recorded as it arrived (TransferComplete, Kicked, …). */
export interface CpeMessageRecord {
  at: number;
  message: Exclude<CpeRequest, { method: 'Inform' }>;
}

export interface RpcLogEntry {
  method: string;
  /** The task(s) the RPC served, comma-separated; null for the ACS's own (discovery). */
  requestId: string | null;
  outcome: 'done' | 'fault';
  faultCode?: number;
}

export interface SessionLogRecord {
  deviceId: string;
  startedAt: number;
  endedAt: number;
  events: EventStruct[];
  rpcs: RpcLogEntry[];
  cpeRequests: string[];
  /** "ok", or why it ended otherwise ("timeout", "protocol-error: …"). */
  outcome: string;
  /** Request ids linked to `M …` events by CommandKey. */
  linkedRequests: string[];
}

export interface HistoryStore {
  /** Newest first. */
  listSessions(deviceId: string, limit?: number): Promise<SessionLogRecord[]>;
  /** Newest first. */
  listCpeMessages(deviceId: string, limit?: number): Promise<CpeMessageRecord[]>;
}
