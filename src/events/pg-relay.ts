/**
 * Events between every Flotilla process on one PostgreSQL database (workers and hosts alike),
 * over LISTEN/NOTIFY on one extra connection per process.
 *
 * Each process sends its events in batches (`SELECT pg_notify(channel, payload)`, one
 * statement per batch, a payload under PostgreSQL's 8,000-byte limit) and listens on the
 * same channel, skipping its own batches by their origin tag. The session hot path never
 * waits for this: publishing only appends to a buffer.
 *
 * Delivery is best effort, as for any live stream: while the connection is down, events
 * are buffered (bounded) and sent once it is back; a process that is disconnected misses
 * what others sent meanwhile. Durable state is in the store; the events only say "look".
 * The connection comes back by itself, with back-off.
 */
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { EventBatcher, type BatcherOptions } from './batcher.js';
import { isEventInput, type EventInput, type EventRelay } from './bus.js';

/** NOTIFY payloads must be shorter than 8,000 bytes; leave room for the envelope. */
const MAX_PAYLOAD_BYTES = 7_800;
const RECONNECT_MIN_MS = 250;
const RECONNECT_MAX_MS = 10_000;
export const DEFAULT_EVENTS_CHANNEL = 'flotilla_events';

export interface PgRelayOptions extends BatcherOptions {
  url: string;
  /** A PostgreSQL identifier (default flotilla_events); deployments sharing a database can keep apart. */
  channel?: string;
  connectTimeoutMs?: number;
  /** How the connection shows in pg_stat_activity (default flotilla-events). */
  applicationName?: string;
  /** Told when the connection fails (it is retried). */
  onError?: (err: Error) => void;
}

interface Payload {
  /** Origin: which process sent it. */
  o: string;
  e: EventInput[];
}

/** Split events into payloads under the NOTIFY limit (an event too large alone loses its data). */
export function encodePayloads(origin: string, events: readonly EventInput[], maxBytes = MAX_PAYLOAD_BYTES): { payload: string; count: number }[] {
  const head = `{"o":${JSON.stringify(origin)},"e":[`;
  const overhead = Buffer.byteLength(head) + 2;
  const payloads: { payload: string; count: number }[] = [];
  let parts: string[] = [];
  let size = overhead;
  for (const event of events) {
    let json = JSON.stringify(event);
    let bytes = Buffer.byteLength(json);
    if (bytes + overhead > maxBytes) {
      json = JSON.stringify({ ...event, data: { truncated: true } });
      bytes = Buffer.byteLength(json);
    }
    if (parts.length > 0 && size + bytes + 1 > maxBytes) {
      payloads.push({ payload: `${head}${parts.join(',')}]}`, count: parts.length });
      parts = [];
      size = overhead;
    }
    parts.push(json);
    size += bytes + 1;
  }
  if (parts.length > 0) payloads.push({ payload: `${head}${parts.join(',')}]}`, count: parts.length });
  return payloads;
}

export class PgNotifyRelay implements EventRelay {
  readonly #opts: PgRelayOptions;
  readonly #channel: string;
  readonly #origin = randomBytes(8).toString('hex');
  readonly #batcher: EventBatcher;
  /** Listening, ready to send. */
  #client: pg.Client | null = null;
  /** The newest connection, connecting or connected: older ones' errors are stale. */
  #current: pg.Client | null = null;
  #receive: ((event: EventInput) => void) | null = null;
  #sending: Promise<void> | null = null;
  #reconnectTimer: NodeJS.Timeout | null = null;
  #backoff = RECONNECT_MIN_MS;
  #closed = false;
  readonly stats = { sent: 0, received: 0, reconnects: 0 };

  constructor(opts: PgRelayOptions) {
    this.#opts = opts;
    this.#channel = opts.channel ?? DEFAULT_EVENTS_CHANNEL;
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(this.#channel)) throw new Error(`not a channel name: ${this.#channel}`);
    this.#batcher = new EventBatcher(() => this.#pump(), { flushMs: 25, ...opts });
  }

  get connected(): boolean {
    return this.#client !== null;
  }

  get dropped(): number {
    return this.#batcher.dropped;
  }

  send(event: EventInput): void {
    if (!this.#closed) this.#batcher.add(event);
  }

  /** Resolves once listening, or after the first attempt failed (it goes on retrying). */
  async start(receive: (event: EventInput) => void): Promise<void> {
    this.#receive = receive;
    await this.#connect();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    // What this process published last still reaches the others.
    await this.#sending;
    this.#batcher.flushNow();
    await this.#sending;
    this.#closed = true;
    if (this.#reconnectTimer !== null) clearTimeout(this.#reconnectTimer);
    this.#batcher.clear();
    const client = this.#current;
    this.#client = null;
    this.#current = null;
    await client?.end().catch(() => undefined);
  }

  async #connect(): Promise<void> {
    if (this.#closed) return;
    // Loaded here, not at import: a SQLite deployment never loads the PostgreSQL driver.
    const { default: driver } = await import('pg');
    if (this.#closed) return;
    const client = (this.#current = new driver.Client({
      connectionString: this.#opts.url,
      application_name: this.#opts.applicationName ?? 'flotilla-events',
      connectionTimeoutMillis: this.#opts.connectTimeoutMs ?? 5_000,
      keepAlive: true,
    }));
    client.on('error', (err) => this.#lost(client, err));
    client.on('end', () => this.#lost(client, new Error('events connection ended')));
    client.on('notification', (n) => {
      if (n.channel === this.#channel && n.payload !== undefined) this.#onPayload(n.payload);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${this.#channel}`);
    } catch (e) {
      this.#lost(client, e instanceof Error ? e : new Error(String(e)));
      return;
    }
    if (this.#closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.#client = client;
    this.#backoff = RECONNECT_MIN_MS;
    this.#batcher.flushNow();
  }

  #lost(client: pg.Client, err: Error): void {
    if (this.#closed || client !== this.#current) return;
    const wasUp = this.#client === client;
    this.#client = null;
    this.#current = null;
    client.removeAllListeners('notification');
    // Keep an error listener: a late socket error on a dropped client must not crash us.
    client.on('error', () => undefined);
    void client.end().catch(() => undefined);
    if (this.#reconnectTimer !== null) return;
    this.#opts.onError?.(err);
    const delay = wasUp ? RECONNECT_MIN_MS : this.#backoff;
    this.#backoff = Math.min(RECONNECT_MAX_MS, this.#backoff * 2);
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = null;
      this.stats.reconnects++;
      void this.#connect();
    }, delay);
    this.#reconnectTimer.unref();
  }

  /**
   * Send what the batcher holds, one statement per payload. One send at a time keeps the
   * order; what arrives meanwhile waits for the next batch, so a busy process sends a NOTIFY
   * per `flushMs`, not one per round trip.
   */
  #pump(): void {
    if (this.#sending !== null || this.#client === null || this.#batcher.pending === 0) return;
    const client = this.#client;
    const batch = this.#batcher.take();
    this.#sending = (async () => {
      let sent = 0;
      try {
        for (const { payload, count } of encodePayloads(this.#origin, batch)) {
          await client.query('SELECT pg_notify($1, $2)', [this.#channel, payload]);
          sent += count;
        }
      } catch {
        // The connection failed: what was not sent waits for the next one ('error' reconnects).
        this.#batcher.requeue(batch.slice(sent));
      } finally {
        this.stats.sent += sent;
      }
    })().finally(() => {
      this.#sending = null;
      if (this.#client !== null) this.#batcher.schedule();
    });
  }

  #onPayload(payload: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(payload);
    } catch {
      return;
    }
    if (typeof parsed !== 'object' || parsed === null) return;
    const p = parsed as Partial<Payload>;
    if (p.o === this.#origin || !Array.isArray(p.e)) return;
    for (const e of p.e) {
      if (!isEventInput(e)) continue;
      this.stats.received++;
      try {
        this.#receive?.(e);
      } catch {
        // The bus isolates its listeners; nothing here may break the connection.
      }
    }
  }
}
