/**
 * The PostgreSQL backend of the Store: many ACS processes on one database. The work lives
 * in the sibling modules, with the same file names as the SQLite backend; this file opens
 * the pool, runs the migrations and maps the interface onto them.
 *
 * Every method is one statement — one network round trip and one transaction — so the
 * session path costs exactly two (openSession, commitSession) and the Store's contract
 * "each call is one round trip" holds literally. The exceptions are administrative:
 * migrate (one transaction of several statements) and setSearchablePaths (index builds).
 */
import type { AcsRequest } from '../../cwmp/types.js';
import { taskFromRequest } from '../../tasks/rpc.js';
import type { ConnectionRequestRecord, TaskState } from '../../tasks/types.js';
import { redactUrl } from '../redact.js';
import type {
  ApiTokenRecord,
  CpeCredential,
  CpeMessageRecord,
  DevicePage,
  DeviceQuery,
  DeviceRecord,
  NewTask,
  NewWebhookDelivery,
  SessionCommit,
  SessionLogRecord,
  SessionOpenInput,
  SessionOpenResult,
  Store,
  TaskQuery,
  TaskRecord,
  WebhookDelivery,
  WebhookDeliveryOutcome,
  WebhookDeliveryRecord,
  WebhookDeliveryState,
  WebhookRecord,
} from '../types.js';
import { PgDb, type PgTuning } from './db.js';
import * as devices from './devices.js';
import * as history from './history.js';
import { runMigrations } from './migrations.js';
import * as query from './query.js';
import * as search from './search.js';
import * as sessions from './sessions.js';
import * as tasks from './tasks.js';
import * as tokens from './tokens.js';

export type PostgresStoreOptions = PgTuning & {
  /** postgres://user:password@host:port/database?… (libpq-style parameters such as sslmode work). */
  url: string;
  /** Session log entries kept per device (default 100). */
  sessionsPerDevice?: number;
  /** CPE→ACS messages kept per device (default 100). */
  cpeMessagesPerDevice?: number;
  /** Run migrations while opening (default true). */
  migrate?: boolean;
};

const DEFAULT_LIST_LIMIT = 100;

export class PostgresStore implements Store {
  readonly #db: PgDb;
  readonly #limits: sessions.HistoryLimits;

  constructor(db: PgDb, limits: sessions.HistoryLimits) {
    this.#db = db;
    this.#limits = limits;
  }

  /** Statements sent since opening: what benchmarks report next to round trips. */
  statements(): number {
    return this.#db.statements;
  }

  /** The pool, for tests and tools of this backend (migrate, benchmarks). */
  get db(): PgDb {
    return this.#db;
  }

  async migrate(): Promise<void> {
    await runMigrations(this.#db);
  }

  async close(): Promise<void> {
    await this.#db.close();
  }

  openSession(input: SessionOpenInput): Promise<SessionOpenResult> {
    return sessions.openSession(this.#db, input);
  }

  extendLock(deviceId: string, lockOwner: string, ttlMs: number, now: number): Promise<boolean> {
    return sessions.extendLock(this.#db, deviceId, lockOwner, ttlMs, now);
  }

  releaseLock(deviceId: string, lockOwner: string): Promise<void> {
    return sessions.releaseLock(this.#db, deviceId, lockOwner);
  }

  async commitSession(commit: SessionCommit): Promise<void> {
    await sessions.commitSession(this.#db, commit, this.#limits);
  }

  getDevice(id: string, opts?: { subtree?: string }): Promise<DeviceRecord | null> {
    return devices.getDevice(this.#db, id, opts?.subtree);
  }

  listDevices(q?: DeviceQuery): Promise<DevicePage> {
    return query.queryDevices(this.#db, q);
  }

  deleteDevice(id: string): Promise<boolean> {
    return devices.deleteDevice(this.#db, id);
  }

  setTags(id: string, add: string[], remove: string[]): Promise<boolean> {
    return devices.setTags(this.#db, id, add, remove);
  }

  setCpeCredential(deviceId: string, credential: CpeCredential): Promise<void> {
    return devices.setCredential(this.#db, deviceId, credential);
  }

  getCpeCredential(deviceId: string): Promise<CpeCredential | null> {
    return devices.getCredential(this.#db, deviceId);
  }

  getCpeCredentialByUsername(username: string): Promise<{ deviceId: string; credential: CpeCredential } | null> {
    return devices.getCredentialByUsername(this.#db, username);
  }

  setSearchablePaths(paths: string[]): Promise<void> {
    return search.setSearchablePaths(this.#db, paths);
  }

  async searchablePaths(): Promise<string[]> {
    return [...(await search.searchablePaths(this.#db))].sort();
  }

  createTasks(list: NewTask[], now: number): Promise<TaskRecord[]> {
    return tasks.createTasks(this.#db, list, now);
  }

  getTask(id: string): Promise<TaskRecord | null> {
    return tasks.getTask(this.#db, id);
  }

  listTasks(q?: TaskQuery): Promise<{ total: number; tasks: TaskRecord[] }> {
    return tasks.listTasks(this.#db, q);
  }

  retryTask(id: string, now: number): Promise<TaskRecord | null> {
    return tasks.retryTask(this.#db, id, now);
  }

  deleteTask(id: string): Promise<boolean> {
    return tasks.deleteTask(this.#db, id);
  }

  deleteTasks(q: { deviceId?: string; states?: TaskState[] }): Promise<number> {
    return tasks.deleteTasks(this.#db, q);
  }

  expireTasks(now: number): Promise<TaskRecord[]> {
    return tasks.expireTasks(this.#db, now);
  }

  recordConnectionRequest(taskIds: string[], record: ConnectionRequestRecord): Promise<void> {
    return tasks.recordConnectionRequest(this.#db, taskIds, record);
  }

  async enqueueRequest(deviceId: string, request: AcsRequest, opts: { expiresAt?: number; now?: number } = {}): Promise<TaskRecord> {
    const [task] = await tasks.createTasks(
      this.#db,
      [{ deviceId, task: taskFromRequest(request), expiresAt: opts.expiresAt ?? null }],
      opts.now ?? Date.now(),
    );
    return task!;
  }

  getRequest(id: string): Promise<TaskRecord | null> {
    return tasks.getTask(this.#db, id);
  }

  listRequests(deviceId: string): Promise<TaskRecord[]> {
    return tasks.listDeviceTasks(this.#db, deviceId);
  }

  listSessions(deviceId: string, limit = DEFAULT_LIST_LIMIT): Promise<SessionLogRecord[]> {
    return history.listSessions(this.#db, deviceId, limit);
  }

  listCpeMessages(deviceId: string, limit = DEFAULT_LIST_LIMIT): Promise<CpeMessageRecord[]> {
    return history.listCpeMessages(this.#db, deviceId, limit);
  }

  createApiToken(token: ApiTokenRecord): Promise<void> {
    return tokens.createToken(this.#db, token);
  }

  findApiToken(lookup: string): Promise<ApiTokenRecord | null> {
    return tokens.findToken(this.#db, lookup);
  }

  listApiTokens(): Promise<ApiTokenRecord[]> {
    return tokens.listTokens(this.#db);
  }

  deleteApiToken(id: string): Promise<boolean> {
    return tokens.deleteToken(this.#db, id);
  }

  createWebhook(webhook: WebhookRecord): Promise<void> {
    return tokens.createWebhook(this.#db, webhook);
  }

  listWebhooks(): Promise<WebhookRecord[]> {
    return tokens.listWebhooks(this.#db);
  }

  deleteWebhook(id: string): Promise<boolean> {
    return tokens.deleteWebhook(this.#db, id);
  }

  enqueueWebhookDeliveries(items: NewWebhookDelivery[], now: number): Promise<void> {
    return tokens.enqueueDeliveries(this.#db, items, now);
  }

  claimWebhookDeliveries(now: number, limit: number, leaseMs: number): Promise<WebhookDeliveryRecord[]> {
    return tokens.claimDeliveries(this.#db, now, limit, leaseMs);
  }

  finishWebhookDelivery(id: string, outcome: WebhookDeliveryOutcome, now: number): Promise<boolean> {
    return tokens.finishDelivery(this.#db, id, outcome, now);
  }

  listWebhookDeliveries(webhookId: string, q: { state?: WebhookDeliveryState; limit: number }): Promise<WebhookDelivery[] | null> {
    return tokens.listDeliveries(this.#db, webhookId, q);
  }

  pruneWebhookDeliveries(before: number): Promise<number> {
    return tokens.pruneDeliveries(this.#db, before);
  }
}

/**
 * Connect to `url` and bring its schema up to date. Fails (naming the server, never the
 * password) when the database cannot be reached, so `flotilla serve` stops at start rather
 * than answering every CPE with a fault.
 */
export async function createPostgresStore(opts: PostgresStoreOptions): Promise<PostgresStore> {
  const db = new PgDb(opts.url, opts);
  try {
    if (opts.migrate !== false) await runMigrations(db);
    else await db.query('SELECT 1');
  } catch (e) {
    await db.close().catch(() => undefined);
    const reason = e instanceof Error ? e.message : String(e);
    throw new Error(`PostgreSQL store ${redactUrl(opts.url)}: ${reason}`, { cause: e });
  }
  return new PostgresStore(db, {
    sessionsPerDevice: Math.max(1, opts.sessionsPerDevice ?? 100),
    cpeMessagesPerDevice: Math.max(1, opts.cpeMessagesPerDevice ?? 100),
  });
}

export { MIGRATIONS, runMigrations, appliedVersions, type Migration } from './migrations.js';
export { PgDb, type PgTuning } from './db.js';
