/**
 * Maintenance windows: a window opens at every time a cron expression names (read with
 * croner in UTC, an IANA zone, or a device's own zone) and stays open for a duration.
 */
import { Cron } from 'croner';
import type { WindowSpec } from './types.js';

/** A zone croner understands: an IANA name, or a fixed offset from UTC in minutes. */
export type Zone = { timezone: string } | { utcOffset: number };

export const UTC: Zone = { timezone: 'UTC' };

export interface WindowState {
  open: boolean;
  /** When the current window closes (open), else null. */
  closesAt: number | null;
  /** When the next window opens (closed), or the current one opened (open); null: never again. */
  opensAt: number | null;
}

const cache = new Map<string, Cron>();

function cronFor(expr: string, zone: Zone): Cron {
  const key = `${expr}\u0000${'timezone' in zone ? zone.timezone : zone.utcOffset}`;
  let c = cache.get(key);
  if (c === undefined) {
    // Without a function croner schedules nothing: it only answers questions about times.
    c = new Cron(expr, 'timezone' in zone ? { timezone: zone.timezone } : { utcOffset: zone.utcOffset });
    if (cache.size > 1000) cache.clear();
    cache.set(key, c);
  }
  return c;
}

/** Whether `w` is open at `now` in `zone`, and when that changes. */
export function windowAt(w: WindowSpec, zone: Zone, now: number): WindowState {
  const cron = cronFor(w.cron, zone);
  const span = w.durationMinutes * 60_000;
  // The last opening at or before now (croner's previousRuns excludes the reference itself).
  const prev = cron.previousRuns(1, new Date(now + 1))[0];
  if (prev !== undefined && now < prev.getTime() + span) return { open: true, closesAt: prev.getTime() + span, opensAt: prev.getTime() };
  const next = cron.nextRun(new Date(now));
  return { open: false, closesAt: null, opensAt: next === null ? null : next.getTime() };
}

/**
 * A device's zone from what it reports: an IANA name (TR-181 LocalTimeZoneName, some
 * TR-098 devices), a POSIX TZ string ("CET-1CEST,M3.5.0,M10.5.0/3": its standard offset,
 * without the summer-time rule), or an offset ("+01:00", TR-098 LocalTimeZone). Null when
 * nothing usable is known (the caller falls back to UTC).
 */
export function zoneOf(reported: string | null | undefined): Zone | null {
  if (reported === null || reported === undefined) return null;
  const v = reported.trim();
  if (v === '' || v.length > 128) return null;
  if (/^[A-Za-z_]+\/[A-Za-z0-9_+\-/]+$/.test(v) || v === 'UTC') {
    try {
      new Intl.DateTimeFormat('en', { timeZone: v });
      return { timezone: v };
    } catch {
      // fall through: maybe POSIX
    }
  }
  const offset = /^([+-])(\d{1,2}):?(\d{2})$/.exec(v);
  if (offset !== null) {
    const minutes = Number(offset[2]) * 60 + Number(offset[3]);
    return minutes <= 14 * 60 ? { utcOffset: offset[1] === '-' ? -minutes : minutes } : null;
  }
  // POSIX: std name (letters or <...>), then the offset WEST of UTC (so the sign is inverted).
  const posix = /^(?:[A-Za-z]{3,}|<[^>]{1,16}>)([+-]?)(\d{1,2})(?::(\d{2}))?/.exec(v);
  if (posix !== null) {
    const minutes = Number(posix[2]) * 60 + Number(posix[3] ?? 0);
    if (minutes > 14 * 60) return null;
    return { utcOffset: posix[1] === '-' ? minutes : -minutes };
  }
  return null;
}
