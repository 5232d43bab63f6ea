/**
 * Events between the workers of one `flotilla serve --workers N` (node:cluster), for the
 * SQLite store (PostgreSQL deployments use LISTEN/NOTIFY, src/events/pg-relay.ts, which also
 * reaches processes on other hosts). A worker sends its events to the primary over the IPC
 * channel; the primary passes them to every other worker.
 */
import cluster, { type Worker } from 'node:cluster';
import { EventBatcher, type BatcherOptions } from './batcher.js';
import { isEventInput, type EventInput, type EventRelay } from './bus.js';

const MESSAGE_TYPE = 'flotilla:events';

interface EventsMessage {
  type: typeof MESSAGE_TYPE;
  events: EventInput[];
}

const isEventsMessage = (m: unknown): m is EventsMessage =>
  typeof m === 'object' && m !== null && (m as { type?: unknown }).type === MESSAGE_TYPE && Array.isArray((m as { events?: unknown }).events);

/** In a worker: the bus's relay to its sibling workers. */
export class ClusterWorkerRelay implements EventRelay {
  readonly #batcher: EventBatcher;
  #onMessage: ((m: unknown) => void) | null = null;

  constructor(opts: BatcherOptions = {}) {
    this.#batcher = new EventBatcher(() => this.#send(this.#batcher.take()), opts);
  }

  get dropped(): number {
    return this.#batcher.dropped;
  }

  send(event: EventInput): void {
    this.#batcher.add(event);
  }

  async start(receive: (event: EventInput) => void): Promise<void> {
    if (!cluster.isWorker) throw new Error('ClusterWorkerRelay runs in a cluster worker');
    this.#onMessage = (m: unknown) => {
      if (!isEventsMessage(m)) return;
      for (const e of m.events) if (isEventInput(e)) receive(e);
    };
    process.on('message', this.#onMessage);
  }

  async close(): Promise<void> {
    this.#batcher.flushNow();
    if (this.#onMessage !== null) process.off('message', this.#onMessage);
    this.#onMessage = null;
  }

  #send(events: EventInput[]): void {
    // The primary is gone (we are stopping): nobody left to tell.
    if (!process.connected || process.send === undefined) return;
    const message: EventsMessage = { type: MESSAGE_TYPE, events };
    process.send(message, undefined, {}, (err) => {
      if (err) this.#batcher.dropped += events.length;
    });
  }
}

/** In the primary: pass each worker's events to the others. Returns how to stop. */
export function relayBetweenWorkers(): () => void {
  const onMessage = (from: Worker, message: unknown): void => {
    if (!isEventsMessage(message)) return;
    for (const worker of Object.values(cluster.workers ?? {})) {
      if (worker === undefined || worker === from || !worker.isConnected()) continue;
      worker.send(message, undefined, (err: Error | null) => {
        // A worker that is going away misses the events; it has no streams left to give them to.
        void err;
      });
    }
  };
  cluster.on('message', onMessage);
  return () => {
    cluster.off('message', onMessage);
  };
}
