/**
 * The audit concern (../concerns/audit.ts) on SQLite: one append-only table (triggers refuse
 * UPDATE and DELETE, migration 15).
 */
import { AUDIT_COLUMNS, auditValues, auditWhere, toAudit, type AuditRow } from '../audit-rows.js';
import type { AuditEntry, AuditQuery, NewAuditEntry } from '../types.js';
import type { Db, Params } from './db.js';

const named = (values: unknown[]): Params => Object.fromEntries(values.map((v, i) => [`p${i}`, v as string | number | null]));

export function appendAudit(db: Db, e: NewAuditEntry): void {
  const values = auditValues(e);
  db.run(`INSERT INTO audit_log (${AUDIT_COLUMNS.replace('id, ', '')}) VALUES (${values.map((_, i) => `@p${i}`).join(', ')})`, named(values));
}

export function listAudit(db: Db, q: AuditQuery): { total: number; entries: AuditEntry[] } {
  const { where, values } = auditWhere(q, (i) => `@p${i}`);
  const params = named(values);
  const total = db.get<{ n: number }>(`SELECT count(*) AS n FROM audit_log ${where}`, params)?.n ?? 0;
  const rows = db.all<AuditRow>(
    `SELECT ${AUDIT_COLUMNS} FROM audit_log ${where} ORDER BY id ${q.oldestFirst === true ? 'ASC' : 'DESC'} LIMIT @limit OFFSET @offset`,
    { ...params, limit: q.limit, offset: q.offset ?? 0 },
  );
  return { total, entries: rows.map(toAudit) };
}
