/**
 * Backups by policy: a policy's `backups` (`[{fileType, every}]`, src/policies/validate-backups.ts)
 * keep each matching device's newest backup of that type younger than `every` seconds. A job,
 * not a session program: it queues an upload task (to the ACS's transfer endpoint, kept with
 * the device's files) for the next session, so an idle periodic session costs what it did.
 *
 * Each tick walks the matching devices of every policy with backups, a bounded number at a
 * time (a cursor per policy carries over to the next tick). What it learnt (the newest backup,
 * a pending upload) is remembered per device until it next matters, so a steady fleet costs
 * a device listing per tick and a look at the devices whose backup falls due. With several ACS
 * processes, only the one `isLeader` names queues backups (no device gets two per period).
 */
import type { Logger } from 'pino';
import type { DeviceCursor, PolicyRecord, Store } from '../store/types.js';
import type { Task } from '../tasks/types.js';

export type UploadTaskFactory = (deviceId: string, commandKey: string, fileType: string, expiresAt: number) => Task;

export interface BackupScheduleOptions {
  store: Store;
  uploadTask: UploadTaskFactory;
  /** Between ticks (default 10 minutes). */
  everyMs?: number;
  /** Devices looked at per tick, over all policies (default 2,000). */
  perTick?: number;
  /** Whether this process queues backups now (default: always). */
  isLeader?: () => Promise<boolean>;
  logger?: Logger;
  now?: () => number;
}

/** A backup task may wait this long for its device (then the next period tries again). */
const TASK_LIFETIME_MS = 7 * 86_400_000;

export class BackupSchedule {
  readonly #o: BackupScheduleOptions;
  readonly #now: () => number;
  /** `${policy} ${fileType} ${device}` → when to look at that device again. */
  readonly #next = new Map<string, number>();
  /** Per policy: where the walk over its devices stopped. */
  readonly #cursor = new Map<string, DeviceCursor>();
  #timer: NodeJS.Timeout | undefined;
  #running = false;

  constructor(opts: BackupScheduleOptions) {
    this.#o = opts;
    this.#now = opts.now ?? Date.now;
  }

  start(): void {
    const every = this.#o.everyMs ?? 10 * 60_000;
    const run = (): void => {
      if (this.#running) return;
      this.#running = true;
      this.tick()
        .then(
          (r) => {
            if (r.queued > 0) this.#o.logger?.info(r, 'policy backups queued');
          },
          (e: unknown) => this.#o.logger?.error({ err: e }, 'policy backup schedule failed'),
        )
        .finally(() => {
          this.#running = false;
        });
    };
    this.#timer = setInterval(run, every);
    this.#timer.unref();
    setTimeout(run, Math.min(10_000, every)).unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /** One pass; answers how many devices it looked at and how many uploads it queued. */
  async tick(): Promise<{ examined: number; queued: number }> {
    const out = { examined: 0, queued: 0 };
    if (this.#o.isLeader !== undefined && !(await this.#o.isLeader())) return out;
    const { store } = this.#o;
    const policies = (await store.listPolicies()).filter((p) => p.enabled && (p.backups?.length ?? 0) > 0);
    let budget = this.#o.perTick ?? 2000;
    for (const policy of policies) {
      if (budget <= 0) break;
      const page = await store.listDevices({ filters: policy.filters, limit: Math.min(500, budget), ...(this.#cursor.has(policy.id) ? { after: this.#cursor.get(policy.id)! } : {}) });
      if (page.next === null) this.#cursor.delete(policy.id);
      else this.#cursor.set(policy.id, page.next);
      budget -= page.devices.length;
      for (const d of page.devices) {
        out.examined++;
        out.queued += await this.#device(policy, d.id);
      }
    }
    // Forget devices no policy has looked at for long (deleted, no longer matching).
    if (this.#next.size > 1_000_000) this.#next.clear();
    return out;
  }

  async #device(policy: PolicyRecord, deviceId: string): Promise<number> {
    const { store } = this.#o;
    const now = this.#now();
    let queued = 0;
    for (const b of policy.backups ?? []) {
      const key = `${policy.id} ${b.fileType} ${deviceId}`;
      if ((this.#next.get(key) ?? 0) > now) continue;
      const every = b.every * 1000;
      const [newest] = await store.listFiles({ deviceId, fileType: b.fileType, limit: 1 });
      if (newest !== undefined && newest.createdAt + every > now) {
        this.#next.set(key, newest.createdAt + every);
        continue;
      }
      const pending = await store.listTasks({ deviceId, types: ['upload'], states: ['queued', 'running'], limit: 50 });
      if (pending.tasks.some((t) => t.task.type === 'upload' && t.task.fileType === b.fileType)) {
        // Already asked (by us or an operator): look again once it had time to happen.
        this.#next.set(key, now + Math.min(every, 86_400_000));
        continue;
      }
      const commandKey = `bak:${policy.id.slice(0, 12)}:${Math.floor(now / 1000)}`;
      await store.createTasks([{ deviceId, task: this.#o.uploadTask(deviceId, commandKey, b.fileType, now + TASK_LIFETIME_MS), expiresAt: now + TASK_LIFETIME_MS }], now);
      this.#next.set(key, now + Math.min(every, 86_400_000));
      queued++;
    }
    return queued;
  }
}
