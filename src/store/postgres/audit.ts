/**
 * The audit concern (../concerns/audit.ts) on PostgreSQL: one append-only table (a trigger
 * refuses UPDATE and DELETE, migration 15).
 */
import { AUDIT_COLUMNS, auditValues, auditWhere, toAudit, type AuditRow } from '../audit-rows.js';
import type { AuditEntry, AuditQuery, NewAuditEntry } from '../types.js';
import type { PgDb } from './db.js';

export async function appendAudit(db: PgDb, e: NewAuditEntry): Promise<void> {
  const values = auditValues(e);
  await db.run(`INSERT INTO audit_log (${AUDIT_COLUMNS.replace('id, ', '')}) VALUES (${values.map((_, i) => `$${i + 1}`).join(', ')})`, values);
}

export async function listAudit(db: PgDb, q: AuditQuery): Promise<{ total: number; entries: AuditEntry[] }> {
  const { where, values } = auditWhere(q, (i) => `$${i + 1}`);
  const n = values.length;
  const [rows, count] = await Promise.all([
    db.query<AuditRow>(
      `SELECT ${AUDIT_COLUMNS} FROM audit_log ${where} ORDER BY id ${q.oldestFirst === true ? 'ASC' : 'DESC'} LIMIT $${n + 1} OFFSET $${n + 2}`,
      [...values, q.limit, q.offset ?? 0],
    ),
    db.query<{ n: string }>(`SELECT count(*) AS n FROM audit_log ${where}`, values),
  ]);
  return { total: Number(count[0]?.n ?? 0), entries: rows.map(toAudit) };
}
