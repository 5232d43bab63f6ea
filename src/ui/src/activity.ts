/**
 * Long actions (tasks on a device, bulk work, exports) and how they are going, shown in the
 * activity panel. A device task is followed to its end: the event stream says at once when it
 * is done or faulted, and a poll of GET /tasks/{id} covers what the stream missed.
 */
import { useEffect, useState } from 'preact/hooks';
import { Api, ApiError, errorText, faultText, FINAL_STATES, type TaskBody, type TaskRecord } from './api';
import type { EventStream } from './events';

export type JobStatus = 'running' | 'done' | 'failed';

export interface Job {
  id: number;
  title: string;
  status: JobStatus;
  /** What is happening now, or the outcome ("queued", "9007 Invalid parameter value"). */
  detail: string;
  progress: { done: number; total: number } | null;
  deviceId?: string;
  at: number;
}

export class Activity {
  #seq = 0;
  #jobs: Job[] = [];
  readonly #listeners = new Set<() => void>();

  get jobs(): readonly Job[] {
    return this.#jobs;
  }

  subscribe(l: () => void): () => void {
    this.#listeners.add(l);
    return () => this.#listeners.delete(l);
  }

  start(title: string, extra: Partial<Job> = {}): Job {
    const job: Job = { id: ++this.#seq, title, status: 'running', detail: 'starting', progress: null, at: Date.now(), ...extra };
    this.#jobs = [job, ...this.#jobs].slice(0, 50);
    this.#emit();
    return job;
  }

  update(job: Job, patch: Partial<Job>): void {
    Object.assign(job, patch);
    this.#jobs = [...this.#jobs];
    this.#emit();
  }

  dismiss(id: number): void {
    this.#jobs = this.#jobs.filter((j) => j.id !== id);
    this.#emit();
  }

  clearFinished(): void {
    this.#jobs = this.#jobs.filter((j) => j.status === 'running');
    this.#emit();
  }

  #emit(): void {
    for (const l of this.#listeners) l();
  }
}

export function useJobs(activity: Activity): readonly Job[] {
  const [jobs, setJobs] = useState(activity.jobs);
  useEffect(() => activity.subscribe(() => setJobs(activity.jobs)), [activity]);
  return jobs;
}

/** Follow one task until it is done, faulted or expired; `onUpdate` sees every new state. */
export function followTask(api: Api, stream: EventStream, taskId: string, onUpdate: (t: TaskRecord) => void): { done: Promise<TaskRecord>; cancel: () => void } {
  let cancelled = false;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let wake: (() => void) | null = null;
  const unsubscribe = stream.subscribe((e) => {
    if (e.data.taskId === taskId && wake !== null) wake();
  });
  const done = (async (): Promise<TaskRecord> => {
    let delay = 700;
    let last: TaskRecord | null = null;
    try {
      while (true) {
        let t: TaskRecord;
        try {
          t = await api.task(taskId);
        } catch (e) {
          // Deleted while we watched: report the last state we saw.
          if (e instanceof ApiError && e.status === 404 && last !== null) return last;
          throw e;
        }
        if (last === null || t.state !== last.state || t.updatedAt !== last.updatedAt) onUpdate(t);
        last = t;
        if (FINAL_STATES.includes(t.state) || cancelled) return t;
        await new Promise<void>((r) => {
          wake = r;
          timer = setTimeout(r, delay);
        });
        wake = null;
        delay = Math.min(3000, delay * 1.3);
      }
    } finally {
      unsubscribe();
      if (timer !== null) clearTimeout(timer);
    }
  })();
  return { done, cancel: () => (cancelled = true) };
}

const STATE_TEXT: Record<string, string> = {
  queued: 'queued, waiting for the device',
  running: 'running on the device',
  done: 'done',
  expired: 'expired before the device connected',
};

export function describeTask(t: TaskRecord): string {
  if (t.state === 'fault') return `fault ${faultText(t.fault)}`;
  let s = STATE_TEXT[t.state] ?? t.state;
  const cr = t.connectionRequest;
  if (t.state === 'queued' && cr && cr.outcome !== 'answered') s += ` (connection request: ${cr.outcome}${cr.detail ? `, ${cr.detail}` : ''})`;
  return s;
}

/**
 * Queue a task on one device, ask the device to connect, and follow it in the activity panel.
 * Resolves with the final task; never rejects (failures land in the panel and the result).
 */
export async function runDeviceTask(
  app: { api: Api; stream: EventStream; activity: Activity },
  deviceId: string,
  body: TaskBody,
  title: string,
): Promise<TaskRecord | null> {
  const job = app.activity.start(title, { deviceId, detail: 'sending' });
  try {
    const created = await app.api.createTask(deviceId, body, true);
    app.activity.update(job, { detail: describeTask(created) });
    const { done } = followTask(app.api, app.stream, created.id, (t) => app.activity.update(job, { detail: describeTask(t) }));
    const final = await done;
    app.activity.update(job, { status: final.state === 'done' ? 'done' : 'failed', detail: describeTask(final) });
    return final;
  } catch (e) {
    app.activity.update(job, { status: 'failed', detail: errorText(e) });
    return null;
  }
}
