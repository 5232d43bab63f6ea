/**
 * The event bus across processes, in memory: two buses joined by a relay pair stand for two
 * processes. Relayed events reach every subscriber but the local-only ones (webhooks), each
 * bus numbers what it delivers, and the batcher keeps order and bounds its buffer.
 */
import { describe, expect, it } from 'vitest';
import { EventBatcher } from '../../src/events/batcher.js';
import { EventBus, isEventInput, type EventInput, type EventRelay, type FlotillaEvent } from '../../src/events/bus.js';
import { encodePayloads } from '../../src/events/pg-relay.js';

/** Two relays wired to each other, like two processes on one channel. */
function relayPair(): [EventRelay, EventRelay] {
  const receivers: ((e: EventInput) => void)[] = [];
  const make = (me: number): EventRelay => ({
    send: (e) => queueMicrotask(() => receivers[1 - me]?.(e)),
    start: async (receive) => {
      receivers[me] = receive;
    },
    close: async () => {
      delete receivers[me];
    },
  });
  return [make(0), make(1)];
}

const ev = (deviceId: string, type: EventInput['type'] = 'device.inform'): EventInput => ({ type, at: 1, deviceId, data: { n: deviceId } });
const flush = () => new Promise((r) => setTimeout(r, 0));

describe('EventBus with a relay', () => {
  it('delivers the other process’s events to streams, not to local-only subscribers', async () => {
    const [ra, rb] = relayPair();
    const a = new EventBus();
    const b = new EventBus();
    await a.attach(ra);
    await b.attach(rb);
    const streamB: FlotillaEvent[] = [];
    const hooksB: FlotillaEvent[] = [];
    const hooksA: FlotillaEvent[] = [];
    b.subscribe((e) => streamB.push(e));
    b.subscribe((e) => hooksB.push(e), { origin: 'local' });
    a.subscribe((e) => hooksA.push(e), { origin: 'local' });

    a.publish(ev('dev-a1'));
    b.publish(ev('dev-b1'));
    a.publish(ev('dev-a2'));
    await flush();

    expect(streamB.map((e) => e.deviceId)).toEqual(['dev-b1', 'dev-a1', 'dev-a2']);
    // Ids are this bus's own, in the order events reached it.
    expect(streamB.map((e) => e.id)).toEqual(['1', '2', '3']);
    expect(hooksB.map((e) => e.deviceId)).toEqual(['dev-b1']);
    expect(hooksA.map((e) => e.deviceId)).toEqual(['dev-a1', 'dev-a2']);
    // Relayed events are in the replay window too.
    expect(b.since('1').map((e) => e.deviceId)).toEqual(['dev-a1', 'dev-a2']);

    await a.close();
    a.publish(ev('dev-a3'));
    await flush();
    expect(streamB).toHaveLength(3);
  });

  it('refuses a second relay', async () => {
    const bus = new EventBus();
    const [r1, r2] = relayPair();
    await bus.attach(r1);
    await expect(bus.attach(r2)).rejects.toThrow(/already/);
  });
});

describe('EventBatcher', () => {
  it('hands events over in order, once per batch, and requeues in front', async () => {
    const batches: EventInput[][] = [];
    let batcher: EventBatcher;
    // eslint-disable-next-line prefer-const
    batcher = new EventBatcher(() => batches.push(batcher.take()), { flushMs: 5 });
    for (let i = 0; i < 50; i++) batcher.add(ev(`d${i}`));
    expect(batches).toEqual([]);
    await new Promise((r) => setTimeout(r, 20));
    expect(batches).toHaveLength(1);
    expect(batches[0]!.map((e) => e.deviceId)).toEqual(Array.from({ length: 50 }, (_, i) => `d${i}`));
    batcher.add(ev('late'));
    batcher.requeue([ev('r1'), ev('r2')]);
    batcher.flushNow();
    expect(batches[1]!.map((e) => e.deviceId)).toEqual(['r1', 'r2', 'late']);
  });

  it('drops the oldest beyond its bound and counts them', () => {
    const batcher = new EventBatcher(() => undefined, { maxBuffered: 3 });
    for (let i = 0; i < 5; i++) batcher.add(ev(`d${i}`));
    expect(batcher.dropped).toBe(2);
    expect(batcher.take().map((e) => e.deviceId)).toEqual(['d2', 'd3', 'd4']);
    batcher.clear();
  });

  it('accepts only well-formed events from a peer', () => {
    expect(isEventInput(ev('x'))).toBe(true);
    expect(isEventInput({ ...ev('x'), type: 'device.exploded' })).toBe(false);
    expect(isEventInput({ ...ev('x'), data: [] })).toBe(false);
    expect(isEventInput({ type: 'device.inform', at: '1', deviceId: 'x', data: {} })).toBe(false);
    expect(isEventInput(null)).toBe(false);
  });
});

describe('NOTIFY payloads', () => {
  it('split under the size limit, keep every event in order, and truncate one that is too large alone', () => {
    const events = Array.from({ length: 300 }, (_, i) => ev(`device-${i}`));
    events.push({ type: 'task.faulted', at: 2, deviceId: 'huge', data: { blob: 'x'.repeat(20_000) } });
    const payloads = encodePayloads('origin1', events, 2_000);
    expect(payloads.length).toBeGreaterThan(5);
    for (const p of payloads) expect(Buffer.byteLength(p.payload)).toBeLessThan(2_000);
    const decoded = payloads.flatMap((p) => {
      const parsed = JSON.parse(p.payload) as { o: string; e: EventInput[] };
      expect(parsed.o).toBe('origin1');
      expect(parsed.e).toHaveLength(p.count);
      return parsed.e;
    });
    expect(decoded.slice(0, 300)).toEqual(events.slice(0, 300));
    expect(decoded[300]).toEqual({ type: 'task.faulted', at: 2, deviceId: 'huge', data: { truncated: true } });
  });
});
