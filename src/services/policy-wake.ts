/**
 * Wake-ups for schedule windows. A policy with a schedule ("between 01:00 and 05:00 in the
 * device's zone") applies in a session inside the window; a device whose periodic Inform does
 * not fall inside it would never get it. When a window is open, this job sends a connection
 * request to each matching device that has not applied the policy in this window yet and whose
 * next periodic Inform would come too late — through the one requester (src/reach/requester.ts:
 * its target guard and per-device and global limits), never around it.
 *
 * Storm-free by construction:
 *  - each device's wake-up has its own moment in the first half of its window (a hash of the
 *    device, the policy and the window's opening), so a fleet whose windows open together is
 *    woken over hours, not at once; the second half is left for the sessions to converge;
 *  - at most `ratePerSecond` wake-ups leave per second (`--policy-wake-rate`), paced, whatever
 *    is due; what is left waits for the next tick;
 *  - a device is woken at most once per window: after that, a session that ended pending or
 *    faulted is the engine's own business (its back-off), so a device that refuses a value is
 *    not woken again and again; a device that informed since the window opened (and since the
 *    policy last changed) is not woken: that session had its chance.
 *
 * Only the leader of the process registry runs it (one wake-up per device and window, whatever
 * the number of ACS processes). It reads what a session would know without taking a lock: the
 * policy memo (src/policies/memo.ts: the zone it reported, the windows applied in, back-off),
 * read in bulk (Store.policyMemos), and the periodic interval from the device list.
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { parseMemo, type PolicyMemo } from '../policies/memo.js';
import { isSchedule, openSpan, ZONE_PATHS } from '../policies/schedule.js';
import type { DeviceCursor, DeviceListItem, PolicyRecord, Store } from '../store/types.js';
import type { ConnectionRequestRecord } from '../tasks/types.js';

const INTERVAL_PATHS = ['Device.ManagementServer.PeriodicInformInterval', 'InternetGatewayDevice.ManagementServer.PeriodicInformInterval'];
const ENABLE_PATHS = ['Device.ManagementServer.PeriodicInformEnable', 'InternetGatewayDevice.ManagementServer.PeriodicInformEnable'];

/** What the job needs of the requester: one connection request, rate limits and guard inside. */
export interface WakeRequester {
  request(deviceId: string, taskIds?: string[]): Promise<ConnectionRequestRecord & { retryAfterMs?: number }>;
}

export interface PolicyWakeOptions {
  store: Store;
  requester: WakeRequester;
  /** Wake-ups per second at most, over all devices (default 5). */
  ratePerSecond?: number;
  /** Between ticks (default 30 s). */
  everyMs?: number;
  /** Devices looked at per tick, over all scheduled policies (default 5,000). */
  perTick?: number;
  /**
   * A periodic Inform expected this long before the window closes is trusted to come (default
   * 5 minutes, at most a tenth of the window): the device gets the policy without a wake-up.
   */
  marginMs?: number;
  /** Whether this process wakes devices now (default: always). */
  isLeader?: () => Promise<boolean>;
  logger?: Logger;
  now?: () => number;
  /** Waits between paced wake-ups (tests pass a fake). */
  sleep?: (ms: number) => Promise<void>;
}

export interface WakeTick {
  /** Devices of scheduled policies looked at. */
  examined: number;
  /** Connection requests sent (whatever their outcome). */
  woken: number;
  /** Due, but over this tick's rate budget or refused by the requester's limits: next tick. */
  deferred: number;
}

/** When, inside [opensAt, opensAt + spread), this device's wake-up is due: the same on every process and tick. */
export function wakeMoment(deviceId: string, policyId: string, opensAt: number, spreadMs: number): number {
  if (spreadMs <= 0) return opensAt;
  const h = createHash('sha256').update(`${deviceId}\0${policyId}\0${opensAt}`).digest();
  return opensAt + (h.readUInt32BE(0) % Math.max(1, Math.floor(spreadMs)));
}

/**
 * The first periodic Inform expected at or after `now` (lastInform plus whole intervals), or
 * null when the device does not inform periodically (disabled, or no interval known).
 */
export function nextPeriodicInform(lastInform: number, intervalSeconds: number | null, now: number): number | null {
  if (intervalSeconds === null || !Number.isFinite(intervalSeconds) || intervalSeconds <= 0) return null;
  const step = intervalSeconds * 1000;
  if (lastInform >= now) return lastInform;
  return lastInform + Math.ceil((now - lastInform) / step) * step;
}

const value = (d: DeviceListItem, paths: readonly string[]): string | null => {
  const v = d.parameters?.find((p) => paths.includes(p.path))?.value;
  return v === undefined || v === null || v.trim() === '' ? null : v.trim();
};

export class PolicyWake {
  readonly #o: PolicyWakeOptions;
  readonly #now: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  /** `${device} ${windowOpenedAt}` woken already (one wake-up serves every policy of that window). */
  readonly #woken = new Map<string, number>();
  /** Per policy: where the walk over its devices stopped. */
  readonly #cursor = new Map<string, DeviceCursor>();
  #timer: NodeJS.Timeout | undefined;
  #running = false;
  #stopped = false;

  constructor(opts: PolicyWakeOptions) {
    this.#o = opts;
    this.#now = opts.now ?? Date.now;
    this.#sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  start(): void {
    const every = this.#o.everyMs ?? 30_000;
    const run = (): void => {
      if (this.#running || this.#stopped) return;
      this.#running = true;
      this.tick()
        .then(
          (r) => {
            if (r.woken > 0 || r.deferred > 0) this.#o.logger?.info(r, 'devices woken for policy schedule windows');
          },
          (e: unknown) => this.#o.logger?.error({ err: e }, 'policy schedule wake-ups failed'),
        )
        .finally(() => {
          this.#running = false;
        });
    };
    this.#timer = setInterval(run, every);
    this.#timer.unref();
    setTimeout(run, Math.min(5_000, every)).unref();
  }

  stop(): void {
    this.#stopped = true;
    clearInterval(this.#timer);
  }

  /** One pass: find the devices due a wake-up now and wake them, paced. */
  async tick(): Promise<WakeTick> {
    const out: WakeTick = { examined: 0, woken: 0, deferred: 0 };
    if (this.#o.isLeader !== undefined && !(await this.#o.isLeader())) return out;
    const due = await this.#due(out);
    const rate = Math.max(0.001, this.#o.ratePerSecond ?? 5);
    const every = this.#o.everyMs ?? 30_000;
    // This tick's share of the rate: what is left waits for the next tick, paced the same.
    const budget = Math.max(1, Math.floor((rate * every) / 1000));
    const gap = 1000 / rate;
    for (let i = 0; i < due.length; i++) {
      if (this.#stopped || i >= budget) {
        out.deferred += due.length - i;
        break;
      }
      if (i > 0) await this.#sleep(gap);
      const { deviceId, key } = due[i]!;
      const r: ConnectionRequestRecord = await this.#o.requester.request(deviceId).catch((e: unknown) => ({ at: this.#now(), outcome: 'unreachable', detail: e instanceof Error ? e.message : String(e) }));
      if (r.outcome === 'rate-limited') {
        // The requester's own limits said not now: tried again next tick, the window permitting.
        out.deferred++;
        continue;
      }
      this.#woken.set(key, this.#now());
      out.woken++;
      if (r.outcome !== 'answered' && r.outcome !== 'udp-sent') this.#o.logger?.info({ deviceId, outcome: r.outcome, detail: r.detail }, 'a schedule wake-up did not reach the device');
    }
    this.#forgetOld();
    return out;
  }

  /** The devices due a wake-up now, oldest moment first, one entry per device. */
  async #due(out: WakeTick): Promise<{ deviceId: string; key: string; at: number }[]> {
    const { store } = this.#o;
    const now = this.#now();
    const policies = (await store.listPolicies()).filter((p) => p.enabled && p.triggers.some(isSchedule));
    const due = new Map<string, { deviceId: string; key: string; at: number }>();
    let budget = this.#o.perTick ?? 5000;
    for (const policy of policies) {
      if (budget <= 0) break;
      const page = await store.listDevices({
        filters: policy.filters,
        parameters: [...ZONE_PATHS, ...INTERVAL_PATHS, ...ENABLE_PATHS],
        limit: Math.min(500, budget),
        ...(this.#cursor.has(policy.id) ? { after: this.#cursor.get(policy.id)! } : {}),
      });
      if (page.next === null) this.#cursor.delete(policy.id);
      else this.#cursor.set(policy.id, page.next);
      budget -= page.devices.length;
      out.examined += page.devices.length;
      const memos = page.devices.length === 0 ? {} : await store.policyMemos(page.devices.map((d) => d.id));
      for (const d of page.devices) {
        const wake = this.#wakeFor(policy, d, parseMemo(memos[d.id] ?? null), now);
        if (wake === null || due.has(d.id)) continue;
        due.set(d.id, { deviceId: d.id, ...wake });
      }
    }
    return [...due.values()].sort((a, b) => a.at - b.at);
  }

  /** Is a wake-up for this policy due on this device now? Its key and moment, or null. */
  #wakeFor(policy: PolicyRecord, d: DeviceListItem, memo: PolicyMemo | null, now: number): { key: string; at: number } | null {
    // The zone as the session will read it: the memo's, else what the tree holds.
    const span = openSpan(policy, memo?.z ?? value(d, ZONE_PATHS), now);
    if (span === null) return null;
    const key = `${d.id} ${span.opensAt}`;
    if (this.#woken.has(key)) return null;
    // Applied in this window already, or informed since it opened and since the policy last
    // changed (that session had its chance: a pending or faulted outcome is retried by the
    // engine's back-off, not by waking the device again and again).
    if (memo?.w?.[policy.id] === span.opensAt || d.lastInform >= Math.max(span.opensAt, policy.updatedAt)) return null;
    // In back-off after faults until after the window: a session would not apply it anyway.
    const backoff = memo?.f?.[policy.id]?.at;
    if (backoff !== undefined && backoff >= span.closesAt) return null;
    // Its own periodic Inform comes in time: no wake-up needed.
    const windowMs = span.closesAt - span.opensAt;
    const margin = Math.min(this.#o.marginMs ?? 5 * 60_000, windowMs / 10);
    const enabled = value(d, ENABLE_PATHS);
    const interval = enabled === 'false' || enabled === '0' ? null : Number(value(d, INTERVAL_PATHS) ?? NaN);
    const next = nextPeriodicInform(d.lastInform, interval, now);
    if (next !== null && next <= span.closesAt - margin) return null;
    const at = Math.max(wakeMoment(d.id, policy.id, span.opensAt, windowMs / 2), backoff ?? 0);
    return at <= now ? { key, at } : null;
  }

  /** Wake-ups of windows long past are forgotten (their keys cannot come again). */
  #forgetOld(): void {
    if (this.#woken.size < 100_000) return;
    const cutoff = this.#now() - 2 * 86_400_000;
    for (const [k, at] of this.#woken) if (at < cutoff) this.#woken.delete(k);
  }
}
