/**
 * Schedule triggers (src/store/concerns/policies.ts PolicySchedule): is a policy's window open
 * for this device now, and since when. The window opens at each time the cron expression
 * names and spans the `window` ("01:00-05:00": four hours), read in the device's own zone or
 * a named one, with the campaigns' maintenance-window rules (src/campaigns/window.ts).
 *
 * Cost: a session learns whether a window is open from the clock and the zone kept in the
 * device's memo, with no store read; the policy applies once per window (the memo keeps which
 * window it was applied in), so a compliant device's later sessions inside the window stay
 * idle at two round trips.
 */
import { windowAt, zoneOf, UTC, type Zone } from '../campaigns/window.js';
import type { PolicyRecord, PolicySchedule, PolicyTrigger } from '../store/types.js';

/** Where devices report their zone, in the order tried (TR-181, TR-098). */
export const ZONE_PATHS = ['Device.Time.LocalTimeZoneName', 'Device.Time.LocalTimeZone', 'InternetGatewayDevice.Time.LocalTimeZoneName', 'InternetGatewayDevice.Time.LocalTimeZone'] as const;

const WINDOW = /^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$/;

export const isSchedule = (t: PolicyTrigger | PolicySchedule): t is PolicySchedule => typeof t === 'object';

/** "01:00-05:00" → 240 minutes ("22:00-02:00" wraps: 240 too); null when malformed. */
export function windowMinutes(window: string | undefined): number | null {
  if (window === undefined) return 60;
  const m = WINDOW.exec(window);
  if (m === null) return null;
  const start = Number(m[1]) * 60 + Number(m[2]);
  const end = Number(m[3]) * 60 + Number(m[4]);
  const span = (end - start + 24 * 60) % (24 * 60);
  return span === 0 ? 24 * 60 : span;
}

/** The zone a schedule is read in: a named one, or the device's (reported value), else UTC. */
export function scheduleZone(s: PolicySchedule, deviceZone: string | null): Zone {
  if (s.timeZone !== undefined && s.timeZone !== 'device') return { timezone: s.timeZone };
  return zoneOf(deviceZone) ?? UTC;
}

/** When the window of `s` open at `now` opened, or null when it is closed. */
export function openedAt(s: PolicySchedule, deviceZone: string | null, now: number): number | null {
  const minutes = windowMinutes(s.window);
  if (minutes === null) return null;
  const state = windowAt({ cron: s.cron, durationMinutes: minutes, timezone: '' }, scheduleZone(s, deviceZone), now);
  return state.open ? state.opensAt : null;
}

/**
 * The open window of a policy's schedules (the earliest-opened when several are open), as a
 * key for the memo ("opening time"), or null: none open.
 */
export function openWindow(p: PolicyRecord, deviceZone: string | null, now: number): number | null {
  let best: number | null = null;
  for (const t of p.triggers) {
    if (!isSchedule(t)) continue;
    const at = openedAt(t, deviceZone, now);
    if (at !== null && (best === null || at < best)) best = at;
  }
  return best;
}

/**
 * The open window of a policy's schedules (the earliest-opened, as openWindow picks it) with
 * when it closes, or null: none open. For the wake-up job (src/services/policy-wake.ts).
 */
export function openSpan(p: PolicyRecord, deviceZone: string | null, now: number): { opensAt: number; closesAt: number } | null {
  let best: { opensAt: number; closesAt: number } | null = null;
  for (const t of p.triggers) {
    if (!isSchedule(t)) continue;
    const minutes = windowMinutes(t.window);
    if (minutes === null) continue;
    const state = windowAt({ cron: t.cron, durationMinutes: minutes, timezone: '' }, scheduleZone(t, deviceZone), now);
    if (!state.open || state.opensAt === null || state.closesAt === null) continue;
    if (best === null || state.opensAt < best.opensAt) best = { opensAt: state.opensAt, closesAt: state.closesAt };
  }
  return best;
}
