/**
 * The server-sent-events stream of GET /api/v1/events: every process's events (the bus
 * relays the others'), filtered by type and device, with Last-Event-ID replay from the bus's
 * recent history.
 */
import type { ServerResponse } from 'node:http';
import { wants, type EventBus, type FlotillaEvent } from '../events/bus.js';
import { maskSecrets } from '../secrets/rules.js';

export interface SseOptions {
  types: string[];
  deviceId?: string;
  lastEventId?: string;
  heartbeatMs?: number;
  /** Only events of devices this says yes to (a scoped principal's); absent: all. */
  allow?: (deviceId: string) => Promise<boolean>;
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
    const write = (e: FlotillaEvent): void => {
      if (res.destroyed) return;
      const ok = res.write(`id: ${e.id}\nevent: ${e.type}\ndata: ${JSON.stringify(maskSecrets(e))}\n\n`);
      // A client that stops reading does not get to hold our memory.
      if (!ok && res.writableLength > 1_048_576) res.destroy();
    };
    const allow = opts.allow;
    const send = (e: FlotillaEvent): void => {
      if (!match(e)) return;
      if (allow === undefined) return write(e);
      // An event of no device (a campaign's progress) is outside every scope.
      if (e.deviceId === '' || e.deviceId === undefined) return;
      allow(e.deviceId).then(
        (ok) => ok && write(e),
        () => undefined,
      );
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

