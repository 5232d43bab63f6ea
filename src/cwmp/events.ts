/**
 * Inform event codes (TR-069 3.7.1.5, Table 7) and the one way the project compares them.
 *
 * Codes are compared without case or surrounding padding: some CPEs send "1 Boot". Every
 * reader of events (the ACS session, the session machine, the stores, the CPE) goes through
 * `eventKey`/`hasEvent`, so a quirky code means the same thing everywhere.
 */
import type { EventStruct } from './types.js';

export const EV = {
  BOOTSTRAP: '0 BOOTSTRAP',
  BOOT: '1 BOOT',
  PERIODIC: '2 PERIODIC',
  SCHEDULED: '3 SCHEDULED',
  VALUE_CHANGE: '4 VALUE CHANGE',
  KICKED: '5 KICKED',
  CONNECTION_REQUEST: '6 CONNECTION REQUEST',
  TRANSFER_COMPLETE: '7 TRANSFER COMPLETE',
  DIAGNOSTICS_COMPLETE: '8 DIAGNOSTICS COMPLETE',
  REQUEST_DOWNLOAD: '9 REQUEST DOWNLOAD',
  AUTONOMOUS_TRANSFER_COMPLETE: '10 AUTONOMOUS TRANSFER COMPLETE',
  DU_STATE_CHANGE_COMPLETE: '11 DU STATE CHANGE COMPLETE',
  AUTONOMOUS_DU_STATE_CHANGE_COMPLETE: '12 AUTONOMOUS DU STATE CHANGE COMPLETE',
  WAKEUP: '13 WAKEUP',
  HEARTBEAT: '14 HEARTBEAT',
  M_REBOOT: 'M Reboot',
  M_SCHEDULE_INFORM: 'M ScheduleInform',
  M_DOWNLOAD: 'M Download',
  M_SCHEDULE_DOWNLOAD: 'M ScheduleDownload',
  M_UPLOAD: 'M Upload',
  M_CHANGE_DU_STATE: 'M ChangeDUState',
} as const;

/** The form codes are compared in. */
export function eventKey(code: string): string {
  return code.trim().toUpperCase();
}

/**
 * A HEARTBEAT session (TR-069 Annex O): its Inform carries 14 HEARTBEAT and nothing else. The
 * ACS sends no requests in it. An Inform with other events beside it is an ordinary session.
 */
export function isHeartbeatOnly(events: readonly EventStruct[]): boolean {
  return events.length > 0 && events.every((e) => eventKey(e.eventCode) === EV.HEARTBEAT);
}

export function hasEvent(events: readonly EventStruct[], code: string): boolean {
  const wanted = eventKey(code);
  return events.some((e) => eventKey(e.eventCode) === wanted);
}
