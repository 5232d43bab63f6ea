/**
 * Store concern: the audit log — every change made through the API or the console, sign-ins
 * and credential changes. Append-only: the interface has no update or delete, and both
 * backends refuse UPDATE and DELETE on the table (triggers), so not even a bug here can
 * rewrite history. Values arrive masked (src/services/audit.ts); the store keeps them as given.
 * Backends: sqlite/audit.ts, postgres/audit.ts; suite: test/store/conformance/audit.ts.
 */

export type AuditActorKind = 'token' | 'user' | 'open' | 'anonymous' | 'system';

export interface AuditActor {
  kind: AuditActorKind;
  /** Token id, user id …; '' for anonymous. */
  id: string;
  name: string;
}

export interface NewAuditEntry {
  at: number;
  actor: AuditActor;
  /** Where the request came from (client address). */
  source: string;
  /** What was done: "POST /devices/{id}/tasks", "sign-in", "sign-in-failed" … */
  action: string;
  /** What it was done to (device id, task id, token id …), if one thing. */
  target: string | null;
  /** The HTTP status answered (0 when not an HTTP request). */
  status: number;
  /** JSON state before and after (secrets masked), when the action has them. */
  before: unknown;
  after: unknown;
}

export interface AuditEntry extends NewAuditEntry {
  /** Increasing in the order entries were appended. */
  id: number;
}

export interface AuditQuery {
  /** Inclusive bounds on `at`. */
  from?: number;
  to?: number;
  /** Actor id or name, exact. */
  actor?: string;
  /** Action, exact, or a prefix when it ends in "*". */
  action?: string;
  target?: string;
  limit: number;
  offset?: number;
  /** Default newest first. */
  oldestFirst?: boolean;
}

export interface AuditStore {
  appendAudit(entry: NewAuditEntry): Promise<void>;
  listAudit(q: AuditQuery): Promise<{ total: number; entries: AuditEntry[] }>;
}
