/**
 * Audit entries as rows, and their filters as SQL: the same in every SQL backend (the
 * placeholder is the only difference).
 */
import type { AuditActorKind, AuditEntry, AuditQuery, NewAuditEntry } from './types.js';

export interface AuditRow {
  id: number | string;
  at: number | string;
  actor_kind: AuditActorKind;
  actor_id: string;
  actor_name: string;
  source: string;
  action: string;
  target: string | null;
  status: number;
  before_json: string | null;
  after_json: string | null;
}

export const AUDIT_COLUMNS = 'id, at, actor_kind, actor_id, actor_name, source, action, target, status, before_json, after_json';

const parse = (s: string | null): unknown => (s === null ? null : (JSON.parse(s) as unknown));

export const toAudit = (r: AuditRow): AuditEntry => ({
  id: Number(r.id),
  at: Number(r.at),
  actor: { kind: r.actor_kind, id: r.actor_id, name: r.actor_name },
  source: r.source,
  action: r.action,
  target: r.target,
  status: r.status,
  before: parse(r.before_json),
  after: parse(r.after_json),
});

/** The insert's values, in AUDIT_COLUMNS order minus `id`. */
export function auditValues(e: NewAuditEntry): (string | number | null)[] {
  const json = (v: unknown): string | null => (v === undefined || v === null ? null : JSON.stringify(v));
  return [e.at, e.actor.kind, e.actor.id, e.actor.name, e.source, e.action, e.target, e.status, json(e.before), json(e.after)];
}

/** `WHERE …` of a query and its bound values; `ph(i)` is the dialect's i-th (0-based) placeholder. */
export function auditWhere(q: AuditQuery, ph: (i: number) => string): { where: string; values: unknown[] } {
  const conds: string[] = [];
  const values: unknown[] = [];
  const bind = (v: unknown): string => {
    values.push(v);
    return ph(values.length - 1);
  };
  if (q.from !== undefined) conds.push(`at >= ${bind(q.from)}`);
  if (q.to !== undefined) conds.push(`at <= ${bind(q.to)}`);
  if (q.actor !== undefined) {
    const p = bind(q.actor);
    conds.push(`(actor_id = ${p} OR actor_name = ${p})`);
  }
  if (q.action !== undefined) {
    if (q.action.endsWith('*')) {
      // A prefix as a range (no LIKE: its wildcards would need escaping in both dialects).
      const prefix = q.action.slice(0, -1);
      conds.push(`action >= ${bind(prefix)} AND action < ${bind(`${prefix}\u{10FFFF}`)}`);
    } else conds.push(`action = ${bind(q.action)}`);
  }
  if (q.target !== undefined) conds.push(`target = ${bind(q.target)}`);
  return { where: conds.length > 0 ? `WHERE ${conds.join(' AND ')}` : '', values };
}
