/**
 * The domain rules of a session's writes, in one place above the backends: what an Inform's
 * events set on the device, what a failed transfer does to its task, and what happens to the
 * tasks a session leaves unfinished. session-writes.ts turns them into write ops; the
 * backends only apply ops, so neither knows these rules.
 */
import { EV, hasEvent } from '../cwmp/events.js';
import type { DeviceIdStruct, EventStruct, Fault } from '../cwmp/types.js';
import type { TaskType } from '../tasks/types.js';
import type { CpeMessageRecord } from './types.js';

/** The device row an Inform writes. */
export interface DeviceWrite {
  manufacturer: string;
  oui: string;
  productClass: string;
  serialNumber: string;
  /** last_inform; also first_inform when the device is new (never changed afterwards). */
  at: number;
  /** `1 BOOT` sets lastBoot to the Inform's time; null leaves the stored one. */
  boot: number | null;
  /** `0 BOOTSTRAP` sets lastBootstrap to the Inform's time; null leaves the stored one. */
  bootstrap: number | null;
  /** The Inform's events, kept as the device's lastEvents. */
  events: EventStruct[];
}

export function deviceWrite(identity: DeviceIdStruct, informAt: number, events: readonly EventStruct[]): DeviceWrite {
  return {
    manufacturer: identity.manufacturer,
    oui: identity.oui,
    productClass: identity.productClass,
    serialNumber: identity.serialNumber,
    at: informAt,
    boot: hasEvent(events, EV.BOOT) ? informAt : null,
    bootstrap: hasEvent(events, EV.BOOTSTRAP) ? informAt : null,
    events: [...events],
  };
}

/** The task types a TransferComplete reports on. */
export const TRANSFER_TASK_TYPES: readonly TaskType[] = ['download', 'upload', 'scheduleDownload'];

/**
 * A TransferComplete with a non-zero FaultCode faults the transfer task with its CommandKey:
 * that task was `done` when the CPE accepted the transfer (status 1), or is still `running`.
 * The backends apply it as: state done|running, type in TRANSFER_TASK_TYPES, same
 * command_key → state fault, this fault, updated at `at`.
 */
export interface TransferFault {
  commandKey: string;
  fault: Fault['detail'];
  at: number;
}

export function transferFaults(messages: readonly CpeMessageRecord[]): TransferFault[] {
  const out: TransferFault[] = [];
  for (const { at, message } of messages) {
    if (message.method !== 'TransferComplete' || message.faultStruct.faultCode === 0) continue;
    out.push({
      commandKey: message.commandKey,
      fault: { faultCode: message.faultStruct.faultCode, faultString: message.faultStruct.faultString, setParameterValuesFault: [] },
      at,
    });
  }
  return out;
}

/**
 * Requeueing: a task still `running` when its session ends — sent but unanswered, or never
 * sent — goes back to `queued`: at commit, after the outcomes are recorded (planCommit's
 * `requeue` op), and when a session's lock is released without a commit (releaseOps). The
 * backends' openSession hands out `running` tasks again too: a session that died left them,
 * and whoever holds the lock now runs them.
 */
