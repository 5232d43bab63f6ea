/**
 * Store concern: webhooks and their durable deliveries.
 * Backends: sqlite/webhooks.ts, postgres/webhooks.ts; suite: test/store/conformance/webhooks.ts.
 */
import type { PrincipalScope } from './tokens.js';

/** An HTTP endpoint told about events (src/nbi/events.ts), with its HMAC secret. */
export interface WebhookRecord {
  id: string;
  url: string;
  /** HMAC-SHA256 key for the signature header; needed in clear to sign. */
  secret: string;
  /** Event types delivered; empty means all. */
  events: string[];
  createdAt: number;
  /**
   * Only events of devices in this part of the fleet are sent (issue 10: a webhook made by, or
   * for, a tenant or region; src/nbi/scope.ts); absent or null: every event. Kept as given.
   */
  scope?: PrincipalScope | null;
}

/**
 * A webhook event as its deliveries keep it: the event bus's event (src/events/bus.ts), as
 * plain data so the store needs nothing from the bus. POSTed as JSON exactly as stored.
 */
export interface WebhookEventRecord {
  /** The bus's id: increasing within one process, so not unique across restarts. */
  id: string;
  type: string;
  at: number;
  deviceId: string;
  data: Record<string, unknown>;
}

/**
 * `pending`: to be POSTed at `nextAt` (again, after a failed attempt); `delivered`: a 2xx
 * came back; `failed`: the dispatcher gave up after its last attempt.
 */
export type WebhookDeliveryState = 'pending' | 'delivered' | 'failed';

/** One event for one webhook, kept in the store until sent (so a restart loses none). */
export interface WebhookDelivery {
  /**
   * Made by the store; sorts in creation order within a process (a UUIDv7). Sent as
   * X-Flotilla-Delivery, so a receiver can drop a repeat.
   */
  id: string;
  webhookId: string;
  event: WebhookEventRecord;
  /** POSTs made so far (counted when each is finished). */
  attempts: number;
  state: WebhookDeliveryState;
  /** When a pending delivery is due. */
  nextAt: number;
  /** A claimer holds the delivery until then (null: nobody does). */
  leaseUntil: number | null;
  /** Why the last failed attempt failed ("HTTP 503", "timeout" …); kept after a later success. */
  lastError: string | null;
  createdAt: number;
  /** When its state, attempts or error last changed. */
  updatedAt: number;
}

/** A claimed delivery, with what it takes to send it: its webhook's URL and secret. */
export interface WebhookDeliveryRecord extends WebhookDelivery {
  url: string;
  secret: string;
}

export interface NewWebhookDelivery {
  webhookId: string;
  event: WebhookEventRecord;
}

/**
 * How an attempt ended: `retry` stays pending until `nextAt`; `delivered` and `failed` are
 * final. `error` is short text: the store keeps its first 200 characters.
 */
export type WebhookDeliveryOutcome =
  | { state: 'delivered' }
  | { state: 'retry'; nextAt: number; error: string }
  | { state: 'failed'; error: string };

export interface WebhookStore {
  createWebhook(webhook: WebhookRecord): Promise<void>;
  listWebhooks(): Promise<WebhookRecord[]>;
  /** Deletes its deliveries too, whatever their state. */
  deleteWebhook(id: string): Promise<boolean>;

  /**
   * One transaction: a `pending` delivery per item, due at `now`, in input order. Items whose
   * webhook no longer exists (deleted by another process meanwhile) are skipped.
   */
  enqueueWebhookDeliveries(items: NewWebhookDelivery[], now: number): Promise<void>;
  /**
   * Atomically take up to `limit` pending deliveries that are due (`nextAt <= now`) and not
   * leased (`leaseUntil` null or `<= now`), earliest due first, and lease them until
   * `now + leaseMs`. While a lease holds, no other claimer — in this process or any other
   * sharing the database — gets the delivery; when it lapses (the claimer died) the delivery
   * is claimable again. Returned with their webhook's URL and secret, in that order.
   */
  claimWebhookDeliveries(now: number, limit: number, leaseMs: number): Promise<WebhookDeliveryRecord[]>;
  /**
   * Record an attempt's outcome: attempts + 1, the lease cleared, `updatedAt = now`; `retry`
   * sets `nextAt` and `lastError`, `failed` sets `lastError`. False when the delivery is
   * not pending any more (finished already, or its webhook deleted).
   */
  finishWebhookDelivery(id: string, outcome: WebhookDeliveryOutcome, now: number): Promise<boolean>;
  /**
   * A webhook's deliveries, newest first, optionally in one state; null when there is no such
   * webhook. Never the webhook's secret.
   */
  listWebhookDeliveries(webhookId: string, query: { state?: WebhookDeliveryState; limit: number }): Promise<WebhookDelivery[] | null>;
  /** Delete delivered and failed deliveries last updated before `before`; returns how many. Pending ones stay. */
  pruneWebhookDeliveries(before: number): Promise<number>;
}
