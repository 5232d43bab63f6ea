/**
 * Tasks: what an operator asks of one device, as stored and as the NBI accepts it. One
 * union member per kind, discriminated by `type`; the planner (planner.ts) turns a
 * device's ordered tasks into the fewest RPCs.
 *
 * Bodies follow GenieACS's NBI where it has a convention (`parameterNames`,
 * `parameterValues: [[path, value, xsdType]]`, `objectName`), so integrators can move over.
 * Stored tasks are normalised (validate.ts): every optional RPC argument has its value,
 * every value its xsd type, and the CommandKey of a method that produces an `M …` event is
 * set, so a task's stored form is exactly what the CPE will be sent.
 */
import type { CpeResponse, Download, DownloadFile, DuOperation, Fault, Notification, TimeWindow, Upload } from '../cwmp/types.js';

/** [path, value, xsdType]; the type is filled in at creation when the caller left it out. */
export type ParameterValueTuple = [string, string, string];

export interface ParameterAttributeChange {
  name: string;
  /** Omitted: leave the notification as it is (NotificationChange false). */
  notification?: Notification;
  /** Omitted: leave the access list as it is (AccessListChange false). */
  accessList?: string[];
}

export type Task =
  | { type: 'getParameterValues'; parameterNames: string[] }
  | { type: 'getParameterNames'; parameterPath: string; nextLevel: boolean }
  | { type: 'setParameterValues'; parameterValues: ParameterValueTuple[]; parameterKey: string }
  | { type: 'getParameterAttributes'; parameterNames: string[] }
  | { type: 'setParameterAttributes'; parameterAttributes: ParameterAttributeChange[] }
  /**
   * AddObject, then (when `parameterValues` is not empty) one SetParameterValues on the new
   * instance; names in `parameterValues` are relative to it ("SSID", "Security.ModeEnabled").
   */
  | { type: 'addObject'; objectName: string; parameterValues: ParameterValueTuple[]; parameterKey: string }
  | { type: 'deleteObject'; objectName: string; parameterKey: string }
  | { type: 'reboot'; commandKey: string }
  | { type: 'factoryReset' }
  /**
   * Download; with `fileId` (a file of the repository, src/files/) the ACS filled in the URL
   * (signed for this device), FileSize, TargetFileName and FileType when the task was made,
   * and the task stays open until the CPE's TransferComplete (src/session/programs/transfers.ts).
   */
  | ({ type: 'download'; fileId?: string } & Omit<Download, 'method'>)
  /**
   * Upload; without a `url` the ACS gives the CPE one on its transfer endpoint (signed for this
   * device, FileType and task) and keeps what arrives as the device's file `fileId`; the task
   * stays open until the CPE's TransferComplete.
   */
  | ({ type: 'upload'; fileId?: string } & Omit<Upload, 'method'>)
  | { type: 'scheduleInform'; delaySeconds: number; commandKey: string }
  /** Re-read a subtree: GetParameterNames (NextLevel false), then GetParameterValues of its leaves. */
  | { type: 'refresh'; objectName: string }
  | { type: 'getRPCMethods' }
  | { type: 'getQueuedTransfers' }
  | { type: 'getAllQueuedTransfers' }
  | ({ type: 'scheduleDownload'; timeWindows: TimeWindow[] } & DownloadFile)
  | { type: 'cancelTransfer'; commandKey: string }
  | { type: 'changeDUState'; operations: DuOperation[]; commandKey: string }
  | { type: 'setVouchers'; voucherList: string[] }
  | { type: 'getOptions'; optionName: string }
  | DiagnosticTask;

/**
 * A diagnostic (TR-143, TR-181 IP/DNS diagnostics, TR-098 *Diagnostics): set the inputs and
 * DiagnosticsState = Requested, wait for "8 DIAGNOSTICS COMPLETE" (a later session), read the
 * results (src/session/programs/diagnostics.ts; paths and result parsing in ./diagnostics.ts).
 * Optional inputs left out are not sent: the CPE keeps its own value. Times in milliseconds.
 */
export type DiagnosticTask =
  | ({ type: 'ipPing'; host: string; count: number } & DiagnosticCommon & { dataBlockSize?: number })
  | ({ type: 'traceRoute'; host: string } & DiagnosticCommon & { tries?: number; dataBlockSize?: number; maxHopCount?: number })
  | ({ type: 'downloadDiagnostics'; url: string } & DiagnosticCommon & { ethernetPriority?: number; connections?: number; testDuration?: number })
  | ({ type: 'uploadDiagnostics'; url: string; size: number } & DiagnosticCommon & { ethernetPriority?: number; connections?: number; testDuration?: number })
  | ({ type: 'udpEcho'; host: string; port: number; count: number } & DiagnosticCommon & { dataBlockSize?: number; interTransmissionTime?: number })
  | ({ type: 'nsLookup'; host: string; dnsServer?: string; count?: number } & DiagnosticCommon)
  | ({ type: 'serverSelection'; hosts: string[]; protocol: 'ICMP' | 'UDP Echo'; count?: number } & DiagnosticCommon)
  | ({ type: 'ipLayerCapacity'; host: string; port?: number; role?: 'Sender' | 'Receiver'; testDuration?: number } & DiagnosticCommon);

export interface DiagnosticCommon {
  /** Timeout (ms) where the diagnostic has one. */
  timeout?: number;
  dscp?: number;
  /** The data model path of the interface to test over ("" or absent: the CPE's routing). */
  interface?: string;
}

export type DiagnosticType = DiagnosticTask['type'];

export const DIAGNOSTIC_TYPES = [
  'ipPing',
  'traceRoute',
  'downloadDiagnostics',
  'uploadDiagnostics',
  'udpEcho',
  'nsLookup',
  'serverSelection',
  'ipLayerCapacity',
] as const satisfies readonly DiagnosticType[];

export function isDiagnosticTask(task: Task): task is DiagnosticTask {
  return (DIAGNOSTIC_TYPES as readonly string[]).includes(task.type);
}

export type TaskType = Task['type'];

export const TASK_TYPES = [
  'getParameterValues',
  'getParameterNames',
  'setParameterValues',
  'getParameterAttributes',
  'setParameterAttributes',
  'addObject',
  'deleteObject',
  'reboot',
  'factoryReset',
  'download',
  'upload',
  'scheduleInform',
  'refresh',
  'getRPCMethods',
  'getQueuedTransfers',
  'getAllQueuedTransfers',
  'scheduleDownload',
  'cancelTransfer',
  'changeDUState',
  'setVouchers',
  'getOptions',
  ...DIAGNOSTIC_TYPES,
] as const satisfies readonly TaskType[];

export type TaskState = 'queued' | 'running' | 'done' | 'fault' | 'expired';
export const TASK_STATES: readonly TaskState[] = ['queued', 'running', 'done', 'fault', 'expired'];
/** States a task does not leave by itself (retry moves fault/expired back to queued). */
export const FINAL_TASK_STATES: readonly TaskState[] = ['done', 'fault', 'expired'];

/** How the connection request sent for a task went (TR-069 3.2.2). */
export type ConnectionRequestOutcome =
  /** The CPE answered 2xx: it will open a session with 6 CONNECTION REQUEST. */
  | 'answered'
  /** The CPE refused our credentials (401/403 after answering its challenge). */
  | 'auth-failed'
  /** No connection, a reset, a TLS failure or no answer within the timeout. */
  | 'unreachable'
  /** The CPE answered with another status (503 when it rate-limits, …). */
  | 'refused'
  /** Our own per-device or global limit held it back; the task waits for the next Inform. */
  | 'rate-limited'
  /** The device has no usable ConnectionRequestURL (none, or not http/https). */
  | 'no-url'
  /**
   * Not sent: the target is not where the device is, or is an address no request may go to
   * (loopback elsewhere, link-local, metadata, this ACS itself; src/reach/target-guard.ts).
   */
  | 'blocked'
  /**
   * Sent over UDP (TR-069 Annex G) to a device behind a NAT, because it has no reachable
   * ConnectionRequestURL. UDP is unacknowledged: the task shows whether the device came.
   */
  | 'udp-sent';

export interface ConnectionRequestRecord {
  at: number;
  outcome: ConnectionRequestOutcome;
  /** The CPE's HTTP status, when it answered. */
  status?: number;
  /** A short reason for humans ("timeout after 5000 ms", "ECONNREFUSED"); never a secret. */
  detail?: string;
  /** The path the outcome is of (src/reach/path-choice.ts): HTTP, UDP through the STUN binding (Annex G), XMPP (Annex K). */
  path?: 'http' | 'udp' | 'xmpp';
}

/**
 * A task: an operator's intent for one device (above), queued until the device's
 * next session and then kept with its outcome.
 *
 * Lifecycle: `queued` → `running` (handed to a session by `openSession`, in the same
 * transaction) → `done` | `fault` (recorded by `commitSession`); a task still `running` when
 * its session ends without an outcome for it (timeout, failure, lock released) goes back to
 * `queued`. A queued task whose `expiresAt` has passed becomes `expired` (at `openSession`,
 * or by `expireTasks`). `retryTask` moves `fault`/`expired` back to `queued`.
 */
export interface TaskRecord {
  id: string;
  deviceId: string;
  task: Task;
  /** Lower runs first; one device's tasks run in this order. */
  seq: number;
  createdAt: number;
  expiresAt: number | null;
  state: TaskState;
  /** CommandKey the task's RPC carries (Reboot, Download, …) so `M …` events can be linked. */
  commandKey: string | null;
  /**
   * The CPE's answer: for a task merged with others into one RPC, its own share (a
   * GetParameterValuesResponse of its names); for addObject, the AddObjectResponse; for
   * refresh, the GetParameterValuesResponse of the subtree's leaves.
   */
  response: CpeResponse | null;
  /** The CPE's fault (code, string, per-parameter detail), or an ACS-side one (8xxx). */
  fault: Fault['detail'] | null;
  updatedAt: number;
  /** How many sessions the task was handed to. */
  attempts: number;
  /** The last connection request sent for it, if any. */
  connectionRequest: ConnectionRequestRecord | null;
}

/**
 * A task's outcome, recorded at commit (`requestId` is the task id). A fault may carry the
 * response of an earlier step (addObject whose SetParameterValues failed: the instance exists).
 */
export type RequestOutcome =
  | { requestId: string; state: 'done'; response: CpeResponse; at: number }
  | { requestId: string; state: 'fault'; fault: Fault['detail']; at: number; response?: CpeResponse | null };

