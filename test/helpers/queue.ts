/**
 * Tests queue single RPCs as tasks: the task equivalent to one request, and a device's tasks
 * in queue order (what the removed Store.enqueueRequest / listRequests did).
 */
import type { AcsRequest } from '../../src/cwmp/types.js';
import { taskFromRequest } from '../../src/tasks/rpc.js';
import type { TaskRecord } from '../../src/tasks/types.js';
import type { Store } from '../../src/store/types.js';

export async function queueRpc(
  store: Pick<Store, 'createTasks'>,
  deviceId: string,
  request: AcsRequest,
  opts: { expiresAt?: number; now?: number } = {},
): Promise<TaskRecord> {
  const [task] = await store.createTasks([{ deviceId, task: taskFromRequest(request), expiresAt: opts.expiresAt ?? null }], opts.now ?? Date.now());
  return task!;
}

/** Every task of the device, in queue order (seq). */
export async function deviceTasks(store: Pick<Store, 'listTasks'>, deviceId: string): Promise<TaskRecord[]> {
  return (await store.listTasks({ deviceId })).tasks.sort((a, b) => a.seq - b.seq);
}
