/**
 * /audit: the audit log (admin) — filtered, paged, newest first, as JSON or CSV
 * (`?format=csv`, or `Accept: text/csv`). Entries are written by the API's onResponse hook
 * (server.ts) and by sign-in; values are masked before they are stored (src/services/audit.ts).
 */
import type { FastifyInstance } from 'fastify';
import type { AuditEntry, AuditQuery } from '../../store/types.js';
import { iso } from '../present.js';
import { parseTime } from '../query.js';
import { ERRORS, PAGING } from '../schemas.js';
import type { NbiContext } from '../context.js';

interface AuditQs {
  from?: string;
  to?: string;
  actor?: string;
  action?: string;
  target?: string;
  limit?: number;
  offset?: number;
  order?: 'newest' | 'oldest';
  format?: 'json' | 'csv';
}

const ENTRY = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    at: { type: 'string', format: 'date-time' },
    actor: { type: 'object', properties: { kind: { type: 'string' }, id: { type: 'string' }, name: { type: 'string' } } },
    source: { type: 'string', description: 'client address' },
    action: { type: 'string', description: '"<METHOD> <route>" or "sign-in", "sign-in-failed", "sign-out"' },
    target: { type: 'string', nullable: true },
    status: { type: 'integer', description: 'HTTP status answered' },
    before: { nullable: true, description: 'state before (secrets masked)' },
    after: { nullable: true, description: 'state after, or the request (secrets masked)' },
  },
};

export const presentAudit = (e: AuditEntry): Record<string, unknown> => ({
  id: e.id,
  at: iso(e.at),
  actor: e.actor,
  source: e.source,
  action: e.action,
  target: e.target,
  status: e.status,
  before: e.before,
  after: e.after,
});

/** One CSV cell: quoted, and a leading = + - @ defused so a spreadsheet never runs it as a formula. */
function cell(v: unknown): string {
  let s = v === null || v === undefined ? '' : typeof v === 'string' ? v : typeof v === 'number' ? String(v) : JSON.stringify(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return `"${s.replace(/"/g, '""')}"`;
}

const CSV_HEADER = ['id', 'at', 'actor_kind', 'actor_id', 'actor_name', 'source', 'action', 'target', 'status', 'before', 'after'];

export function auditCsv(entries: readonly AuditEntry[]): string {
  const lines = [CSV_HEADER.join(',')];
  for (const e of entries) {
    lines.push([e.id, iso(e.at), e.actor.kind, e.actor.id, e.actor.name, e.source, e.action, e.target, e.status, e.before, e.after].map(cell).join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}

/** Most rows one CSV export carries (page with offset for more). */
const MAX_EXPORT = 100_000;

export function registerAuditRoutes(api: FastifyInstance, ctx: NbiContext): void {
  api.get<{ Querystring: AuditQs }>(
    '/audit',
    {
      config: { role: 'admin' },
      schema: {
        summary: 'The audit log: changes through the API and the console, sign-ins, credential changes',
        description:
          'Newest first. Filters: from/to (ISO 8601, epoch ms, or -15m/-2h/-7d), actor (id or name), action (exact, or a prefix ending in *), target. ' +
          '`format=csv` (or Accept: text/csv) exports the matching entries (up to 100,000 per request; limit and offset apply).',
        tags: ['admin'],
        querystring: {
          type: 'object',
          properties: {
            from: { type: 'string', maxLength: 64 },
            to: { type: 'string', maxLength: 64 },
            actor: { type: 'string', minLength: 1, maxLength: 256 },
            action: { type: 'string', minLength: 1, maxLength: 256 },
            target: { type: 'string', minLength: 1, maxLength: 4096 },
            order: { type: 'string', enum: ['newest', 'oldest'] },
            format: { type: 'string', enum: ['json', 'csv'] },
            ...PAGING,
            limit: { type: 'integer', minimum: 0, maximum: MAX_EXPORT },
          },
          additionalProperties: false,
        },
        response: {
          200: { type: 'object', properties: { total: { type: 'integer' }, entries: { type: 'array', items: ENTRY } } },
          ...ERRORS,
        },
      },
    },
    async (req, reply) => {
      const q = req.query;
      const now = ctx.now();
      const csv = q.format === 'csv' || (q.format === undefined && /\btext\/csv\b/.test(req.headers.accept ?? ''));
      const query: AuditQuery = {
        ...(q.from !== undefined ? { from: parseTime(q.from, now, 'from') } : {}),
        ...(q.to !== undefined ? { to: parseTime(q.to, now, 'to') } : {}),
        ...(q.actor !== undefined ? { actor: q.actor } : {}),
        ...(q.action !== undefined ? { action: q.action } : {}),
        ...(q.target !== undefined ? { target: q.target } : {}),
        limit: q.limit ?? (csv ? MAX_EXPORT : 100),
        offset: q.offset ?? 0,
        oldestFirst: q.order === 'oldest',
      };
      const page = await ctx.services.audit.list(query);
      if (csv) {
        return reply
          .header('content-type', 'text/csv; charset=utf-8')
          .header('content-disposition', 'attachment; filename="flotilla-audit.csv"')
          .header('x-total-count', String(page.total))
          .send(auditCsv(page.entries));
      }
      return { total: page.total, entries: page.entries.map(presentAudit) };
    },
  );
}
