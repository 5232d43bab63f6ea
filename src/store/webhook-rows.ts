/**
 * Webhook deliveries as rows: the same columns, ids and mapping in every SQL backend.
 */
import { randomBytes } from 'node:crypto';
import type {
  PrincipalScope,
  WebhookDelivery,
  WebhookDeliveryOutcome,
  WebhookDeliveryRecord,
  WebhookDeliveryState,
  WebhookEventRecord,
} from './types.js';

/** A webhook's scope as its column holds it: JSON text, or NULL for the whole fleet. */
export const scopeText = (scope: PrincipalScope | null | undefined): string | null => (scope == null ? null : JSON.stringify(scope));

/** The column back: a webhook of the whole fleet has no `scope` at all (as it was created). */
export const scopeOfRow = (text: string | null): { scope?: PrincipalScope } => (text === null ? {} : { scope: JSON.parse(text) as PrincipalScope });

export const DELIVERY_COLUMNS = 'id, webhook_id, event, attempts, state, next_at, lease_until, last_error, created_at, updated_at';

/** The columns qualified by a table alias, for joins. */
export const deliveryColumnsOf = (alias: string): string =>
  DELIVERY_COLUMNS.split(', ')
    .map((c) => `${alias}.${c}`)
    .join(', ');

/** SQLite returns `event` as JSON text, PostgreSQL (a json column) already parsed. */
export interface DeliveryRow {
  id: string;
  webhook_id: string;
  event: string | WebhookEventRecord;
  attempts: number;
  state: WebhookDeliveryState;
  next_at: number;
  lease_until: number | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
}

export interface ClaimedRow extends DeliveryRow {
  url: string;
  secret: string;
}

export const toDelivery = (r: DeliveryRow): WebhookDelivery => ({
  id: r.id,
  webhookId: r.webhook_id,
  event: typeof r.event === 'string' ? (JSON.parse(r.event) as WebhookEventRecord) : r.event,
  attempts: r.attempts,
  state: r.state,
  nextAt: r.next_at,
  leaseUntil: r.lease_until,
  lastError: r.last_error,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export const toClaimed = (r: ClaimedRow): WebhookDeliveryRecord => ({ ...toDelivery(r), url: r.url, secret: r.secret });

/**
 * The event as stored: its five fields in a fixed order, so the JSON text (what is POSTed
 * and signed) is the same whatever extra properties the caller's object carried.
 */
export const eventJson = (e: WebhookEventRecord): string =>
  JSON.stringify({ id: e.id, type: e.type, at: e.at, deviceId: e.deviceId, data: e.data });

/** Longest last_error kept (types.ts promises 200 characters). */
const ERROR_MAX = 200;

/** What finishWebhookDelivery writes: the state, the new next_at (null: unchanged) and the error (null: unchanged). */
export function finishValues(outcome: WebhookDeliveryOutcome): { state: WebhookDeliveryState; nextAt: number | null; error: string | null } {
  switch (outcome.state) {
    case 'delivered':
      return { state: 'delivered', nextAt: null, error: null };
    case 'retry':
      return { state: 'pending', nextAt: outcome.nextAt, error: outcome.error.slice(0, ERROR_MAX) };
    case 'failed':
      return { state: 'failed', nextAt: null, error: outcome.error.slice(0, ERROR_MAX) };
  }
}

let lastMs = -1;
let counter = 0;

/**
 * A UUIDv7 (RFC 9562): 48 bits of milliseconds, a 12-bit counter, 62 random bits. The
 * counter makes ids made in one process increase even within one millisecond (or when the
 * clock steps back), so "newest first" can break ties of created_at by id; ids from
 * different processes are unique by their random bits.
 */
export function newDeliveryId(now: number): string {
  let ms = Math.max(0, Math.floor(now));
  if (ms <= lastMs) {
    ms = lastMs;
    counter++;
    if (counter > 0xfff) {
      // 4,096 ids in one millisecond: borrow the next one rather than repeat.
      ms++;
      counter = 0;
    }
  } else {
    counter = 0;
  }
  lastMs = ms;
  const b = randomBytes(16);
  b.writeUIntBE(ms, 0, 6);
  b[6] = 0x70 | (counter >> 8);
  b[7] = counter & 0xff;
  b[8] = 0x80 | (b[8]! & 0x3f);
  const hex = b.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
