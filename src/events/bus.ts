/**
 * The event bus: the ACS session publishes what happened (after its commit, so a listener
 * that reads the store sees it); server-sent-event streams (src/nbi/sse.ts), webhooks
 * (src/events/webhooks.ts) and waiters (a task POST with ?wait=) listen.
 * Synchronous and in memory; a listener that throws is dropped from that delivery only,
 * never breaks the publisher.
 *
 * Across processes: with a relay attached (src/events/relay.ts: PostgreSQL LISTEN/NOTIFY, or
 * node:cluster messages between workers), what this process publishes goes to the others
 * and what they publish is delivered here too, so an SSE stream on any process sees the
 * whole fleet. Webhooks subscribe with `origin: 'local'`, so each event is delivered by the
 * one process whose session made it, never once per process.
 *
 * Ids count up per process, in the order events reach it (relayed ones included), so a
 * stream can resume from `Last-Event-ID` on the same process within the replay window (the
 * last `replay` events).
 */

import { events as eventMetrics, tasks as taskMetrics } from '../metrics/registry.js';

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
  /**
   * The shared bootstrap credential was presented for a device that has its own (and is not
   * expecting a reset): a reset device, or someone posing as it. Refused.
   */
  'device.bootstrap-refused',
  /** A provisioning policy was created, changed or deleted (deviceId ""; data: policyId). */
  'policy.changed',
  /** A session evaluated a policy on the device (data: policyId, state compliant | pending | faulted, fault). */
  'policy.compliance',
  /** A sampling profile was created, changed or deleted (deviceId ""; data: profileId). */
  'sampling.changed',
  /** An alarm was raised (data: the alarm). */
  'alarm.raised',
  /** A raised alarm's severity or value changed while its condition lasts. */
  'alarm.updated',
  /** An alarm's condition ended. */
  'alarm.cleared',
  /** An operator acknowledged an alarm. */
  'alarm.acknowledged',
  /**
   * A firmware campaign was created, paused (by an operator or a stop rule: data.reason),
   * resumed, aborted, finished, or entered a wave (deviceId ""; data: campaignId, state, wave, action).
   */
  'campaign.changed',
  /** A device's state in a campaign changed (data: campaignId, state, wave, reason, fault). */
  'campaign.device',
  /** A campaign's counts after a runner's step changed them (deviceId ""; data: campaignId, state, wave, counts). */
  'campaign.progress',
  /**
   * The CPE reported a transfer it made: a TransferComplete (data.commandKey; a task's, or one
   * the ACS does not know) or an AutonomousTransferComplete (data.autonomous: a download or
   * upload the device started itself, with its URL, file type, size and fault).
   */
  'device.transfer',
  /** A quirk profile was learnt by a session, or written or deleted by an operator (deviceId: the learning device or ""; data: profileId, source). */
  'quirks.changed',
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

/** A subscription's type filter (SSE ?types=, a webhook's events): empty means every type. */
export const wants = (types: readonly string[], event: FlotillaEvent): boolean => types.length === 0 || types.includes(event.type);
export type Listener = (event: FlotillaEvent) => void;

/** A relayed event is only these fields; anything else a peer sends is refused. */
export function isEventInput(value: unknown): value is EventInput {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.type === 'string' &&
    (EVENT_TYPES as readonly string[]).includes(v.type) &&
    typeof v.at === 'number' &&
    typeof v.deviceId === 'string' &&
    typeof v.data === 'object' &&
    v.data !== null &&
    !Array.isArray(v.data)
  );
}

/** Carries events between the processes of one deployment (src/events/relay.ts). */
export interface EventRelay {
  /** An event this process published, for the others (sent in batches, in order). */
  send(event: EventInput): void;
  /** From now on, events the other processes published go to `receive`. */
  start(receive: (event: EventInput) => void): Promise<void>;
  close(): Promise<void>;
}

export interface SubscribeOptions {
  /** 'local': only events this process published (not relayed ones). Default: all. */
  origin?: 'local' | 'any';
}

const TASK_STATES: Partial<Record<EventType, string>> = { 'task.done': 'done', 'task.faulted': 'faulted', 'task.expired': 'expired' };

/** Published here (not relayed): each event is counted once, by the process that made it. */
function countEvent(input: EventInput): void {
  eventMetrics.inc({ type: input.type });
  const state = TASK_STATES[input.type];
  if (state !== undefined) taskMetrics.inc({ type: typeof input.data.taskType === 'string' ? input.data.taskType : 'unknown', state });
}

/** What a publisher needs (the ACS session takes only this). */
export interface EventSink {
  publish(event: EventInput): void;
}

export class EventBus implements EventSink {
  /** listener → whether it wants relayed events too. */
  readonly #listeners = new Map<Listener, boolean>();
  readonly #recent: FlotillaEvent[] = [];
  readonly #replay: number;
  #relay: EventRelay | null = null;
  #seq = 0;

  constructor(opts: { replay?: number } = {}) {
    this.#replay = Math.max(0, opts.replay ?? 1000);
  }

  /** What this process's sessions and API did: delivered here, and to the other processes. */
  publish(input: EventInput): void {
    countEvent(input);
    this.#deliver(input, true);
    this.#relay?.send(input);
  }

  /** Join the other processes through `relay`; `close()` leaves them. */
  async attach(relay: EventRelay): Promise<void> {
    if (this.#relay !== null) throw new Error('the bus already has a relay');
    this.#relay = relay;
    await relay.start((input) => this.#deliver(input, false));
  }

  async close(): Promise<void> {
    const relay = this.#relay;
    this.#relay = null;
    await relay?.close();
  }

  #deliver(input: EventInput, local: boolean): void {
    const event: FlotillaEvent = { id: String(++this.#seq), ...input };
    if (this.#replay > 0) {
      this.#recent.push(event);
      if (this.#recent.length > this.#replay) this.#recent.splice(0, this.#recent.length - this.#replay);
    }
    for (const [listener, any] of [...this.#listeners]) {
      if (!local && !any) continue;
      try {
        listener(event);
      } catch {
        // A broken subscriber must not break the session that published.
      }
    }
  }

  subscribe(listener: Listener, opts: SubscribeOptions = {}): () => void {
    this.#listeners.set(listener, opts.origin !== 'local');
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
