/**
 * Store concern: the task queue outside sessions (create, list, retry, delete, expire).
 * Tasks are handed out and finished by the session's two round trips (devices.ts).
 * Backends: sqlite/tasks.ts, postgres/tasks.ts; suite: test/store/conformance/tasks.ts.
 */
import type { ConnectionRequestRecord, Task, TaskRecord, TaskState, TaskType } from '../../tasks/types.js';
import type { DeviceFilter } from './devices.js';

export type { RequestOutcome, TaskRecord } from '../../tasks/types.js';

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
  /** Any of these types (default: all). */
  types?: readonly TaskType[];
  /** Only tasks of the devices these filters all match (a scoped principal's view; DeviceFilter semantics). */
  devices?: readonly DeviceFilter[];
  /** Default: creation order (createdAt, then seq); newest first reverses it. */
  newestFirst?: boolean;
  limit?: number;
  offset?: number;
}

export interface TaskStore {
  /** One transaction; each task goes after its device's others. Returned in input order. */
  createTasks(tasks: NewTask[], now: number): Promise<TaskRecord[]>;
  getTask(id: string): Promise<TaskRecord | null>;
  listTasks(query?: TaskQuery): Promise<{ total: number; tasks: TaskRecord[] }>;
  /** fault/expired → queued (fault and response cleared: a retry starts over; expiry lifted; attempts back to 0); other states are left as they are. Null: no such task. */
  retryTask(id: string, now: number): Promise<TaskRecord | null>;
  deleteTask(id: string): Promise<boolean>;
  /** Delete every task matching (at least one condition required); returns how many. */
  deleteTasks(query: { deviceId?: string; states?: TaskState[] }): Promise<number>;
  /** Queued tasks whose expiry passed become expired; returns them. */
  expireTasks(now: number): Promise<TaskRecord[]>;
  recordConnectionRequest(taskIds: string[], record: ConnectionRequestRecord): Promise<void>;
}
