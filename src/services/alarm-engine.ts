/**
 * The alarm evaluator, a background job of every `flotilla serve` process (docs/monitoring.md).
 *
 *  - Event rules listen to this process's own events (origin 'local': each event is handled by
 *    the one process whose session or job made it). A count rule counts in the store, shared by
 *    every process.
 *  - A sweep every `everyMs` evaluates what no single event tells: devices offline too long,
 *    thresholds on KPI series held long enough, count rules whose count fell back; and re-checks
 *    the active alarms of those rules to clear them.
 *
 * The store decides transitions (raiseAlarm is atomic across processes), so when several
 * processes sweep, one raises and the others find it raised: each transition is published once,
 * as an alarm.* event (the event stream, and webhooks subscribed to it).
 */
import type { Logger } from 'pino';
import type { EventBus, FlotillaEvent } from '../events/bus.js';
import type { Alarm, AlarmRule, EventMatch, Store } from '../store/types.js';
import { alarmEventData } from './alarms.js';

export interface AlarmEngineOptions {
  store: Store;
  bus: EventBus;
  logger?: Logger;
  now?: () => number;
  /** Sweep period (default 60 s). */
  everyMs?: number;
  /** Devices an offline sweep looks at (oldest Inform first; default 10,000). */
  offlineBatch?: number;
  /** PeriodicInformInterval assumed when a device's is unknown (default 86,400 s, TR-069's usual). */
  defaultIntervalSeconds?: number;
}

const INTERVAL_PATHS = ['Device.ManagementServer.PeriodicInformInterval', 'InternetGatewayDevice.ManagementServer.PeriodicInformInterval'];
const ENABLE_PATHS = ['Device.ManagementServer.PeriodicInformEnable', 'InternetGatewayDevice.ManagementServer.PeriodicInformEnable'];

/** An event's data field against a rule's values ("x*": starts with x). */
export function eventMatches(m: EventMatch, e: Pick<FlotillaEvent, 'type' | 'data'>): boolean {
  if (m.type !== e.type) return false;
  for (const [k, values] of Object.entries(m.data ?? {})) {
    const v = e.data[k];
    if (typeof v !== 'string') return false;
    if (!values.some((x) => (x.endsWith('*') ? v.startsWith(x.slice(0, -1)) : v === x))) return false;
  }
  return true;
}

const duration = (ms: number): string => (ms >= 86_400_000 ? `${(ms / 86_400_000).toFixed(1)} d` : ms >= 3_600_000 ? `${(ms / 3_600_000).toFixed(1)} h` : `${Math.round(ms / 60_000)} min`);

export class AlarmEngine {
  readonly #o: Required<Pick<AlarmEngineOptions, 'everyMs' | 'offlineBatch' | 'defaultIntervalSeconds'>> & AlarmEngineOptions;
  readonly #now: () => number;
  #rules: AlarmRule[] = [];
  #loaded: Promise<void> | null = null;
  #timer: NodeJS.Timeout | null = null;
  #unsubscribe: (() => void) | null = null;
  #sweeping: Promise<void> | null = null;
  /** Work in hand (event handling), awaited by close() and by tests. */
  readonly #pending = new Set<Promise<void>>();
  /** Devices with an active offline alarm, as of the last sweep or this process's raising. */
  #offline = new Set<string>();
  #closed = false;

  constructor(opts: AlarmEngineOptions) {
    this.#o = { everyMs: 60_000, offlineBatch: 10_000, defaultIntervalSeconds: 86_400, ...opts };
    this.#now = opts.now ?? Date.now;
  }

  start(): void {
    this.#unsubscribe = this.#o.bus.subscribe((e) => this.#track(this.#onEvent(e)), { origin: 'local' });
    this.#timer = setInterval(() => void this.sweep(), this.#o.everyMs);
    this.#timer.unref();
  }

  /** Rules changed in this process: reload before the next evaluation. */
  invalidate(): void {
    this.#loaded = null;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#unsubscribe?.();
    if (this.#timer !== null) clearInterval(this.#timer);
    await this.idle();
  }

  /** Resolves when the event handling and sweep under way are done. */
  async idle(): Promise<void> {
    while (this.#pending.size > 0 || this.#sweeping !== null) {
      await Promise.allSettled([...this.#pending, this.#sweeping ?? Promise.resolve()]);
    }
  }

  #track(p: Promise<void>): void {
    const tracked = p.catch((e: unknown) => this.#o.logger?.error({ err: e }, 'alarm evaluation failed')).finally(() => this.#pending.delete(tracked));
    this.#pending.add(tracked);
  }

  async #enabled(): Promise<AlarmRule[]> {
    this.#loaded ??= this.#o.store.listAlarmRules().then((r) => {
      this.#rules = r;
    });
    await this.#loaded;
    return this.#rules.filter((r) => r.enabled);
  }

  async #raise(rule: AlarmRule, deviceId: string, text: string): Promise<void> {
    const at = this.#now();
    const r = await this.#o.store.raiseAlarm({ ruleId: rule.id, deviceId, severity: rule.severity, text, at });
    if (rule.condition.kind === 'offline') this.#offline.add(deviceId);
    if (r.transition === 'none') return;
    this.#o.bus.publish({ type: r.transition === 'raised' ? 'alarm.raised' : 'alarm.updated', at, deviceId, data: alarmEventData(r.alarm, rule) });
  }

  async #clear(rule: AlarmRule, deviceId: string, text: string): Promise<void> {
    const at = this.#now();
    const alarm = await this.#o.store.clearAlarm({ ruleId: rule.id, deviceId, text, at });
    if (rule.condition.kind === 'offline') this.#offline.delete(deviceId);
    if (alarm !== null) this.#o.bus.publish({ type: 'alarm.cleared', at, deviceId, data: alarmEventData(alarm, rule) });
  }

  async #onEvent(e: FlotillaEvent): Promise<void> {
    if (this.#closed || e.type.startsWith('alarm.') || e.deviceId === '') return;
    for (const rule of await this.#enabled()) {
      const c = rule.condition;
      if (c.kind === 'offline') {
        // The device is back: its offline alarm (if this process knows of one) ends now, not at the next sweep.
        if (e.type === 'device.inform' && this.#offline.has(e.deviceId)) await this.#clear(rule, e.deviceId, 'Inform received');
        continue;
      }
      if (c.kind !== 'event') continue;
      if (eventMatches(c.raise, e)) {
        if (c.count !== undefined && c.windowSeconds !== undefined) {
          const n = await this.#o.store.countAlarmEvents(rule.id, e.deviceId, e.at, e.at - c.windowSeconds * 1000);
          if (n > c.count) await this.#raise(rule, e.deviceId, `${n} × ${c.raise.type} within ${duration(c.windowSeconds * 1000)}`);
        } else {
          await this.#raise(rule, e.deviceId, describe(e));
        }
      } else if (c.clear !== undefined && eventMatches(c.clear, e)) {
        await this.#clear(rule, e.deviceId, describe(e));
      }
    }
  }

  /** One evaluation of the rules no single event decides. */
  sweep(): Promise<void> {
    if (this.#sweeping !== null || this.#closed) return this.#sweeping ?? Promise.resolve();
    this.#sweeping = this.#sweep()
      .catch((e: unknown) => this.#o.logger?.error({ err: e }, 'alarm sweep failed'))
      .finally(() => {
        this.#sweeping = null;
      });
    return this.#sweeping;
  }

  async #sweep(): Promise<void> {
    this.invalidate();
    for (const rule of await this.#enabled()) {
      if (this.#closed) return;
      const c = rule.condition;
      if (c.kind === 'offline') await this.#sweepOffline(rule, c.periods);
      else if (c.kind === 'threshold') await this.#sweepThreshold(rule, c);
      else if (c.count !== undefined && c.windowSeconds !== undefined) {
        // A count rule's alarm ends when the count falls back within the window.
        for (const a of await this.#o.store.activeAlarmsOf(rule.id, 1000)) {
          const n = await this.#o.store.countAlarmEvents(rule.id, a.deviceId, null, this.#now() - c.windowSeconds * 1000);
          if (n <= c.count) await this.#clear(rule, a.deviceId, `${n} × ${c.raise.type} within ${duration(c.windowSeconds * 1000)}`);
        }
      }
    }
  }

  async #sweepOffline(rule: AlarmRule, periods: number): Promise<void> {
    const now = this.#now();
    // Devices quiet for longer than the shortest interval anyone uses (1 min) × periods, stalest first.
    const page = await this.#o.store.listDevices({
      filters: [{ field: 'lastInform', op: 'lt', value: now - periods * 60_000 }],
      parameters: [...INTERVAL_PATHS, ...ENABLE_PATHS],
      sort: { key: 'lastInform' },
      limit: this.#o.offlineBatch,
    });
    const offline = new Set<string>();
    for (const d of page.devices) {
      const value = (paths: string[]) => d.parameters?.find((p) => paths.includes(p.path))?.value ?? null;
      const enabled = value(ENABLE_PATHS);
      if (enabled === 'false' || enabled === '0') continue; // no periodic Informs expected
      const interval = Number(value(INTERVAL_PATHS)) || this.#o.defaultIntervalSeconds;
      const quiet = now - d.lastInform;
      if (quiet <= periods * interval * 1000) continue;
      offline.add(d.id);
      await this.#raise(rule, d.id, `no Inform for ${duration(quiet)} (${periods} × ${interval} s periodic interval)`);
    }
    // Active ones whose device came back (an Inform this process did not see).
    const active: Alarm[] = await this.#o.store.activeAlarmsOf(rule.id, 10_000);
    for (const a of active) if (!offline.has(a.deviceId) && page.devices.length < this.#o.offlineBatch) await this.#clear(rule, a.deviceId, 'Inform received');
    this.#offline = new Set([...offline, ...active.filter((a) => offline.has(a.deviceId)).map((a) => a.deviceId)]);
  }

  async #sweepThreshold(rule: AlarmRule, c: Extract<AlarmRule['condition'], { kind: 'threshold' }>): Promise<void> {
    const now = this.#now();
    const hold = c.forSeconds * 1000;
    // Enough history to see when the current excursion began.
    const samples = await this.#o.store.recentSamples(c.path, now - Math.max(2 * hold, 3_600_000), 100_000);
    const outside = (v: number): boolean => (c.above !== undefined && v > c.above) || (c.below !== undefined && v < c.below);
    const byDevice = new Map<string, { at: number; metric: number }[]>();
    for (const s of samples) {
      const list = byDevice.get(s.deviceId) ?? [];
      list.push(s);
      byDevice.set(s.deviceId, list);
    }
    const range = `${c.below !== undefined ? `≥ ${c.below}` : ''}${c.below !== undefined && c.above !== undefined ? ' and ' : ''}${c.above !== undefined ? `≤ ${c.above}` : ''}`;
    const inside = new Set<string>();
    for (const [deviceId, list] of byDevice) {
      const latest = list[list.length - 1]!;
      if (!outside(latest.metric)) {
        inside.add(deviceId);
        continue;
      }
      let start = latest.at;
      for (let i = list.length - 1; i >= 0 && outside(list[i]!.metric); i--) start = list[i]!.at;
      if (now - start >= hold) await this.#raise(rule, deviceId, `${c.path} = ${latest.metric} for ${duration(now - start)} (wanted ${range})`);
    }
    for (const a of await this.#o.store.activeAlarmsOf(rule.id, 10_000)) {
      if (inside.has(a.deviceId)) await this.#clear(rule, a.deviceId, `${c.path} back within ${range}`);
    }
  }
}

/** An event in words, for an alarm's text. */
function describe(e: FlotillaEvent): string {
  const d = e.data;
  const bits = ['taskType', 'diagnosticsState', 'policyId', 'state', 'campaignId', 'reason']
    .filter((k) => typeof d[k] === 'string' || typeof d[k] === 'number')
    .map((k) => `${k} ${String(d[k]).slice(0, 80)}`);
  return `${e.type}${bits.length > 0 ? `: ${bits.join(', ')}` : ''}`;
}
