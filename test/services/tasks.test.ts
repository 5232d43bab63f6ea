/**
 * The task service without HTTP: its failures are ServiceErrors with a stable code (the
 * REST API maps them, test/nbi), and the mapping table covers every code.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EventBus } from '../../src/events/bus.js';
import { fromServiceError } from '../../src/nbi/errors.js';
import { SERVICE_ERROR_CODES, ServiceError, type ServiceErrorCode } from '../../src/services/errors.js';
import { createServices, type Services } from '../../src/services/index.js';
import { TaskService } from '../../src/services/tasks.js';
import { createSqliteStore } from '../../src/store/sqlite/index.js';
import type { Store } from '../../src/store/types.js';

let store: Store;
let services: Services;

beforeEach(async () => {
  store = await createSqliteStore({ file: ':memory:' });
  services = createServices({ store, bus: new EventBus(), connectionRequests: false });
});
afterEach(async () => {
  await store.close();
});

async function codeOf(p: Promise<unknown>): Promise<ServiceErrorCode | 'resolved'> {
  try {
    await p;
    return 'resolved';
  } catch (e) {
    expect(e).toBeInstanceOf(ServiceError);
    return (e as ServiceError).code;
  }
}

describe('TaskService errors', () => {
  it('NOT_FOUND for a device or task that does not exist', async () => {
    expect(await codeOf(services.tasks.createForDevice('NOPE-1', { type: 'reboot' }, {}))).toBe('NOT_FOUND');
    expect(await codeOf(services.tasks.retry('no-such-task'))).toBe('NOT_FOUND');
  });

  it('UNAVAILABLE when connection requests are off, before anything is looked up or queued', async () => {
    expect(await codeOf(services.tasks.connectionRequest('NOPE-1'))).toBe('UNAVAILABLE');
    expect(await codeOf(services.tasks.createForFilter([], { type: 'reboot' }, { connectionRequest: true }))).toBe('UNAVAILABLE');
    expect((await store.listTasks({})).total).toBe(0);
  });

  it('CONFLICT when a task that has not failed is retried, and it stays as it was', async () => {
    const [t] = await store.createTasks([{ deviceId: 'DEV-1', task: { type: 'reboot', commandKey: '' }, expiresAt: null }], Date.now());
    expect(await codeOf(services.tasks.retry(t!.id))).toBe('CONFLICT');
    expect((await store.getTask(t!.id))?.state).toBe('queued');
  });

  it('INVALID_ARGUMENT when a filter matches more devices than one call may target', async () => {
    // The store is empty, so the filter matches no device: only a bound below zero is exceeded.
    const capped = new TaskService({ store, bus: new EventBus(), requester: null, maxBulkDevices: -1 });
    expect(await codeOf(capped.createForFilter([], { type: 'reboot' }, {}))).toBe('INVALID_ARGUMENT');
  });
});

describe('the REST mapping', () => {
  it('gives every domain code an HTTP status and an API code; RATE_LIMITED says when to retry', () => {
    for (const code of SERVICE_ERROR_CODES) {
      const api = fromServiceError(new ServiceError(code, 'x'));
      expect(api.status, code).toBeGreaterThanOrEqual(400);
      expect(api.status, code).toBeLessThan(500);
    }
    expect(fromServiceError(new ServiceError('NOT_FOUND', 'device X not found'))).toMatchObject({ status: 404, code: 'NOT_FOUND', message: 'device X not found' });
    expect(fromServiceError(new ServiceError('INVALID_TASK', 'bad'))).toMatchObject({ status: 400, code: 'INVALID_TASK' });
    expect(fromServiceError(new ServiceError('CONFLICT', 'no'))).toMatchObject({ status: 409, code: 'CONFLICT' });
    expect(fromServiceError(new ServiceError('RATE_LIMITED', 'wait', 2_500))).toMatchObject({ status: 429, headers: { 'retry-after': '3' } });
  });
});
