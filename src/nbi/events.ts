/**
 * Events out of the NBI, so an OSS does not have to poll: a server-sent-events stream and
 * webhooks, both fed by the event bus (src/events/bus.ts): streams see every process's
 * events (relayed), webhooks only this process's, so each is delivered once.
 *
 * Webhook deliveries are POSTs of the event as JSON, signed:
 *   X-Flotilla-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>
 *   X-Flotilla-Timestamp: <unix seconds>   X-Flotilla-Event: <type>   X-Flotilla-Delivery: <event id>
 * A receiver recomputes the HMAC over the timestamp and the raw body, compares in constant
 * time and refuses old timestamps (replays). A delivery that fails (no 2xx, timeout) is
 * retried with exponential back-off (1 s, 2 s, 4 s … with jitter) up to `maxAttempts`.
 * Deliveries are kept in memory: a restart loses the ones still pending.
 */
import { createHmac } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { EventBus, FlotillaEvent } from '../events/bus.js';
import type { Store, WebhookRecord } from '../store/types.js';

export function signPayload(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex')}`;
}

const wants = (types: readonly string[], event: FlotillaEvent): boolean => types.length === 0 || types.includes(event.type);

// ---------------------------------------------------------------------------
// Server-sent events
// ---------------------------------------------------------------------------

export interface SseOptions {
  types: string[];
  deviceId?: string;
  lastEventId?: string;
  heartbeatMs?: number;
}

/** Streams open now, so closing the server can end them. */
export class SseHub {
  readonly #bus: EventBus;
  readonly #streams = new Set<ServerResponse>();

  constructor(bus: EventBus) {
    this.#bus = bus;
  }

  get size(): number {
    return this.#streams.size;
  }

  /** Take over `res` and stream matching events until the client goes away. */
  open(res: ServerResponse, opts: SseOptions): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    const match = (e: FlotillaEvent): boolean => wants(opts.types, e) && (opts.deviceId === undefined || e.deviceId === opts.deviceId);
    const send = (e: FlotillaEvent): void => {
      if (!match(e)) return;
      const ok = res.write(`id: ${e.id}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`);
      // A client that stops reading does not get to hold our memory.
      if (!ok && res.writableLength > 1_048_576) res.destroy();
    };
    res.write('retry: 5000\n\n');
    if (opts.lastEventId !== undefined) for (const e of this.#bus.since(opts.lastEventId)) send(e);
    const unsubscribe = this.#bus.subscribe(send);
    const heartbeat = setInterval(() => res.write(': ping\n\n'), opts.heartbeatMs ?? 15_000);
    heartbeat.unref();
    this.#streams.add(res);
    res.on('close', () => {
      clearInterval(heartbeat);
      unsubscribe();
      this.#streams.delete(res);
    });
  }

  closeAll(): void {
    for (const res of this.#streams) res.end();
    this.#streams.clear();
  }
}

// ---------------------------------------------------------------------------
// Webhooks
// ---------------------------------------------------------------------------

export interface WebhookOptions {
  timeoutMs?: number;
  maxAttempts?: number;
  /** First retry delay; doubles each time (default 1000 ms). */
  baseDelayMs?: number;
  /** Deliveries in flight at once (default 16). */
  concurrency?: number;
  /** Pending deliveries kept at most; the oldest are dropped beyond (default 10000). */
  maxPending?: number;
  logger?: Logger;
}

const HOOKS_TTL_MS = 30_000;

interface Delivery {
  hook: WebhookRecord;
  event: FlotillaEvent;
  attempt: number;
}

export class WebhookDispatcher {
  readonly #store: Store;
  readonly #opts: Required<Omit<WebhookOptions, 'logger'>>;
  readonly #log: Logger | undefined;
  #hooks: WebhookRecord[] | null = null;
  /** When #hooks was read: other processes may add webhooks, so the list is re-read now and then. */
  #loadedAt = 0;
  #loading: Promise<WebhookRecord[]> | null = null;
  readonly #queue: Delivery[] = [];
  readonly #timers = new Set<NodeJS.Timeout>();
  #inFlight = 0;
  #closed = false;
  readonly #unsubscribe: () => void;
  /** Outcomes, for tests and metrics. */
  readonly stats = { delivered: 0, failed: 0, retried: 0, dropped: 0 };

  constructor(store: Store, bus: EventBus, opts: WebhookOptions = {}) {
    this.#store = store;
    this.#log = opts.logger;
    this.#opts = {
      timeoutMs: opts.timeoutMs ?? 10_000,
      maxAttempts: opts.maxAttempts ?? 6,
      baseDelayMs: opts.baseDelayMs ?? 1_000,
      concurrency: opts.concurrency ?? 16,
      maxPending: opts.maxPending ?? 10_000,
    };
    // Local events only: every process delivers what its own sessions did, so each event
    // goes out once however many processes relay it.
    this.#unsubscribe = bus.subscribe((e) => this.#onEvent(e), { origin: 'local' });
  }

  /** Webhooks changed (created/deleted): reload before the next event. */
  invalidate(): void {
    this.#hooks = null;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#unsubscribe();
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    this.#queue.length = 0;
  }

  #onEvent(event: FlotillaEvent): void {
    if (this.#closed) return;
    const hooks = this.#hooks;
    if (hooks !== null && Date.now() - this.#loadedAt < HOOKS_TTL_MS) return this.#fanOut(hooks, event);
    this.#loading ??= this.#store.listWebhooks().finally(() => (this.#loading = null));
    this.#loading.then(
      (loaded) => {
        this.#hooks = loaded;
        this.#loadedAt = Date.now();
        this.#fanOut(loaded, event);
      },
      (e: unknown) => this.#log?.error({ err: e }, 'could not load webhooks'),
    );
  }

  #fanOut(hooks: readonly WebhookRecord[], event: FlotillaEvent): void {
    for (const hook of hooks) if (wants(hook.events, event)) this.#enqueue({ hook, event, attempt: 1 });
  }

  #enqueue(d: Delivery): void {
    if (this.#closed) return;
    if (this.#queue.length >= this.#opts.maxPending) {
      this.#queue.shift();
      this.stats.dropped++;
    }
    this.#queue.push(d);
    this.#pump();
  }

  #pump(): void {
    while (this.#inFlight < this.#opts.concurrency && this.#queue.length > 0) {
      const d = this.#queue.shift()!;
      this.#inFlight++;
      void this.#deliver(d).finally(() => {
        this.#inFlight--;
        this.#pump();
      });
    }
  }

  async #deliver(d: Delivery): Promise<void> {
    const body = JSON.stringify(d.event);
    const timestamp = Math.floor(Date.now() / 1000);
    let failure: string;
    try {
      const res = await fetch(d.hook.url, {
        method: 'POST',
        redirect: 'manual',
        signal: AbortSignal.timeout(this.#opts.timeoutMs),
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Flotilla-Webhooks',
          'x-flotilla-event': d.event.type,
          'x-flotilla-delivery': d.event.id,
          'x-flotilla-timestamp': String(timestamp),
          'x-flotilla-attempt': String(d.attempt),
          'x-flotilla-signature': signPayload(d.hook.secret, timestamp, body),
        },
        body,
      });
      await res.body?.cancel();
      if (res.status >= 200 && res.status < 300) {
        this.stats.delivered++;
        return;
      }
      failure = `HTTP ${res.status}`;
    } catch (e) {
      failure = e instanceof Error ? e.name : 'error';
    }
    if (this.#closed) return;
    if (d.attempt >= this.#opts.maxAttempts) {
      this.stats.failed++;
      this.#log?.warn({ webhook: d.hook.id, event: d.event.id, failure }, 'webhook delivery given up');
      return;
    }
    this.stats.retried++;
    const delay = this.#opts.baseDelayMs * 2 ** (d.attempt - 1) * (0.8 + Math.random() * 0.4);
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      this.#enqueue({ ...d, attempt: d.attempt + 1 });
    }, delay);
    timer.unref();
    this.#timers.add(timer);
  }
}
