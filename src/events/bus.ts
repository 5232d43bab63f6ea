/**
 * The in-process event bus: the ACS session publishes what happened (after its commit, so a
 * listener that reads the store sees it), the NBI fans it out to server-sent-event streams
 * and webhooks (src/nbi/events.ts), and waiters (a task POST with ?wait=) listen for their
 * task. Synchronous and in memory; a listener that throws is dropped from that delivery
 * only, never breaks the publisher.
 *
 * Ids count up per process, so a stream can resume from `Last-Event-ID` within the replay
 * window (the last `replay` events).
 */

export const EVENT_TYPES = [
  /** First Inform of a device the store did not know. */
  'device.registered',
  /** An Inform carrying 1 BOOT. */
  'device.booted',
  /** Every committed session (its Inform's events, outcome). */
  'device.inform',
  'task.done',
  'task.faulted',
  'task.expired',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export interface FlotillaEvent {
  /** Decimal, increasing within one process. */
  id: string;
  type: EventType;
  /** ms since the epoch. */
  at: number;
  deviceId: string;
  data: Record<string, unknown>;
}

export type EventInput = Omit<FlotillaEvent, 'id'>;
export type Listener = (event: FlotillaEvent) => void;

/** What a publisher needs (the ACS session takes only this). */
export interface EventSink {
  publish(event: EventInput): void;
}

export class EventBus implements EventSink {
  readonly #listeners = new Set<Listener>();
  readonly #recent: FlotillaEvent[] = [];
  readonly #replay: number;
  #seq = 0;

  constructor(opts: { replay?: number } = {}) {
    this.#replay = Math.max(0, opts.replay ?? 1000);
  }

  publish(input: EventInput): void {
    const event: FlotillaEvent = { id: String(++this.#seq), ...input };
    if (this.#replay > 0) {
      this.#recent.push(event);
      if (this.#recent.length > this.#replay) this.#recent.splice(0, this.#recent.length - this.#replay);
    }
    for (const listener of [...this.#listeners]) {
      try {
        listener(event);
      } catch {
        // A broken subscriber must not break the session that published.
      }
    }
  }

  subscribe(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** Events after `lastId` still in the replay window (all of it when lastId is unknown or older). */
  since(lastId: string): FlotillaEvent[] {
    const n = Number(lastId);
    if (!Number.isInteger(n)) return [];
    return this.#recent.filter((e) => Number(e.id) > n);
  }

  get listenerCount(): number {
    return this.#listeners.size;
  }
}
