/**
 * Inform events a CPE keeps until they are delivered (TR-069 3.7.1.5 and Table 7), and the
 * session retry back-off (3.2.1.1).
 *
 * Single events ("1 BOOT", "4 VALUE CHANGE" …) are kept once however often they occur;
 * method events ("M Reboot" …) are kept once per CommandKey. Most events are delivered by a
 * successful Inform. The transfer events ("7 TRANSFER COMPLETE" and the "M Download" /
 * "M Upload" / "M ScheduleDownload" of a finished transfer) stay until the TransferComplete
 * they announce has been acknowledged, so a session that fails in between repeats them.
 */
import { EV } from '../../cwmp/events.js';
import type { EventStruct } from '../../cwmp/types.js';

export { EV };

const TRANSFER_METHOD_EVENTS = new Set<string>([EV.M_DOWNLOAD, EV.M_UPLOAD, EV.M_SCHEDULE_DOWNLOAD]);

function isMultiple(code: string): boolean {
  return code.startsWith('M ') || code.startsWith('X ');
}

/** Add an event; returns the (possibly new) list. Single events keep their first CommandKey-less form. */
export function addEvent(events: EventStruct[] | null, eventCode: string, commandKey = ''): EventStruct[] {
  const list = events ?? [];
  const exists = list.some((e) => e.eventCode === eventCode && (!isMultiple(eventCode) || e.commandKey === commandKey));
  if (!exists) list.push({ eventCode, commandKey: isMultiple(eventCode) ? commandKey : '' });
  // BOOTSTRAP first: some ACSes only look at the first event to decide on a full discovery.
  if (eventCode === EV.BOOTSTRAP && list.length > 1) list.sort((a, b) => rank(a) - rank(b));
  return list;
}

function rank(e: EventStruct): number {
  return e.eventCode === EV.BOOTSTRAP ? 0 : 1;
}

/**
 * After an InformResponse: drop the events that Inform carried (`sent`; events added while
 * the session ran stay), except those waiting for a TransferComplete (`undelivered` holds the
 * CommandKeys whose TransferComplete is not acknowledged yet). Returns null when none is left.
 */
export function afterInform(
  events: EventStruct[] | null,
  sent: readonly EventStruct[],
  undelivered: ReadonlySet<string>,
): EventStruct[] | null {
  if (events === null) return null;
  const kept = events.filter((e) => {
    if (!sent.includes(e)) return true;
    if (e.eventCode === EV.TRANSFER_COMPLETE) return undelivered.size > 0;
    return TRANSFER_METHOD_EVENTS.has(e.eventCode) && undelivered.has(e.commandKey);
  });
  return kept.length === 0 ? null : kept;
}

/** After a TransferCompleteResponse for `commandKey`. */
export function afterTransferComplete(
  events: EventStruct[] | null,
  commandKey: string,
  undelivered: ReadonlySet<string>,
): EventStruct[] | null {
  if (events === null) return null;
  const kept = events.filter((e) => {
    if (e.eventCode === EV.TRANSFER_COMPLETE) return undelivered.size > 0;
    return !(TRANSFER_METHOD_EVENTS.has(e.eventCode) && e.commandKey === commandKey && !undelivered.has(commandKey));
  });
  return kept.length === 0 ? null : kept;
}

export interface RetryPolicy {
  /** CWMPRetryMinimumWaitInterval, seconds (default 5). */
  minimumWait: number;
  /** CWMPRetryIntervalMultiplier, thousandths (default 2000). */
  multiplier: number;
}

export const DEFAULT_RETRY: RetryPolicy = { minimumWait: 5, multiplier: 2000 };

/**
 * Wait before retry number `retryCount` (1 = first retry): uniform in
 * [m·(k/1000)^(n-1), m·(k/1000)^n] seconds with n = min(retryCount, 10) (3.2.1.1, Table 3).
 */
export function retryDelayMs(retryCount: number, policy: RetryPolicy = DEFAULT_RETRY, random: () => number = Math.random): number {
  const n = Math.min(Math.max(retryCount, 1), 10);
  const base = policy.multiplier / 1000;
  const lo = policy.minimumWait * base ** (n - 1);
  const hi = policy.minimumWait * base ** n;
  return Math.round((lo + random() * (hi - lo)) * 1000);
}
