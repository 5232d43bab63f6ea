/**
 * The webhooks concern (../concerns/webhooks.ts) on PostgreSQL: webhooks and their durable deliveries.
 */
import type {
  NewWebhookDelivery,
  WebhookDelivery,
  WebhookDeliveryOutcome,
  WebhookDeliveryRecord,
  WebhookDeliveryState,
  WebhookRecord,
} from '../types.js';
import {
  DELIVERY_COLUMNS,
  deliveryColumnsOf,
  eventJson,
  finishValues,
  newDeliveryId,
  scopeOfRow,
  scopeText,
  toClaimed,
  toDelivery,
  type ClaimedRow,
  type DeliveryRow,
} from '../webhook-rows.js';
import type { PgDb } from './db.js';

interface WebhookRow {
  id: string;
  url: string;
  secret: string;
  events: string[];
  created_at: number;
  scope: string | null;
}

export async function createWebhook(db: PgDb, w: WebhookRecord): Promise<void> {
  await db.run('INSERT INTO webhooks (id, url, secret, events, created_at, scope) VALUES ($1, $2, $3, $4, $5, $6)', [
    w.id,
    w.url,
    w.secret,
    JSON.stringify(w.events),
    w.createdAt,
    scopeText(w.scope),
  ]);
}

export async function listWebhooks(db: PgDb): Promise<WebhookRecord[]> {
  return (await db.query<WebhookRow>('SELECT id, url, secret, events, created_at, scope FROM webhooks ORDER BY created_at, id')).map((r) => ({
    id: r.id,
    url: r.url,
    secret: r.secret,
    events: r.events,
    createdAt: r.created_at,
    ...scopeOfRow(r.scope),
  }));
}

export async function deleteWebhook(db: PgDb, id: string): Promise<boolean> {
  return (await db.run('DELETE FROM webhooks WHERE id = $1', [id])) > 0;
}

// --- webhook deliveries -------------------------------------------------------------------

/**
 * FOR KEY SHARE on the webhook: a webhook deleted by another process meanwhile is skipped
 * (the lock waits for the delete, then finds the row gone) instead of failing the whole
 * insert on the foreign key.
 */
const ENQUEUE = `INSERT INTO webhook_deliveries (${DELIVERY_COLUMNS})
SELECT x.id, w.id, x.event::json, 0, 'pending', $4, NULL, NULL, $4, $4
FROM unnest($1::text[], $2::text[], $3::text[]) AS x(id, webhook_id, event)
JOIN webhooks w ON w.id = x.webhook_id
FOR KEY SHARE OF w`;

export async function enqueueWebhookDeliveries(db: PgDb, items: NewWebhookDelivery[], now: number): Promise<void> {
  if (items.length === 0) return;
  await db.run(ENQUEUE, [items.map(() => newDeliveryId(now)), items.map((i) => i.webhookId), items.map((i) => eventJson(i.event)), now]);
}

/**
 * One statement, safe with any number of processes claiming at once: FOR UPDATE SKIP LOCKED
 * passes over rows another claimer is taking right now, and a row whose lease was set after
 * our snapshot is re-checked against the WHERE clause on its newest version (READ COMMITTED
 * re-evaluates locked rows), so a leased delivery never comes back while the lease holds.
 */
const CLAIM = `WITH due AS (
  SELECT id FROM webhook_deliveries
  WHERE state = 'pending' AND next_at <= $1 AND (lease_until IS NULL OR lease_until <= $1)
  ORDER BY next_at, created_at, id
  LIMIT $2
  FOR UPDATE SKIP LOCKED
), claimed AS (
  UPDATE webhook_deliveries d SET lease_until = $1 + $3 FROM due WHERE d.id = due.id
  RETURNING ${deliveryColumnsOf('d')}
)
SELECT c.*, w.url, w.secret FROM claimed c JOIN webhooks w ON w.id = c.webhook_id
ORDER BY c.next_at, c.created_at, c.id`;

export async function claimWebhookDeliveries(db: PgDb, now: number, limit: number, leaseMs: number): Promise<WebhookDeliveryRecord[]> {
  if (limit <= 0) return [];
  return (await db.query<ClaimedRow>(CLAIM, [now, Math.floor(limit), leaseMs])).map(toClaimed);
}

export async function finishWebhookDelivery(db: PgDb, id: string, outcome: WebhookDeliveryOutcome, now: number): Promise<boolean> {
  const v = finishValues(outcome);
  return (
    (await db.run(
      `UPDATE webhook_deliveries SET state = $2, attempts = attempts + 1, lease_until = NULL,
         next_at = coalesce($3, next_at), last_error = coalesce($4, last_error), updated_at = $5
       WHERE id = $1 AND state = 'pending'`,
      [id, v.state, v.nextAt, v.error, now],
    )) > 0
  );
}

/** The webhook LEFT JOIN its deliveries: no row at all means no such webhook, one null row none yet. */
const LIST = `SELECT d.* FROM webhooks w LEFT JOIN LATERAL (
  SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries
  WHERE webhook_id = w.id AND ($2::text IS NULL OR state = $2)
  ORDER BY created_at DESC, id DESC LIMIT $3
) d ON true
WHERE w.id = $1
ORDER BY d.created_at DESC, d.id DESC`;

export async function listWebhookDeliveries(
  db: PgDb,
  webhookId: string,
  q: { state?: WebhookDeliveryState; limit: number },
): Promise<WebhookDelivery[] | null> {
  const rows = await db.query<DeliveryRow | { id: null }>(LIST, [webhookId, q.state ?? null, Math.max(0, Math.floor(q.limit))]);
  if (rows.length === 0) return null;
  return rows.filter((r): r is DeliveryRow => r.id !== null).map(toDelivery);
}

export async function pruneWebhookDeliveries(db: PgDb, before: number): Promise<number> {
  return db.run(`DELETE FROM webhook_deliveries WHERE state <> 'pending' AND updated_at < $1`, [before]);
}
