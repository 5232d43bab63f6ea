/**
 * Collects events for a relay and hands them over in batches: one message per few
 * milliseconds instead of one per session, so relaying costs a process a few dozen sends a
 * second at any session rate. Bounded: while the transport is down, the oldest events beyond
 * `maxBuffered` are dropped (and counted), never the process's memory.
 */
import type { EventInput } from './bus.js';

export interface BatcherOptions {
  /** How long an event may wait for others to share its message (default 10 ms). */
  flushMs?: number;
  /** Events kept at most while the transport cannot take them (default 10,000). */
  maxBuffered?: number;
}

export class EventBatcher {
  readonly #flushMs: number;
  readonly #maxBuffered: number;
  readonly #onReady: () => void;
  #buffer: EventInput[] = [];
  #timer: NodeJS.Timeout | null = null;
  dropped = 0;

  /** `onReady` is called when a batch is due; the relay then `take`s what it can send. */
  constructor(onReady: () => void, opts: BatcherOptions = {}) {
    this.#onReady = onReady;
    this.#flushMs = opts.flushMs ?? 10;
    this.#maxBuffered = Math.max(1, opts.maxBuffered ?? 10_000);
  }

  get pending(): number {
    return this.#buffer.length;
  }

  add(event: EventInput): void {
    this.#buffer.push(event);
    this.#trim();
    this.#timer ??= setTimeout(() => this.flushNow(), this.#flushMs);
  }

  /** Everything pending, in order; the buffer is empty afterwards. */
  take(): EventInput[] {
    const batch = this.#buffer;
    this.#buffer = [];
    return batch;
  }

  /** Put events that could not be sent back in front, in their order. */
  requeue(events: readonly EventInput[]): void {
    this.#buffer = [...events, ...this.#buffer];
    this.#trim();
  }

  /** A batch is due after the usual wait, if anything is pending (a send just ended). */
  schedule(): void {
    if (this.#buffer.length > 0) this.#timer ??= setTimeout(() => this.flushNow(), this.#flushMs);
  }

  /** A batch is due now (timer fired, or the transport came back). */
  flushNow(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    if (this.#buffer.length > 0) this.#onReady();
  }

  /** Forget what is pending (the relay is closing for good). */
  clear(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#buffer = [];
  }

  #trim(): void {
    const over = this.#buffer.length - this.#maxBuffered;
    if (over > 0) {
      this.#buffer.splice(0, over);
      this.dropped += over;
    }
  }
}
