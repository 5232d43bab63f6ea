/**
 * Webhooks: events pushed to an OSS's HTTP endpoint, so it does not have to poll. Fed by the
 * event bus (./bus.ts) with this process's events only, so each is queued once however many
 * processes relay it. The dispatcher is a background job (src/services/jobs.ts), started by
 * `flotilla serve`, not by the REST API; the API only manages the webhook records.
 *
 * Webhook deliveries are POSTs of the event as JSON, signed:
 *   X-Flotilla-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>
 *   X-Flotilla-Timestamp: <unix seconds>   X-Flotilla-Event: <type>
 *   X-Flotilla-Delivery: <delivery id, the same on every attempt>   X-Flotilla-Attempt: <1, 2 …>
 * A receiver recomputes the HMAC over the timestamp and the raw body, compares in constant
 * time and refuses old timestamps (replays); the delivery id lets it drop a repeat.
 *
 * Deliveries are durable: an event is written to the store as one delivery per matching
 * webhook (Store.enqueueWebhookDeliveries), and a pump claims due ones with a lease
 * (Store.claimWebhookDeliveries: one process at a time per delivery, FOR UPDATE SKIP LOCKED on
 * PostgreSQL), POSTs them and records the outcome. A failure (no 2xx, timeout, network) is
 * retried with exponential back-off (1 s, 2 s, 4 s … with jitter) up to `maxAttempts`, then
 * the delivery is `failed`. A restart, or a process that dies, loses no queued delivery: what
 * is pending is sent by whichever process claims it next, once any lease has lapsed (only an
 * event whose process dies between the session's commit and the enqueue is never queued).
 * Delivery is at least once: a 2xx that is not recorded (the process died, the store failed)
 * is sent again, with the same X-Flotilla-Delivery.
 *
 * A scoped webhook (issue 10: a tenant's or region's, src/nbi/scope.ts) is sent only events
 * of devices in its scope, as `inScope` (the NBI's ScopeGuard: one store query per scope for the
 * devices of a turn's events, answers remembered briefly) says; an event of no device (a campaign's progress) is not sent
 * to it at all. The check runs here, on the bus's listener, after the session that raised the
 * event has committed and answered: it never adds a store round trip to a CWMP session.
 * The event's deliveries, scoped and not, are then queued in one call.
 */
import { createHmac } from 'node:crypto';
import type { Logger } from 'pino';
import { wants, type EventBus, type FlotillaEvent } from './bus.js';
import { maskSecrets } from '../secrets/rules.js';
import type { NewWebhookDelivery, PrincipalScope, Store, WebhookDeliveryOutcome, WebhookDeliveryRecord, WebhookRecord } from '../store/types.js';
import { webhookDeliveries, webhookInFlight, webhookQueued } from '../metrics/registry.js';

export function signPayload(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex')}`;
}


// ---------------------------------------------------------------------------
// Webhooks
// ---------------------------------------------------------------------------

export interface WebhookOptions {
  /** One POST's time limit (default 10000 ms). */
  timeoutMs?: number;
  /** POSTs per delivery before it is marked failed (default 6). */
  maxAttempts?: number;
  /** First retry delay; doubles each time (default 1000 ms). */
  baseDelayMs?: number;
  /** POSTs in flight at once in this process (default 16). */
  concurrency?: number;
  /**
   * How often the store is asked for due deliveries (default 1000 ms): retries scheduled by
   * another process or before a restart. New events and this process's own retries do not wait for it.
   */
  pollMs?: number;
  /**
   * How long a claimed delivery is this process's (default 60 s, at least 6 × timeoutMs). A
   * process that dies mid-delivery leaves it to the others when the lease lapses; it is kept
   * above timeoutMs, or a slow POST could be claimed and sent again meanwhile.
   */
  leaseMs?: number;
  /** How long close() waits for POSTs in flight before abandoning them to their lease (default 2000 ms). */
  closeTimeoutMs?: number;
  /**
   * Is a device in a scope (src/nbi/scope.ts ScopeGuard, wired by `flotilla serve`)? Without
   * it a scoped webhook is sent nothing: deny by default.
   */
  inScope?: (scope: PrincipalScope, deviceId: string) => Promise<boolean>;
  logger?: Logger;
}

const HOOKS_TTL_MS = 30_000;
/** Delivered and failed deliveries are kept this long for GET …/deliveries, then pruned. */
const RETENTION_MS = 7 * 24 * 3_600_000;
const PRUNE_EVERY_MS = 3_600_000;

/**
 * Why an attempt failed, as short text for the store and the log: a status, "timeout", or the
 * network error's code. Never an error message: those can quote the URL, which may carry
 * credentials.
 */
function failureOf(e: unknown, timedOut: boolean): string {
  if (timedOut) return 'timeout';
  const cause: unknown = e instanceof Error ? e.cause : undefined;
  if (typeof cause === 'object' && cause !== null && 'code' in cause && typeof cause.code === 'string') return cause.code.slice(0, 64);
  return e instanceof Error ? e.name.slice(0, 64) : 'error';
}

export class WebhookDispatcher {
  readonly #store: Store;
  readonly #opts: Required<Omit<WebhookOptions, 'logger' | 'inScope'>>;
  readonly #log: Logger | undefined;
  readonly #inScope: ((scope: PrincipalScope, deviceId: string) => Promise<boolean>) | undefined;
  #hooks: WebhookRecord[] | null = null;
  /** When #hooks was read: other processes may add webhooks, so the list is re-read now and then. */
  #loadedAt = 0;
  #loading: Promise<WebhookRecord[]> | null = null;
  /** Bumped by invalidate(), so a list read before a change is not cached after it. */
  #generation = 0;
  /** Store calls and POSTs under way, for close() to wait on. None of them ever rejects. */
  readonly #work = new Set<Promise<void>>();
  /** POSTs in flight, by delivery id, with what aborts them. */
  readonly #inFlight = new Map<string, AbortController>();
  #claiming = false;
  /** Claim again when the claim under way ends or a slot frees: more may be due. */
  #again = false;
  readonly #poll: NodeJS.Timeout;
  /** A timer for this process's soonest retry, when it is due before the next poll. */
  #wake: NodeJS.Timeout | null = null;
  #wakeAt = Infinity;
  #prunedAt = 0;
  #closed = false;
  #closing: Promise<void> | null = null;
  /** close() stopped waiting: POSTs still in flight are aborted and left to their lease. */
  #abandoned = false;
  readonly #unsubscribe: () => void;
  /**
   * Outcomes of this process's attempts, for tests and metrics. `dropped`: deliveries lost
   * because the store refused to queue them.
   */
  readonly stats = { delivered: 0, failed: 0, retried: 0, dropped: 0 };

  constructor(store: Store, bus: EventBus, opts: WebhookOptions = {}) {
    this.#store = store;
    this.#log = opts.logger;
    this.#inScope = opts.inScope;
    const timeoutMs = opts.timeoutMs ?? 10_000;
    this.#opts = {
      timeoutMs,
      maxAttempts: Math.max(1, opts.maxAttempts ?? 6),
      baseDelayMs: opts.baseDelayMs ?? 1_000,
      concurrency: Math.max(1, opts.concurrency ?? 16),
      pollMs: Math.max(10, opts.pollMs ?? 1_000),
      leaseMs: Math.max(opts.leaseMs ?? Math.max(60_000, 6 * timeoutMs), timeoutMs + 1_000),
      closeTimeoutMs: opts.closeTimeoutMs ?? 2_000,
    };
    // Local events only: every process queues what its own sessions did, so each event is
    // queued once however many processes relay it. Sending is shared through the store.
    this.#unsubscribe = bus.subscribe((e) => this.#onEvent(e), { origin: 'local' });
    this.#poll = setInterval(() => this.#tick(), this.#opts.pollMs);
    this.#poll.unref();
  }

  /** Webhooks changed (created/deleted): reload before the next event. */
  invalidate(): void {
    this.#hooks = null;
    this.#generation++;
  }

  /**
   * Stop: no new events, no more claims; wait up to closeTimeoutMs for queueing and POSTs
   * under way to be recorded, then abort what is left. What is still pending stays in the
   * store for the next process (or this one after a restart), once any lease has lapsed.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#closed = true;
    this.#unsubscribe();
    clearInterval(this.#poll);
    if (this.#wake !== null) clearTimeout(this.#wake);
    // Work can start more work (a claim under way sends what it took, so it does not sit
    // leased until its lease lapses): wait until none is left, or the time is up.
    const deadline = Date.now() + this.#opts.closeTimeoutMs;
    while (this.#work.size > 0) {
      const left = deadline - Date.now();
      let timer: NodeJS.Timeout | undefined;
      const timedOut =
        left <= 0 ||
        (await Promise.race([
          Promise.all([...this.#work]).then(() => false),
          new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), left))),
        ]));
      clearTimeout(timer);
      if (timedOut) {
        // Their outcome is not recorded: the store may close right after us. They are sent
        // again once their lease lapses (a receiver may see them twice: same delivery id).
        this.#abandoned = true;
        for (const abort of this.#inFlight.values()) abort.abort();
        return;
      }
    }
  }

  /** Keep `work` for close() to wait on. Each caller handles its own errors; this is the backstop. */
  #track(work: Promise<void>): void {
    const settled = work.catch((e: unknown) => this.#log?.error({ err: e }, 'webhook dispatcher: unexpected error'));
    this.#work.add(settled);
    void settled.finally(() => this.#work.delete(settled));
  }

  #currentHooks(): Promise<WebhookRecord[]> {
    if (this.#hooks !== null && Date.now() - this.#loadedAt < HOOKS_TTL_MS) return Promise.resolve(this.#hooks);
    if (this.#loading === null) {
      const generation = this.#generation;
      this.#loading = this.#store
        .listWebhooks()
        .then((loaded) => {
          if (generation === this.#generation) {
            this.#hooks = loaded;
            this.#loadedAt = Date.now();
          }
          return loaded;
        })
        .finally(() => (this.#loading = null));
    }
    return this.#loading;
  }

  #onEvent(event: FlotillaEvent): void {
    if (this.#closed) return;
    this.#track(
      this.#currentHooks().then(
        async (hooks) => {
          const wanted = hooks.filter((h) => wants(h.events, event));
          const scoped = wanted.filter((h) => h.scope != null && (h.scope.filter !== undefined || h.scope.tag !== undefined));
          const open = wanted.filter((h) => !scoped.includes(h));
          // One enqueue (one write transaction) per event: the unscoped deliveries wait for the
          // scope check (a read, usually cached) rather than cost a second write.
          await this.#enqueue(event, scoped.length > 0 ? [...open, ...(await this.#inScopeOf(event, scoped))] : open);
        },
        (e: unknown) => this.#log?.error({ err: e }, 'could not load webhooks'),
      ),
    );
  }

  /** The scoped webhooks whose scope holds the event's device; none for an event of no device. */
  async #inScopeOf(event: FlotillaEvent, hooks: WebhookRecord[]): Promise<WebhookRecord[]> {
    const check = this.#inScope;
    if (check === undefined || event.deviceId === '') return [];
    const deviceId = event.deviceId;
    const verdicts = await Promise.all(
      hooks.map((h) =>
        check(h.scope!, deviceId).catch((e: unknown) => {
          // Not sent rather than sent outside its scope; counted as dropped.
          this.stats.dropped++;
          webhookDeliveries.inc({ outcome: 'dropped' });
          this.#log?.error({ err: e, webhook: h.id, event: event.id }, 'could not check a webhook scope; the delivery is dropped');
          return false;
        }),
      ),
    );
    return hooks.filter((_, i) => verdicts[i]);
  }

  async #enqueue(event: FlotillaEvent, hooks: WebhookRecord[]): Promise<void> {
    if (hooks.length === 0) return;
    // Stored and sent without secret values (src/secrets/rules.ts).
    const masked = maskSecrets(event);
    const items: NewWebhookDelivery[] = hooks.map((h) => ({ webhookId: h.id, event: masked }));
    try {
      await this.#store.enqueueWebhookDeliveries(items, Date.now());
      webhookQueued.inc(items.length);
    } catch (e) {
      this.stats.dropped += items.length;
      webhookDeliveries.inc({ outcome: 'dropped' }, items.length);
      this.#log?.error({ err: e, event: event.id, type: event.type }, 'could not queue webhook deliveries');
      return;
    }
    this.#pump();
  }

  /** The poll: claim what is due (unless there is no webhook at all), and prune now and then. */
  #tick(): void {
    if (this.#closed) return;
    const now = Date.now();
    if (now - this.#prunedAt >= PRUNE_EVERY_MS) {
      this.#prunedAt = now;
      this.#track(
        this.#store.pruneWebhookDeliveries(now - RETENTION_MS).then(
          (n) => {
            if (n > 0) this.#log?.debug({ pruned: n }, 'old webhook deliveries pruned');
          },
          (e: unknown) => this.#log?.error({ err: e }, 'could not prune webhook deliveries'),
        ),
      );
    }
    // Deleting a webhook deletes its deliveries, so when the event path's list is fresh and
    // empty there is nothing to claim. The poll never loads that list itself: loaded before a
    // webhook is created on another process, it would hide that webhook from this process's
    // events until it expires.
    if (this.#hooks !== null && this.#hooks.length === 0 && now - this.#loadedAt < HOOKS_TTL_MS) return;
    this.#pump();
  }

  /** Claim as many due deliveries as there are free slots, and send them. One claim at a time. */
  #pump(): void {
    if (this.#closed) return;
    const room = this.#opts.concurrency - this.#inFlight.size;
    if (this.#claiming || room <= 0) {
      this.#again = true;
      return;
    }
    this.#claiming = true;
    this.#again = false;
    this.#track(
      this.#store
        .claimWebhookDeliveries(Date.now(), room, this.#opts.leaseMs)
        .then(
          (claimed) => {
            // Sent even if close() began meanwhile (it waits for them): left unsent, they
            // would sit leased until the lease lapses.
            if (this.#abandoned) return;
            if (claimed.length === room) this.#again = true;
            for (const d of claimed) this.#send(d);
          },
          (e: unknown) => {
            // Not again at once (the store may be down): the poll tries later.
            this.#again = false;
            this.#log?.error({ err: e }, 'could not claim webhook deliveries');
          },
        )
        .finally(() => {
          this.#claiming = false;
          if (this.#again) this.#pump();
        }),
    );
  }

  #send(d: WebhookDeliveryRecord): void {
    const abort = new AbortController();
    this.#inFlight.set(d.id, abort);
    webhookInFlight.inc();
    this.#track(
      this.#deliver(d, abort)
        .catch((e: unknown) => this.#log?.error({ err: e, webhook: d.webhookId, delivery: d.id }, 'webhook delivery failed unexpectedly'))
        .finally(() => {
          this.#inFlight.delete(d.id);
          webhookInFlight.dec();
          if (this.#again) this.#pump();
        }),
    );
  }

  async #deliver(d: WebhookDeliveryRecord, abort: AbortController): Promise<void> {
    const attempt = d.attempts + 1;
    const body = JSON.stringify(maskSecrets(d.event));
    const timestamp = Math.floor(Date.now() / 1000);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      abort.abort();
    }, this.#opts.timeoutMs);
    let failure: string;
    try {
      const res = await fetch(d.url, {
        method: 'POST',
        redirect: 'manual',
        signal: abort.signal,
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Flotilla-Webhooks',
          'x-flotilla-event': d.event.type,
          'x-flotilla-delivery': d.id,
          'x-flotilla-timestamp': String(timestamp),
          'x-flotilla-attempt': String(attempt),
          'x-flotilla-signature': signPayload(d.secret, timestamp, body),
        },
        body,
      });
      await res.body?.cancel();
      if (res.status >= 200 && res.status < 300) {
        this.stats.delivered++;
        webhookDeliveries.inc({ outcome: 'delivered' });
        await this.#finish(d, { state: 'delivered' });
        return;
      }
      failure = `HTTP ${res.status}`;
    } catch (e) {
      if (this.#abandoned) return;
      failure = failureOf(e, timedOut);
    } finally {
      clearTimeout(timer);
    }
    if (this.#abandoned) return;
    if (attempt >= this.#opts.maxAttempts) {
      this.stats.failed++;
      webhookDeliveries.inc({ outcome: 'failed' });
      this.#log?.warn({ webhook: d.webhookId, delivery: d.id, event: d.event.id, attempts: attempt, failure }, 'webhook delivery given up');
      await this.#finish(d, { state: 'failed', error: failure });
      return;
    }
    this.stats.retried++;
    webhookDeliveries.inc({ outcome: 'retried' });
    const nextAt = Date.now() + Math.round(this.#opts.baseDelayMs * 2 ** (attempt - 1) * (0.8 + Math.random() * 0.4));
    this.#log?.debug({ webhook: d.webhookId, delivery: d.id, attempt, failure }, 'webhook delivery will be retried');
    await this.#finish(d, { state: 'retry', nextAt, error: failure });
    this.#wakeFor(nextAt);
  }

  /** Record an outcome; a store error leaves the delivery leased, so it is sent again after the lease. */
  async #finish(d: WebhookDeliveryRecord, outcome: WebhookDeliveryOutcome): Promise<void> {
    try {
      await this.#store.finishWebhookDelivery(d.id, outcome, Date.now());
    } catch (e) {
      this.#log?.error({ err: e, webhook: d.webhookId, delivery: d.id, outcome: outcome.state }, 'could not record a webhook delivery outcome');
    }
  }

  /** Pump when a retry of ours is due, if that comes before the next poll would. */
  #wakeFor(at: number): void {
    if (this.#closed) return;
    const delay = Math.max(0, at - Date.now());
    if (delay >= this.#opts.pollMs || at >= this.#wakeAt) return;
    if (this.#wake !== null) clearTimeout(this.#wake);
    this.#wakeAt = at;
    this.#wake = setTimeout(() => {
      this.#wake = null;
      this.#wakeAt = Infinity;
      this.#pump();
    }, delay);
    this.#wake.unref();
  }
}
