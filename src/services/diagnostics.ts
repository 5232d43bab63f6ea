/**
 * Diagnostics under the API: a device's runs (its diagnostic tasks, newest first, each with
 * its state and structured result: src/tasks/diagnostics.ts). Creating one is creating a task
 * (TaskService; the session program src/session/programs/diagnostics.ts runs it).
 */
import type { Store } from '../store/types.js';
import { runOf, type DiagnosticRun } from '../tasks/diagnostics.js';
import { DIAGNOSTIC_TYPES, type DiagnosticType } from '../tasks/types.js';
import { notFound } from './errors.js';

export interface DiagnosticsServiceOptions {
  store: Store;
}

export class DiagnosticsService {
  readonly #store: Store;

  constructor(opts: DiagnosticsServiceOptions) {
    this.#store = opts.store;
  }

  /** A device's runs, newest first; `types` narrows them. */
  async list(deviceId: string, opts: { types?: readonly DiagnosticType[]; limit?: number; offset?: number } = {}): Promise<{ total: number; runs: DiagnosticRun[] }> {
    const device = await this.#store.listDevices({ filters: [{ field: 'id', op: 'eq', value: deviceId }], limit: 0 });
    if (device.total === 0) throw notFound(`device ${deviceId}`);
    const page = await this.#store.listTasks({
      deviceId,
      types: opts.types ?? DIAGNOSTIC_TYPES,
      newestFirst: true,
      limit: opts.limit ?? 100,
      offset: opts.offset ?? 0,
    });
    return { total: page.total, runs: page.tasks.flatMap((t) => runOf(t) ?? []) };
  }
}
