/**
 * Store concern: sessions and devices — the session lock, the two round trips of a
 * session (openSession, commitSession), devices, their parameter trees and listing.
 * Backends: sqlite/devices.ts, postgres/devices.ts; suite: test/store/conformance/devices.ts.
 */
import type { SessionSubscriber, SubscriberClaims } from './subscribers.js';
import type { CpeResponse, DeviceIdStruct, EventStruct, ParameterAttribute, ParameterInfo, ParameterValue } from '../../cwmp/types.js';
import type { RequestOutcome, TaskRecord } from '../../tasks/types.js';
import type { CpeCredential, CredentialWrite, DeviceCredentials } from './credentials.js';
import type { CpeMessageRecord, SessionLogRecord } from './history.js';
import type { ComplianceState, PolicyCommit } from './policy-state.js';
import type { SampleSource } from './series.js';

export interface StoredParameter {
  path: string;
  /** True for object (and instance) nodes, whose path ends with "." */
  object: boolean;
  value: string | null;
  type: string | null;
  writable: boolean | null;
  notification: number | null;
  accessList: string[] | null;
  /** When the current value was learnt (changed, or explicitly re-read). */
  valueAt: number | null;
  /** When the node was last seen in a GetParameterNames answer. */
  namesAt: number | null;
  attributesAt: number | null;
}

export interface DeviceSummary {
  id: string;
  deviceId: DeviceIdStruct;
  firstInform: number;
  lastInform: number;
  lastBoot: number | null;
  lastBootstrap: number | null;
  /** Events of the last session's Inform. */
  lastEvents: EventStruct[];
  tags: string[];
}

export interface DeviceRecord extends DeviceSummary {
  parameters: StoredParameter[];
}

/** A change to the stored tree, applied in order inside one transaction. */
export type ParameterOp =
  /** 0 BOOTSTRAP: forget what was known of the tree. */
  | { op: 'clearTree' }
  /**
   * Values as reported. Rows whose value and type are unchanged are not written unless
   * `touch` (an explicit read) asks to refresh their time.
   */
  | { op: 'setValues'; at: number; touch: boolean; params: ParameterValue[] }
  /**
   * A GetParameterNames answer for `root`. With `nextLevel` false it is the whole subtree,
   * so stored nodes under `root` that are absent are deleted.
   */
  | { op: 'setNames'; at: number; root: string; nextLevel: boolean; params: ParameterInfo[] }
  | { op: 'setAttributes'; at: number; params: ParameterAttribute[] }
  /** AddObject succeeded: `path` is the new instance ("X.Y.3."). */
  | { op: 'addObject'; at: number; path: string }
  /** DeleteObject succeeded: drop `path` and everything under it. */
  | { op: 'deleteObject'; path: string };

export interface SessionOpenInput {
  deviceId: string;
  lockOwner: string;
  lockTtlMs: number;
  now: number;
  /**
   * What the Inform claims for a subscriber binding (a serial, codes): a pending claim that
   * matches is bound to the device in the same transaction (concerns/subscribers.ts).
   */
  claims?: SubscriberClaims;
  /**
   * False: take the lock but hand out no tasks (queue []; none marked running, no attempt
   * counted). A HEARTBEAT session (TR-069 Annex O) runs no RPCs, so it must not take tasks it
   * would only hand back. Default true.
   */
  takeTasks?: boolean;
}

export interface SessionOpenResult {
  lock: 'acquired' | 'busy';
  device: DeviceSummary | null;
  /** The device's own CPE→ACS credential, if it has one. */
  credential: CpeCredential | null;
  /** Everything known of the device's credentials (`credential` is its `current.cpe`). */
  credentials: DeviceCredentials | null;
  /**
   * The device's pending tasks in order, now marked `running` (empty when the lock is busy).
   * Tasks left `running` by a session that died are handed out again.
   */
  queue: TaskRecord[];
  /** The policy engine's memo for this device (PolicyCommit.memo of an earlier session), or null. */
  policyMemo: string | null;
  /** The device's subscriber and services, when it has one (read in the same round trip). */
  subscriber?: SessionSubscriber | null;
}

export interface RequestProgress {
  requestId: string;
  response: CpeResponse;
  at: number;
}

export interface SessionCommit {
  deviceId: string;
  lockOwner: string;
  identity: DeviceIdStruct;
  informAt: number;
  events: EventStruct[];
  /** Apply these in order. */
  parameterOps: ParameterOp[];
  /** Tasks handed out by openSession and not named here go back to `queued`. */
  requestOutcomes: RequestOutcome[];
  /**
   * A step of a task that spans sessions (a diagnostic: requested now, read after
   * "8 DIAGNOSTICS COMPLETE"): its response is kept and it goes back to `queued` like any
   * unfinished task, so the next session sees where it stands. Optional: most sessions have none.
   */
  requestProgress?: RequestProgress[];
  /**
   * A TransferComplete here with a non-zero FaultCode also faults the download/upload/
   * scheduleDownload task with its CommandKey (state done or running → fault, its fault set;
   * src/store/rules.ts, with the other rules of a session's writes).
   */
  cpeMessages: CpeMessageRecord[];
  log: SessionLogRecord;
  /** Credential changes the session made (hand-out, first use of a pending set …), in order. */
  credentialWrites?: CredentialWrite[];
  /** Release the session lock in the same transaction. */
  releaseLock: boolean;
  /** Policies evaluated in this session: the device's memo and compliance rows. */
  policy?: PolicyCommit;
  /** KPI samples the session took (sampling profiles, value changes): concerns/series.ts. */
  samples?: CommitSample[];
}

export interface CommitSample {
  path: string;
  at: number;
  value: string;
  counter?: boolean;
  source: SampleSource;
}

/** Identity fields of a device, filterable and sortable. */
export type DeviceTextField = 'id' | 'manufacturer' | 'oui' | 'productClass' | 'serialNumber';
export type DeviceTimeField = 'firstInform' | 'lastInform' | 'lastBoot' | 'lastBootstrap';
export type CompareOp = 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge';

/**
 * One condition of a device query; a query's filters all hold (AND).
 *
 * Semantics every backend implements the same way:
 *  - Text (identity fields, parameter values): `eq`/`ne` are exact, case-sensitive string
 *    (in)equality. `lt`/`le`/`gt`/`ge` compare numerically when `value` is a decimal number
 *    (`/^-?\d+(\.\d+)?$/`) — then only stored values that are decimal numbers can match —
 *    and otherwise as strings in byte (code point) order. `prefix` is "starts with" (no
 *    wildcards). `glob` is case-sensitive with `*` (any run) and `?` (one character);
 *    every other character is literal.
 *  - Parameter: the condition is on the stored value of `path` (an exact parameter path).
 *    `ne` matches devices without the parameter too; `exists`/`notExists` ignore `value`.
 *    An object path (ending in ".") with `exists` asks whether that node is stored.
 *  - Times (milliseconds): compare as numbers; a null time (never booted …) matches only
 *    `notExists` (and `ne`).
 *  - Tag: `eq` has the tag, `ne` has not; `prefix`/`glob` has a tag that matches.
 *  - Id `in`: the device is one of `values` (none: no device) — many devices checked against
 *    the other filters in one query (the scope guard's batches, src/nbi/scope.ts).
 */
export type DeviceFilter =
  | { field: DeviceTextField; op: CompareOp | 'prefix' | 'glob'; value: string }
  | { field: 'id'; op: 'in'; values: readonly string[] }
  | { field: DeviceTimeField; op: CompareOp; value: number }
  | { field: DeviceTimeField; op: 'exists' | 'notExists' }
  | { field: 'tag'; op: 'eq' | 'ne' | 'prefix' | 'glob'; value: string }
  | { field: 'parameter'; path: string; op: CompareOp | 'prefix' | 'glob'; value: string }
  | { field: 'parameter'; path: string; op: 'exists' | 'notExists' }
  /** The device's compliance row for a policy has (eq) or has not (ne) this state (./policy-state.ts). */
  | { field: 'policy'; policyId: string; op: 'eq' | 'ne'; value: ComplianceState };

/** Sort key: a field, or a parameter's value (`{ parameter: path }`, compared as text; absent sorts as ""). */
export type DeviceSortKey = DeviceTextField | DeviceTimeField | { parameter: string };

/**
 * Where the previous page ended: the sort key's value and the id of its last device. Only
 * meaningful with the same filters and sort. Null times sort as -1, absent parameters as "".
 */
export interface DeviceCursor {
  key: string | number;
  id: string;
}

export interface DeviceQuery {
  filters?: DeviceFilter[];
  /** Default: id ascending. Ties are broken by id, in the same direction. */
  sort?: { key: DeviceSortKey; descending?: boolean };
  limit?: number;
  /** Skip this many (offset paging). Ignored when `after` is given. */
  offset?: number;
  /** Keyset paging: the page after this position. */
  after?: DeviceCursor;
  /**
   * Projection: parameters to return with each device — exact paths, or subtrees ("X.Y.").
   * Absent: devices come without `parameters`.
   */
  parameters?: string[];
}

export interface DeviceListItem extends DeviceSummary {
  /** Only with `DeviceQuery.parameters`: the stored rows it selected, in path order. */
  parameters?: StoredParameter[];
}

export interface DevicePage {
  /** Devices matching the filters, whatever the paging. */
  total: number;
  devices: DeviceListItem[];
  /** Cursor after the last device of a full page (devices.length === limit > 0); else null. */
  next: DeviceCursor | null;
}

export interface DeviceStore {
  /** One round trip: take the device's session lock, read the device and its queue. */
  openSession(input: SessionOpenInput): Promise<SessionOpenResult>;
  /** Push the lock's expiry forward for a long session. Returns false if we lost it. */
  extendLock(deviceId: string, lockOwner: string, ttlMs: number, now: number): Promise<boolean>;
  releaseLock(deviceId: string, lockOwner: string): Promise<void>;
  /** One round trip: every write of a session, atomically. */
  commitSession(commit: SessionCommit): Promise<void>;

  getDevice(id: string, opts?: { subtree?: string }): Promise<DeviceRecord | null>;
  /** Filter, sort, page and project (see DeviceQuery); `total` counts every match. */
  listDevices(query?: DeviceQuery): Promise<DevicePage>;
  deleteDevice(id: string): Promise<boolean>;
  setTags(id: string, add: string[], remove: string[]): Promise<boolean>;

  /**
   * One round trip: the stored rows of `paths` — exact paths, or subtrees ending in "."
   * (that node and everything under it) — in path order, without duplicates. [] for an
   * unknown device.
   */
  readParameters(deviceId: string, paths: readonly string[]): Promise<StoredParameter[]>;

  /**
   * Parameters with a search index, so `DeviceFilter`s on them answer in milliseconds on a
   * large fleet (SQLite and PostgreSQL: a partial index ON parameters (value) WHERE path = …).
   * Makes the set exactly `paths`: creates missing indexes, drops the others. Filters on
   * other paths still work, by a per-device lookup.
   */
  setSearchablePaths(paths: string[]): Promise<void>;
  searchablePaths(): Promise<string[]>;
}
