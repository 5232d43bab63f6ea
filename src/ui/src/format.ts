/** Small pure helpers: times, counts, CSV. No DOM, no imports (unit-tested from test/ui). */

export function ago(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return 'never';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '—';
  const s = Math.round((now - t) / 1000);
  if (s < 0) return 'just now';
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86_400)}d ago`;
}

export function localTime(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

export const count = (n: number): string => n.toLocaleString('en-US');

/**
 * How long a session took. Sessions on a LAN last milliseconds (the store keeps ms), so
 * under a second says ms rather than rounding every one to "0.0 s".
 */
export function duration(startIso: string | null | undefined, endIso: string | null | undefined): string {
  if (!startIso || !endIso) return '';
  const ms = Date.parse(endIso) - Date.parse(startIso);
  if (!Number.isFinite(ms) || ms < 0) return '';
  return ms < 1000 ? `${Math.round(ms)} ms` : ms < 60_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${count(n)} ${n === 1 ? one : many}`;
}

/** RFC 4180: quote fields with comma, quote, CR or LF; neutralise spreadsheet formulas. */
export function csvField(v: unknown): string {
  let s = v === null || v === undefined ? '' : Array.isArray(v) ? v.join(' ') : String(v);
  if (/^[=+@\t\r]/.test(s) || (s.startsWith('-') && !/^-\d+(\.\d+)?$/.test(s))) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvLine(values: readonly unknown[]): string {
  return values.map(csvField).join(',') + '\r\n';
}

/** Seconds a device may stay silent and still count as online: its interval plus a grace. */
export function onlineWindowMs(intervalSeconds: number | null): number {
  const s = intervalSeconds !== null && intervalSeconds > 0 ? intervalSeconds : 3600;
  return s * 1000 + Math.max(60_000, s * 100);
}

export function isOnline(lastInform: string | null | undefined, intervalSeconds: number | null, now = Date.now()): boolean {
  if (!lastInform) return false;
  const t = Date.parse(lastInform);
  return !Number.isNaN(t) && now - t <= onlineWindowMs(intervalSeconds);
}
