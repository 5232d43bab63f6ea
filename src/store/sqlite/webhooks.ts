/**
 * The webhooks concern (../concerns/webhooks.ts) on SQLite: webhooks and their durable deliveries.
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
import { json, type Db } from './db.js';

interface WebhookRow {
  id: string;
  url: string;
  secret: string;
  events: string;
  created_at: number;
  scope: string | null;
}

export function createWebhook(db: Db, w: WebhookRecord): void {
  db.run('INSERT INTO webhooks (id, url, secret, events, created_at, scope) VALUES (@id, @url, @secret, @events, @createdAt, @scope)', {
    id: w.id,
    url: w.url,
    secret: w.secret,
    events: json(w.events),
    createdAt: w.createdAt,
    scope: scopeText(w.scope),
  });
}

export function listWebhooks(db: Db): WebhookRecord[] {
  return db
    .all<WebhookRow>('SELECT id, url, secret, events, created_at, scope FROM webhooks ORDER BY created_at, id')
    .map((r) => ({ id: r.id, url: r.url, secret: r.secret, events: JSON.parse(r.events) as string[], createdAt: r.created_at, ...scopeOfRow(r.scope) }));
}

export function deleteWebhook(db: Db, id: string): boolean {
  return db.run('DELETE FROM webhooks WHERE id = @id', { id }) > 0;
}

// --- webhook deliveries -------------------------------------------------------------------

/** The webhook must still exist (another process may have deleted it since our cache was read). */
const ENQUEUE = `INSERT INTO webhook_deliveries (${DELIVERY_COLUMNS})
SELECT @id, @webhookId, @event, 0, 'pending', @now, NULL, NULL, @now, @now
WHERE EXISTS (SELECT 1 FROM webhooks WHERE id = @webhookId)`;

export function enqueueWebhookDeliveries(db: Db, items: NewWebhookDelivery[], now: number): void {
  if (items.length === 0) return;
  db.immediate(() => {
    for (const item of items) db.run(ENQUEUE, { id: newDeliveryId(now), webhookId: item.webhookId, event: eventJson(item.event), now });
  });
}

const DUE = `SELECT ${deliveryColumnsOf('d')}, w.url, w.secret
FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
WHERE d.state = 'pending' AND d.next_at <= @now AND (d.lease_until IS NULL OR d.lease_until <= @now)
ORDER BY d.next_at, d.created_at, d.id
LIMIT @limit`;

const DUE_ANY = `SELECT 1 AS x FROM webhook_deliveries
WHERE state = 'pending' AND next_at <= @now AND (lease_until IS NULL OR lease_until <= @now) LIMIT 1`;

/**
 * Read and lease in one IMMEDIATE transaction: it holds the write lock from the start, so
 * another process claiming at the same time waits and then sees our leases.
 */
export function claimWebhookDeliveries(db: Db, now: number, limit: number, leaseMs: number): WebhookDeliveryRecord[] {
  if (limit <= 0) return [];
  // Dispatchers poll every second or so and mostly find nothing: answer that with a read, so
  // an idle poll never takes the database's one write lock from the sessions.
  if (db.get(DUE_ANY, { now }) === undefined) return [];
  const leaseUntil = now + leaseMs;
  return db.immediate(() => {
    const rows = db.all<ClaimedRow>(DUE, { now, limit: Math.floor(limit) });
    for (const r of rows) db.run('UPDATE webhook_deliveries SET lease_until = @leaseUntil WHERE id = @id', { id: r.id, leaseUntil });
    return rows.map((r) => toClaimed({ ...r, lease_until: leaseUntil }));
  });
}

export function finishWebhookDelivery(db: Db, id: string, outcome: WebhookDeliveryOutcome, now: number): boolean {
  const v = finishValues(outcome);
  return (
    db.run(
      `UPDATE webhook_deliveries SET state = @state, attempts = attempts + 1, lease_until = NULL,
         next_at = coalesce(@nextAt, next_at), last_error = coalesce(@error, last_error), updated_at = @now
       WHERE id = @id AND state = 'pending'`,
      { id, state: v.state, nextAt: v.nextAt, error: v.error, now },
    ) > 0
  );
}

export function listWebhookDeliveries(db: Db, webhookId: string, q: { state?: WebhookDeliveryState; limit: number }): WebhookDelivery[] | null {
  // One read snapshot, so a webhook deleted in between cannot answer "exists, no deliveries".
  return db.read(() => {
    if (db.get('SELECT 1 AS x FROM webhooks WHERE id = @webhookId', { webhookId }) === undefined) return null;
    return db
      .all<DeliveryRow>(
        `SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries
         WHERE webhook_id = @webhookId AND (@state IS NULL OR state = @state)
         ORDER BY created_at DESC, id DESC LIMIT @limit`,
        { webhookId, state: q.state ?? null, limit: Math.max(0, Math.floor(q.limit)) },
      )
      .map(toDelivery);
  });
}

export function pruneWebhookDeliveries(db: Db, before: number): number {
  return db.run(`DELETE FROM webhook_deliveries WHERE state <> 'pending' AND updated_at < @before`, { before });
}
