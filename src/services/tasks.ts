/**
 * The task service: normalise a task body against what the store knows of each device
 * (types for setParameterValues/addObject), queue it, optionally send a connection request
 * and wait for the outcome. One device, or every device a filter matches. It sits below the
 * REST API (which maps its ServiceErrors to HTTP) and above the store, the bus and
 * src/reach; it knows nothing of HTTP.
 */
import type { EventBus } from '../events/bus.js';
import type { ConnectionRequester } from '../reach/requester.js';
import type { ConnectionRequestOutcome, ConnectionRequestRecord } from '../tasks/types.js';
import type { DeviceFilter, DeviceListItem, NewTask, Store, TaskRecord } from '../store/types.js';
import { DIAGNOSTIC_TYPES, FINAL_TASK_STATES, type TaskType } from '../tasks/types.js';
import { deviceContext, normalizeTask, pathsToType, TaskValidationError } from '../tasks/validate.js';
import { shippedCatalogues, type CatalogueSet } from '../datamodel/bbf.js';
import { conflict, invalidArgument, notFound, ServiceError, unavailable } from './errors.js';
import type { FileService } from './files.js';
import type { FileRecord } from '../store/types.js';
import { tasks as taskMetrics } from '../metrics/registry.js';

export type TaskBody = Record<string, unknown> & { type: TaskType };

export interface TaskServiceOptions {
  store: Store;
  bus: EventBus;
  requester: ConnectionRequester | null;
  now?: () => number;
  /** Default lifetime of a task (seconds); 0 = none. */
  defaultExpirySeconds?: number;
  /** Most devices one bulk call may target. */
  maxBulkDevices?: number;
  /** The file repository: download tasks naming a `fileId` are filled in by it. */
  files?: FileService;
  /**
   * The BBF catalogues values are checked against before a task is queued (default: the
   * shipped ones, models/bbf-catalogue.json); null checks only the lexical type.
   */
  catalogues?: CatalogueSet | null;
}

const BULK_CHUNK = 1000;
/** Default deadline of a diagnostic task (a run that has not completed by then expires). */
export const DIAGNOSTIC_EXPIRY_SECONDS = 3600;
const CR_CONCURRENCY = 32;
const CR_DISABLED = 'connection requests are disabled on this server';

/** Connection-request outcomes after which `?wait=` waits for the device (see createForDevice). */
const WAIT_AFTER: ReadonlySet<ConnectionRequestOutcome> = new Set<ConnectionRequestOutcome>(['answered', 'udp-sent', 'rate-limited', 'refused']);

export class TaskService {
  readonly #o: TaskServiceOptions;
  readonly #now: () => number;

  constructor(opts: TaskServiceOptions) {
    this.#o = opts;
    this.#now = opts.now ?? Date.now;
  }

  get connectionRequests(): boolean {
    return this.#o.requester !== null;
  }

  #expiresAt(expirySeconds: number | undefined, now: number, type: TaskType): number | null {
    // A diagnostic is a measurement of now: one the device has not run within the hour is stale.
    const fallback = (DIAGNOSTIC_TYPES as readonly string[]).includes(type) ? DIAGNOSTIC_EXPIRY_SECONDS : (this.#o.defaultExpirySeconds ?? 7 * 86_400);
    const s = expirySeconds ?? fallback;
    return s > 0 ? now + s * 1000 : null;
  }

  get #catalogues(): CatalogueSet | undefined {
    return this.#o.catalogues === null ? undefined : (this.#o.catalogues ?? shippedCatalogues());
  }

  #normalize(body: TaskBody, device: DeviceListItem): NewTask['task'] {
    try {
      return normalizeTask(body, deviceContext(device.parameters ?? [], this.#catalogues));
    } catch (e) {
      if (e instanceof TaskValidationError) throw new ServiceError('INVALID_TASK', e.message);
      throw e;
    }
  }

  /** A download of a repository file, or an upload to the ACS, filled in for the device (URL signed for it, size, names). */
  async #withFile(task: NewTask['task'], deviceId: string, expiresAt: number | null, files?: Map<string, FileRecord>): Promise<NewTask['task']> {
    const wanted = (task.type === 'download' && task.fileId !== undefined) || (task.type === 'upload' && task.url === '');
    if (!wanted) return task;
    const service = this.#o.files;
    if (service === undefined) throw unavailable('this server has no file repository (fileId, or an upload without url)');
    if (task.type === 'upload') return service.prepareUpload(task, deviceId, expiresAt);
    if (task.type === 'download') return service.prepareDownload(task, deviceId, expiresAt, files);
    return task;
  }

  /** Queue a task for one device; with `connectionRequest`, poke it; with `waitSeconds`, wait for the outcome. */
  async createForDevice(
    deviceId: string,
    body: TaskBody,
    opts: { connectionRequest?: boolean; waitSeconds?: number; expirySeconds?: number },
  ): Promise<{ task: TaskRecord; finished: boolean; waitSkipped: string | null }> {
    const { store } = this.#o;
    const page = await store.listDevices({ filters: [{ field: 'id', op: 'eq', value: deviceId }], parameters: pathsToType(body), limit: 1 });
    const device = page.devices[0];
    if (device === undefined) throw notFound(`device ${deviceId}`);
    const now = this.#now();
    const expiresAt = this.#expiresAt(opts.expirySeconds, now, body.type);
    const task = await this.#withFile(this.#normalize(body, device), deviceId, expiresAt);
    const [created] = await store.createTasks([{ deviceId, task, expiresAt }], now);
    let record = created!;
    taskMetrics.inc({ type: body.type, state: 'queued' });
    let waitSkipped: string | null = null;
    if (opts.connectionRequest === true) {
      const requester = this.#o.requester;
      if (requester === null) throw unavailable(CR_DISABLED);
      const cr = await requester.request(deviceId, [record.id]);
      // Worth waiting when the device is coming or may be: it answered, the datagrams left
      // (UDP has no answer), our own limit held this one back (an earlier request is bringing
      // it), or it refused (a CPE answers 503 while it is already connecting). Not when it
      // cannot be reached at all: then the answer says why, at once.
      if (!WAIT_AFTER.has(cr.outcome)) {
        waitSkipped = `connection request ${cr.outcome}${cr.detail !== undefined ? ` (${cr.detail})` : ''}: the task runs at the device's next Inform`;
      }
    }
    const wait = Math.max(0, opts.waitSeconds ?? 0);
    if (wait > 0 && waitSkipped === null) {
      record = (await this.waitFor(record.id, wait * 1000)) ?? record;
    } else {
      record = (await store.getTask(record.id)) ?? record;
    }
    return { task: record, finished: FINAL_TASK_STATES.includes(record.state), waitSkipped: wait > 0 ? waitSkipped : null };
  }

  /**
   * Wait until the task is done/fault/expired or `ms` pass; returns it as it is then. Events
   * (this process's, and the others' through the relay) wake us at once; a poll once a second
   * covers an event lost on the way.
   */
  async waitFor(taskId: string, ms: number): Promise<TaskRecord | null> {
    const { store, bus } = this.#o;
    const deadline = Date.now() + ms;
    let wake: (() => void) | null = null;
    const unsubscribe = bus.subscribe((e) => {
      if (e.data.taskId === taskId && wake !== null) wake();
    });
    try {
      while (true) {
        const t = await store.getTask(taskId);
        if (t === null || FINAL_TASK_STATES.includes(t.state)) return t;
        const left = deadline - Date.now();
        if (left <= 0) return t;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.min(left, 1_000));
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake = null;
      }
    } finally {
      unsubscribe();
    }
  }

  /**
   * The same task for every device `filters` match, in chunks of a thousand (each one
   * transaction). Connection requests, when asked, go out in the background within the rate
   * limits; their outcomes land on the tasks.
   */
  async createForFilter(
    filters: DeviceFilter[],
    body: TaskBody,
    opts: { connectionRequest?: boolean; expirySeconds?: number },
  ): Promise<{ count: number; tasks: { id: string; deviceId: string }[]; truncated: boolean }> {
    const { store } = this.#o;
    if (opts.connectionRequest === true && this.#o.requester === null) {
      throw unavailable(CR_DISABLED);
    }
    const max = this.#o.maxBulkDevices ?? 100_000;
    const first = await store.listDevices({ filters, limit: 0 });
    if (first.total > max) throw invalidArgument(`the filter matches ${first.total} devices; at most ${max} per call`);
    const paths = pathsToType(body);
    // Every device's task is normalised before anything is written: a body that is wrong for
    // any device fails with nothing queued.
    const now = this.#now();
    const expiresAt = this.#expiresAt(opts.expirySeconds, now, body.type);
    const created: TaskRecord[] = [];
    let after: { key: string | number; id: string } | undefined;
    const pages: NewTask[][] = [];
    const files = new Map<string, FileRecord>();
    while (true) {
      const page = await store.listDevices({ filters, parameters: paths, limit: BULK_CHUNK, ...(after ? { after } : {}) });
      const chunk: NewTask[] = [];
      for (const d of page.devices) chunk.push({ deviceId: d.id, task: await this.#withFile(this.#normalize(body, d), d.id, expiresAt, files), expiresAt });
      if (chunk.length > 0) pages.push(chunk);
      if (page.next === null) break;
      after = page.next;
    }
    for (const chunk of pages) created.push(...(await store.createTasks(chunk, now)));
    if (created.length > 0) taskMetrics.inc({ type: body.type, state: 'queued' }, created.length);
    if (opts.connectionRequest === true) void this.#pokeAll(created);
    return {
      count: created.length,
      tasks: created.slice(0, 10_000).map((t) => ({ id: t.id, deviceId: t.deviceId })),
      truncated: created.length > 10_000,
    };
  }

  /** Queue a faulted or expired task again (it keeps its place in the device's order). */
  async retry(taskId: string): Promise<TaskRecord> {
    const { store } = this.#o;
    const before = await store.getTask(taskId);
    if (before === null) throw notFound(`task ${taskId}`);
    if (before.state !== 'fault' && before.state !== 'expired') throw conflict(`task is ${before.state}; only fault or expired tasks can be retried`);
    const after = await store.retryTask(taskId, this.#now());
    if (after === null) throw notFound(`task ${taskId}`);
    return after;
  }

  /**
   * A bare connection request (no task): the device must exist; a rate limit that holds it
   * back is a RATE_LIMITED error carrying the wait.
   */
  async connectionRequest(deviceId: string): Promise<ConnectionRequestRecord> {
    const requester = this.#o.requester;
    if (requester === null) throw unavailable(CR_DISABLED);
    const page = await this.#o.store.listDevices({ filters: [{ field: 'id', op: 'eq', value: deviceId }], limit: 0 });
    if (page.total === 0) throw notFound(`device ${deviceId}`);
    const { retryAfterMs, ...record } = await requester.request(deviceId);
    if (record.outcome === 'rate-limited') throw new ServiceError('RATE_LIMITED', record.detail ?? 'rate limited', retryAfterMs ?? 1000);
    return record;
  }

  async #pokeAll(tasks: readonly TaskRecord[]): Promise<void> {
    const requester = this.#o.requester!;
    let i = 0;
    const worker = async (): Promise<void> => {
      while (i < tasks.length) {
        const t = tasks[i++]!;
        await requester.request(t.deviceId, [t.id], { paceGlobal: true }).catch(() => undefined);
      }
    };
    await Promise.all(Array.from({ length: Math.min(CR_CONCURRENCY, tasks.length) }, worker));
  }
}
