/**
 * The SQLite backend of the Store (the default). The work lives in the sibling modules,
 * one per concern, with the same file names the PostgreSQL backend uses; this file opens
 * the database, runs the migrations and maps the async interface onto them.
 *
 * The driver is synchronous: each call runs to completion on the event loop, which for
 * SQLite is faster than a thread hop (a commit is microseconds to a few milliseconds).
 */
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { AcsRequest } from '../../cwmp/types.js';
import { taskFromRequest } from '../../tasks/rpc.js';
import type { ConnectionRequestRecord, TaskState } from '../../tasks/types.js';
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
import { Db, type SqliteTuning } from './db.js';
import * as devices from './devices.js';
import * as history from './history.js';
import { runMigrations } from './migrations.js';
import * as query from './query.js';
import * as search from './search.js';
import * as sessions from './sessions.js';
import * as tasks from './tasks.js';
import * as tokens from './tokens.js';

/** File name of the database inside `dataDir`. */
export const DATABASE_FILE = 'flotilla.db';

export type SqliteStoreOptions = ({ dataDir: string } | { file: string }) &
  SqliteTuning & {
    /** Session log entries kept per device (default 100). */
    sessionsPerDevice?: number;
    /** CPE→ACS messages kept per device (default 100). */
    cpeMessagesPerDevice?: number;
    /** Run migrations while opening (default true). */
    migrate?: boolean;
  };

const DEFAULT_LIST_LIMIT = 100;

class SqliteStore implements Store {
  readonly #db: Db;
  readonly #limits: sessions.HistoryLimits;

  constructor(db: Db, limits: sessions.HistoryLimits) {
    this.#db = db;
    this.#limits = limits;
  }

  async migrate(): Promise<void> {
    runMigrations(this.#db);
  }

  async close(): Promise<void> {
    this.#db.close();
  }

  async openSession(input: SessionOpenInput): Promise<SessionOpenResult> {
    return sessions.openSession(this.#db, input);
  }

  async extendLock(deviceId: string, lockOwner: string, ttlMs: number, now: number): Promise<boolean> {
    return sessions.extendLock(this.#db, deviceId, lockOwner, ttlMs, now);
  }

  async releaseLock(deviceId: string, lockOwner: string): Promise<void> {
    sessions.releaseLock(this.#db, deviceId, lockOwner);
  }

  async commitSession(commit: SessionCommit): Promise<void> {
    sessions.commitSession(this.#db, commit, this.#limits);
  }

  async getDevice(id: string, opts?: { subtree?: string }): Promise<DeviceRecord | null> {
    return devices.getDevice(this.#db, id, opts?.subtree);
  }

  async listDevices(q?: DeviceQuery): Promise<DevicePage> {
    return query.queryDevices(this.#db, q);
  }

  async deleteDevice(id: string): Promise<boolean> {
    return devices.deleteDevice(this.#db, id);
  }

  async setTags(id: string, add: string[], remove: string[]): Promise<boolean> {
    return devices.setTags(this.#db, id, add, remove);
  }

  async setCpeCredential(deviceId: string, credential: CpeCredential): Promise<void> {
    devices.setCredential(this.#db, deviceId, credential);
  }

  async getCpeCredential(deviceId: string): Promise<CpeCredential | null> {
    return devices.getCredential(this.#db, deviceId);
  }

  async getCpeCredentialByUsername(username: string): Promise<{ deviceId: string; credential: CpeCredential } | null> {
    return devices.getCredentialByUsername(this.#db, username);
  }

  async setSearchablePaths(paths: string[]): Promise<void> {
    search.setSearchablePaths(this.#db, paths);
  }

  async searchablePaths(): Promise<string[]> {
    return [...search.searchablePaths(this.#db)].sort();
  }

  async createTasks(list: NewTask[], now: number): Promise<TaskRecord[]> {
    return tasks.createTasks(this.#db, list, now);
  }

  async getTask(id: string): Promise<TaskRecord | null> {
    return tasks.getTask(this.#db, id);
  }

  async listTasks(q?: TaskQuery): Promise<{ total: number; tasks: TaskRecord[] }> {
    return tasks.listTasks(this.#db, q);
  }

  async retryTask(id: string, now: number): Promise<TaskRecord | null> {
    return tasks.retryTask(this.#db, id, now);
  }

  async deleteTask(id: string): Promise<boolean> {
    return tasks.deleteTask(this.#db, id);
  }

  async deleteTasks(q: { deviceId?: string; states?: TaskState[] }): Promise<number> {
    return tasks.deleteTasks(this.#db, q);
  }

  async expireTasks(now: number): Promise<TaskRecord[]> {
    return tasks.expireTasks(this.#db, now);
  }

  async recordConnectionRequest(taskIds: string[], record: ConnectionRequestRecord): Promise<void> {
    tasks.recordConnectionRequest(this.#db, taskIds, record);
  }

  async enqueueRequest(
    deviceId: string,
    request: AcsRequest,
    opts: { expiresAt?: number; now?: number } = {},
  ): Promise<TaskRecord> {
    const [task] = tasks.createTasks(this.#db, [{ deviceId, task: taskFromRequest(request), expiresAt: opts.expiresAt ?? null }], opts.now ?? Date.now());
    return task!;
  }

  async getRequest(id: string): Promise<TaskRecord | null> {
    return tasks.getTask(this.#db, id);
  }

  async listRequests(deviceId: string): Promise<TaskRecord[]> {
    return tasks.listTasks(this.#db, { deviceId }).tasks.sort((a, b) => a.seq - b.seq);
  }

  async listSessions(deviceId: string, limit = DEFAULT_LIST_LIMIT): Promise<SessionLogRecord[]> {
    return history.listSessions(this.#db, deviceId, limit);
  }

  async listCpeMessages(deviceId: string, limit = DEFAULT_LIST_LIMIT): Promise<CpeMessageRecord[]> {
    return history.listCpeMessages(this.#db, deviceId, limit);
  }

  async createApiToken(token: ApiTokenRecord): Promise<void> {
    tokens.createToken(this.#db, token);
  }

  async findApiToken(lookup: string): Promise<ApiTokenRecord | null> {
    return tokens.findToken(this.#db, lookup);
  }

  async listApiTokens(): Promise<ApiTokenRecord[]> {
    return tokens.listTokens(this.#db);
  }

  async deleteApiToken(id: string): Promise<boolean> {
    return tokens.deleteToken(this.#db, id);
  }

  async createWebhook(webhook: WebhookRecord): Promise<void> {
    tokens.createWebhook(this.#db, webhook);
  }

  async listWebhooks(): Promise<WebhookRecord[]> {
    return tokens.listWebhooks(this.#db);
  }

  async deleteWebhook(id: string): Promise<boolean> {
    return tokens.deleteWebhook(this.#db, id);
  }

  async enqueueWebhookDeliveries(items: NewWebhookDelivery[], now: number): Promise<void> {
    tokens.enqueueDeliveries(this.#db, items, now);
  }

  async claimWebhookDeliveries(now: number, limit: number, leaseMs: number): Promise<WebhookDeliveryRecord[]> {
    return tokens.claimDeliveries(this.#db, now, limit, leaseMs);
  }

  async finishWebhookDelivery(id: string, outcome: WebhookDeliveryOutcome, now: number): Promise<boolean> {
    return tokens.finishDelivery(this.#db, id, outcome, now);
  }

  async listWebhookDeliveries(webhookId: string, q: { state?: WebhookDeliveryState; limit: number }): Promise<WebhookDelivery[] | null> {
    return tokens.listDeliveries(this.#db, webhookId, q);
  }

  async pruneWebhookDeliveries(before: number): Promise<number> {
    return tokens.pruneDeliveries(this.#db, before);
  }
}

/** Open (creating if needed) `<dataDir>/flotilla.db`, or `file`, and bring its schema up to date. */
export async function createSqliteStore(opts: SqliteStoreOptions): Promise<Store> {
  const file = 'file' in opts ? opts.file : join(opts.dataDir, DATABASE_FILE);
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const db = new Db(file, opts);
  try {
    if (opts.migrate !== false) runMigrations(db);
  } catch (e) {
    db.close();
    throw e;
  }
  return new SqliteStore(db, {
    sessionsPerDevice: Math.max(1, opts.sessionsPerDevice ?? 100),
    cpeMessagesPerDevice: Math.max(1, opts.cpeMessagesPerDevice ?? 100),
  });
}

export { MIGRATIONS, runMigrations, appliedVersions, type Migration } from './migrations.js';
