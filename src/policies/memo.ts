/**
 * The device's policy memo: what an idle session needs to know that nothing changed, kept on
 * the device (read by openSession, written by the commit), so a compliant device whose
 * policies did not change costs no read and no RPC.
 *
 *   h    digest of: the policy set (ids and revisions), the device's tags, and the values of
 *        referenced parameters its Inform carries, as they stood at the end of the last
 *        evaluation. A periodic Inform from an unchanged device reproduces it exactly.
 *   due  evaluate again from this time even if h matches (retry after a fault, with back-off;
 *        a session that ran out of cycles), or null.
 *   n    consecutive evaluations that ended with a fault (the back-off's exponent).
 *   f    per faulted policy: faults in a row (n) and when it is tried again (at). A policy in
 *        back-off is not enforced before `at`, whatever else makes the device evaluate;
 *        `due` is the earliest `at` (or now, when something is pending). Void after 0 BOOTSTRAP.
 *   z    the device's time zone as it reported it (schedules in the device's zone), kept so
 *        an idle session knows whether a window is open without a store read.
 *   w    per policy with an open schedule window: the window's opening time, once applied in
 *        it (the policy is not evaluated again in that window).
 *   made instances this ACS added for object declarations and has not seen set up yet
 *        (reference → "X.Y.3."), so a session that dies after an AddObject does not make the
 *        next one add again (./objects.ts). Void after 0 BOOTSTRAP.
 */
import { createHash } from 'node:crypto';

export interface PolicyMemo {
  h: string;
  due: number | null;
  n: number;
  made?: Record<string, string>;
  f?: Record<string, Backoff>;
  z?: string;
  w?: Record<string, number>;
}

export interface Backoff {
  n: number;
  at: number;
}

export function parseMemo(text: string | null): PolicyMemo | null {
  if (text === null) return null;
  try {
    const v = JSON.parse(text) as Partial<PolicyMemo>;
    if (typeof v.h === 'string' && (v.due === null || typeof v.due === 'number') && typeof v.n === 'number') {
      const made = typeof v.made === 'object' && v.made !== null && !Array.isArray(v.made) ? madeOf(v.made) : {};
      const f = typeof v.f === 'object' && v.f !== null && !Array.isArray(v.f) ? backoffOf(v.f) : {};
      const w = typeof v.w === 'object' && v.w !== null && !Array.isArray(v.w) ? Object.fromEntries(Object.entries(v.w).filter((e): e is [string, number] => typeof e[1] === 'number')) : {};
      return {
        h: v.h,
        due: v.due,
        n: v.n,
        ...(Object.keys(made).length > 0 ? { made } : {}),
        ...(Object.keys(f).length > 0 ? { f } : {}),
        ...(typeof v.z === 'string' ? { z: v.z } : {}),
        ...(Object.keys(w).length > 0 ? { w } : {}),
      };
    }
  } catch {
    // an unreadable memo is no memo: the device is evaluated
  }
  return null;
}

function madeOf(o: object): Record<string, string> {
  return Object.fromEntries(Object.entries(o).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

function backoffOf(o: object): Record<string, Backoff> {
  return Object.fromEntries(
    Object.entries(o).filter((e): e is [string, Backoff] => typeof e[1] === 'object' && e[1] !== null && typeof (e[1] as Backoff).n === 'number' && typeof (e[1] as Backoff).at === 'number'),
  );
}

export const formatMemo = (m: PolicyMemo): string => JSON.stringify(m);

export function digest(setKey: string, tags: readonly string[], values: readonly (readonly [string, string])[]): string {
  const h = createHash('sha256');
  h.update(setKey).update('\0');
  for (const t of [...tags].sort()) h.update(t).update('\0');
  h.update('\0');
  for (const [path, value] of [...values].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) h.update(path).update('=').update(value).update('\0');
  return h.digest('base64url').slice(0, 22);
}

/** Back-off after `n` faulted evaluations in a row: base · 2^(n−1), at most max. */
export function retryDelay(n: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, Math.min(30, n - 1)));
}
