/**
 * The device store: one narrow async interface, with SQLite (default) and PostgreSQL
 * behind it. Nothing here names a backend; types are plain data so every backend can
 * fill them from rows.
 *
 * Round trips are the currency: an idle periodic session costs exactly two calls,
 * `openSession` (lock + device + queue) and `commitSession` (all writes + unlock), each one
 * transaction. Times are milliseconds since the epoch.
 */
import type {
  AcsRequest,
  CpeRequest,
  CpeResponse,
  DeviceIdStruct,
  EventStruct,
  Fault,
  ParameterAttribute,
  ParameterInfo,
  ParameterValue,
} from '../cwmp/types.js';
import type { ConnectionRequestRecord, Task, TaskState } from '../tasks/types.js';

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

/**
 * A task: an operator's intent for one device (src/tasks/types.ts), queued until the device's
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

/** @deprecated The request queue became the task queue: a queued request is a TaskRecord. */
export type QueuedRequest = TaskRecord;

export interface NewTask {
  deviceId: string;
  /** Normalised (src/tasks/validate.ts); stored as given. */
  task: Task;
  expiresAt?: number | null;
}

export interface TaskQuery {
  deviceId?: string;
  /** Any of these states (default: all). */
  states?: TaskState[];
  /** Default: creation order (createdAt, then seq); newest first reverses it. */
  newestFirst?: boolean;
  limit?: number;
  offset?: number;
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

/**
 * A task's outcome, recorded at commit (`requestId` is the task id). A fault may carry the
 * response of an earlier step (addObject whose SetParameterValues failed: the instance exists).
 */
export type RequestOutcome =
  | { requestId: string; state: 'done'; response: CpeResponse; at: number }
  | { requestId: string; state: 'fault'; fault: Fault['detail']; at: number; response?: CpeResponse | null };

/** A CPE→ACS request recorded as it arrived (TransferComplete, Kicked, …). */
export interface CpeMessageRecord {
  at: number;
  message: Exclude<CpeRequest, { method: 'Inform' }>;
}

export interface RpcLogEntry {
  method: string;
  /** The task(s) the RPC served, comma-separated; null for the ACS's own (discovery). */
  requestId: string | null;
  outcome: 'done' | 'fault';
  faultCode?: number;
}

export interface SessionLogRecord {
  deviceId: string;
  startedAt: number;
  endedAt: number;
  events: EventStruct[];
  rpcs: RpcLogEntry[];
  cpeRequests: string[];
  /** "ok", or why it ended otherwise ("timeout", "protocol-error: …"). */
  outcome: string;
  /** Request ids linked to `M …` events by CommandKey. */
  linkedRequests: string[];
}

export interface SessionOpenInput {
  deviceId: string;
  lockOwner: string;
  lockTtlMs: number;
  now: number;
}

export interface SessionOpenResult {
  lock: 'acquired' | 'busy';
  device: DeviceSummary | null;
  /** The device's own CPE→ACS credential, if it has one. */
  credential: CpeCredential | null;
  /**
   * The device's pending tasks in order, now marked `running` (empty when the lock is busy).
   * Tasks left `running` by a session that died are handed out again.
   */
  queue: TaskRecord[];
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
   * A TransferComplete here with a non-zero FaultCode also faults the download/upload/
   * scheduleDownload task with its CommandKey (state done or running → fault, its fault set).
   */
  cpeMessages: CpeMessageRecord[];
  log: SessionLogRecord;
  /** Release the session lock in the same transaction. */
  releaseLock: boolean;
}

/** CPE→ACS credential. Stored as the Digest HA1 (MD5(user:realm:password)), never in clear. */
export interface CpeCredential {
  username: string;
  realm: string;
  ha1: string;
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
 */
export type DeviceFilter =
  | { field: DeviceTextField; op: CompareOp | 'prefix' | 'glob'; value: string }
  | { field: DeviceTimeField; op: CompareOp; value: number }
  | { field: DeviceTimeField; op: 'exists' | 'notExists' }
  | { field: 'tag'; op: 'eq' | 'ne' | 'prefix' | 'glob'; value: string }
  | { field: 'parameter'; path: string; op: CompareOp | 'prefix' | 'glob'; value: string }
  | { field: 'parameter'; path: string; op: 'exists' | 'notExists' };

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

export type ApiRole = 'read-only' | 'operator' | 'admin';

/** A NBI bearer token. Only a hash is stored; the token itself is shown once, at creation. */
export interface ApiTokenRecord {
  id: string;
  name: string;
  role: ApiRole;
  /** A short, unique prefix of the token's hash, to find the row (src/nbi/auth.ts). */
  lookup: string;
  /** SHA-256 of the token (hex); compared in constant time. */
  hash: string;
  createdAt: number;
}

/** An HTTP endpoint told about events (src/nbi/events.ts), with its HMAC secret. */
export interface WebhookRecord {
  id: string;
  url: string;
  /** HMAC-SHA256 key for the signature header; needed in clear to sign. */
  secret: string;
  /** Event types delivered; empty means all. */
  events: string[];
  createdAt: number;
}

/**
 * A webhook event as its deliveries keep it: the event bus's event (src/events/bus.ts), as
 * plain data so the store needs nothing from the bus. POSTed as JSON exactly as stored.
 */
export interface WebhookEventRecord {
  /** The bus's id: increasing within one process, so not unique across restarts. */
  id: string;
  type: string;
  at: number;
  deviceId: string;
  data: Record<string, unknown>;
}

/**
 * `pending`: to be POSTed at `nextAt` (again, after a failed attempt); `delivered`: a 2xx
 * came back; `failed`: the dispatcher gave up after its last attempt.
 */
export type WebhookDeliveryState = 'pending' | 'delivered' | 'failed';

/** One event for one webhook, kept in the store until sent (so a restart loses none). */
export interface WebhookDelivery {
  /**
   * Made by the store; sorts in creation order within a process (a UUIDv7). Sent as
   * X-Flotilla-Delivery, so a receiver can drop a repeat.
   */
  id: string;
  webhookId: string;
  event: WebhookEventRecord;
  /** POSTs made so far (counted when each is finished). */
  attempts: number;
  state: WebhookDeliveryState;
  /** When a pending delivery is due. */
  nextAt: number;
  /** A claimer holds the delivery until then (null: nobody does). */
  leaseUntil: number | null;
  /** Why the last failed attempt failed ("HTTP 503", "timeout" …); kept after a later success. */
  lastError: string | null;
  createdAt: number;
  /** When its state, attempts or error last changed. */
  updatedAt: number;
}

/** A claimed delivery, with what it takes to send it: its webhook's URL and secret. */
export interface WebhookDeliveryRecord extends WebhookDelivery {
  url: string;
  secret: string;
}

export interface NewWebhookDelivery {
  webhookId: string;
  event: WebhookEventRecord;
}

/**
 * How an attempt ended: `retry` stays pending until `nextAt`; `delivered` and `failed` are
 * final. `error` is short text: the store keeps its first 200 characters.
 */
export type WebhookDeliveryOutcome =
  | { state: 'delivered' }
  | { state: 'retry'; nextAt: number; error: string }
  | { state: 'failed'; error: string };

export interface Store {
  /** Run pending migrations; idempotent. */
  migrate(): Promise<void>;
  close(): Promise<void>;

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

  setCpeCredential(deviceId: string, credential: CpeCredential): Promise<void>;
  getCpeCredential(deviceId: string): Promise<CpeCredential | null>;
  /**
   * The credential a Digest `username` names (usernames are unique across devices), so
   * the ACS can check an Authorization header before it parses the body.
   */
  getCpeCredentialByUsername(username: string): Promise<{ deviceId: string; credential: CpeCredential } | null>;

  /**
   * Parameters with a search index, so `DeviceFilter`s on them answer in milliseconds on a
   * large fleet (SQLite and PostgreSQL: a partial index ON parameters (value) WHERE path = …).
   * Makes the set exactly `paths`: creates missing indexes, drops the others. Filters on
   * other paths still work, by a per-device lookup.
   */
  setSearchablePaths(paths: string[]): Promise<void>;
  searchablePaths(): Promise<string[]>;

  /** One transaction; each task goes after its device's others. Returned in input order. */
  createTasks(tasks: NewTask[], now: number): Promise<TaskRecord[]>;
  getTask(id: string): Promise<TaskRecord | null>;
  listTasks(query?: TaskQuery): Promise<{ total: number; tasks: TaskRecord[] }>;
  /** fault/expired → queued (fault cleared, expiry lifted); other states are left as they are. Null: no such task. */
  retryTask(id: string, now: number): Promise<TaskRecord | null>;
  deleteTask(id: string): Promise<boolean>;
  /** Delete every task matching (at least one condition required); returns how many. */
  deleteTasks(query: { deviceId?: string; states?: TaskState[] }): Promise<number>;
  /** Queued tasks whose expiry passed become expired; returns them. */
  expireTasks(now: number): Promise<TaskRecord[]>;
  recordConnectionRequest(taskIds: string[], record: ConnectionRequestRecord): Promise<void>;

  /** @deprecated Queue the task equivalent to one RPC (src/tasks/rpc.ts taskFromRequest). */
  enqueueRequest(
    deviceId: string,
    request: AcsRequest,
    opts?: { expiresAt?: number; now?: number },
  ): Promise<TaskRecord>;
  /** @deprecated getTask. */
  getRequest(id: string): Promise<TaskRecord | null>;
  /** @deprecated listTasks({ deviceId }): every task of the device, in order. */
  listRequests(deviceId: string): Promise<TaskRecord[]>;

  /** Newest first. */
  listSessions(deviceId: string, limit?: number): Promise<SessionLogRecord[]>;
  /** Newest first. */
  listCpeMessages(deviceId: string, limit?: number): Promise<CpeMessageRecord[]>;

  createApiToken(token: ApiTokenRecord): Promise<void>;
  findApiToken(lookup: string): Promise<ApiTokenRecord | null>;
  listApiTokens(): Promise<ApiTokenRecord[]>;
  deleteApiToken(id: string): Promise<boolean>;

  createWebhook(webhook: WebhookRecord): Promise<void>;
  listWebhooks(): Promise<WebhookRecord[]>;
  /** Deletes its deliveries too, whatever their state. */
  deleteWebhook(id: string): Promise<boolean>;

  /**
   * One transaction: a `pending` delivery per item, due at `now`, in input order. Items whose
   * webhook no longer exists (deleted by another process meanwhile) are skipped.
   */
  enqueueWebhookDeliveries(items: NewWebhookDelivery[], now: number): Promise<void>;
  /**
   * Atomically take up to `limit` pending deliveries that are due (`nextAt <= now`) and not
   * leased (`leaseUntil` null or `<= now`), earliest due first, and lease them until
   * `now + leaseMs`. While a lease holds, no other claimer — in this process or any other
   * sharing the database — gets the delivery; when it lapses (the claimer died) the delivery
   * is claimable again. Returned with their webhook's URL and secret, in that order.
   */
  claimWebhookDeliveries(now: number, limit: number, leaseMs: number): Promise<WebhookDeliveryRecord[]>;
  /**
   * Record an attempt's outcome: attempts + 1, the lease cleared, `updatedAt = now`; `retry`
   * sets `nextAt` and `lastError`, `failed` sets `lastError`. False when the delivery is
   * not pending any more (finished already, or its webhook deleted).
   */
  finishWebhookDelivery(id: string, outcome: WebhookDeliveryOutcome, now: number): Promise<boolean>;
  /**
   * A webhook's deliveries, newest first, optionally in one state; null when there is no such
   * webhook. Never the webhook's secret.
   */
  listWebhookDeliveries(webhookId: string, query: { state?: WebhookDeliveryState; limit: number }): Promise<WebhookDelivery[] | null>;
  /** Delete delivered and failed deliveries last updated before `before`; returns how many. Pending ones stay. */
  pruneWebhookDeliveries(before: number): Promise<number>;
}

