/**
 * Work on many devices: on a selection (one call per device) or on everything a filter matches
 * (the NBI's bulk task route; tags device by device, as the NBI has no bulk tag route). Each
 * run is a job in the activity panel with its progress; tasks are then followed through the
 * event stream until they are all done or faulted (or two minutes pass: the rest run when
 * their devices next inform).
 */
import type { Activity, Job } from './activity';
import { Api, errorText, faultText, FINAL_STATES, type CpeFault, type TaskBody } from './api';
import type { EventStream } from './events';
import { csvLine } from './format';

export type Scope = { kind: 'selection'; ids: string[] } | { kind: 'filter'; filter: string[]; total: number };

interface Deps {
  api: Api;
  stream: EventStream;
  activity: Activity;
}

/** The NBI's bulk route wants at least one filter; "every device" is a glob on the id. */
export const bulkFilter = (filter: string[]): string[] => (filter.length > 0 ? filter : ['id ~= *']);

async function pool<T>(items: readonly T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
  let i = 0;
  const worker = async (): Promise<void> => {
    while (i < items.length) await work(items[i++]!);
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
}

async function idsOf(api: Api, scope: Scope, job: Job, activity: Activity): Promise<string[]> {
  if (scope.kind === 'selection') return scope.ids;
  const ids: string[] = [];
  activity.update(job, { detail: 'finding the devices', progress: { done: 0, total: scope.total } });
  for await (const page of api.allDevices(bulkFilter(scope.filter), ['id'])) {
    for (const d of page.devices) ids.push(d.id);
    activity.update(job, { progress: { done: ids.length, total: page.total } });
  }
  return ids;
}

export async function bulkTags(deps: Deps, scope: Scope, add: string[], remove: string[]): Promise<{ ok: number; failed: number }> {
  const verb = add.length > 0 ? `Tag ${add.join(', ')}` : `Untag ${remove.join(', ')}`;
  const job = deps.activity.start(`${verb} on ${scope.kind === 'selection' ? scope.ids.length : scope.total} devices`);
  let ok = 0;
  let failed = 0;
  let lastError = '';
  try {
    const ids = await idsOf(deps.api, scope, job, deps.activity);
    deps.activity.update(job, { detail: 'tagging', progress: { done: 0, total: ids.length } });
    await pool(ids, 6, async (id) => {
      try {
        await deps.api.post(`/devices/${encodeURIComponent(id)}/tags`, { ...(add.length ? { add } : {}), ...(remove.length ? { remove } : {}) });
        ok++;
      } catch (e) {
        failed++;
        lastError = errorText(e);
      }
      deps.activity.update(job, { progress: { done: ok + failed, total: ids.length }, detail: `${ok} tagged${failed ? `, ${failed} failed` : ''}` });
    });
    deps.activity.update(job, {
      status: failed === 0 ? 'done' : 'failed',
      detail: `${ok} of ${ids.length} devices ${add.length ? 'tagged' : 'untagged'}${failed ? `; ${failed} failed (${lastError})` : ''}`,
    });
  } catch (e) {
    deps.activity.update(job, { status: 'failed', detail: errorText(e) });
  }
  return { ok, failed };
}

/** Queue one task on every device in scope, ask them to connect, and count outcomes as they come. */
export async function bulkTask(deps: Deps, scope: Scope, body: TaskBody, title: string, followMs = 120_000): Promise<void> {
  const n = scope.kind === 'selection' ? scope.ids.length : scope.total;
  const job = deps.activity.start(`${title} on ${n} devices`, { detail: 'queueing' });
  const pending = new Set<string>();
  let done = 0;
  let faulted = 0;
  let lastFault = '';
  let total = 0;
  const show = (final = false): void => {
    const waiting = pending.size;
    deps.activity.update(job, {
      progress: { done: done + faulted, total },
      detail: `${done} done, ${faulted} faulted${lastFault ? ` (last: ${lastFault})` : ''}, ${waiting} ${final ? 'still queued (they run at the next inform)' : 'waiting'}`,
      ...(final ? { status: faulted > 0 ? 'failed' : 'done' } : {}),
    });
  };
  // Outcomes that arrive before the answer that names their task (a device quicker than the
  // POST's reply): kept, and counted when the task is added, so the job does not wait on them.
  const early = new Map<string, { ok: boolean; fault?: CpeFault }>();
  let wake: (() => void) | null = null;
  const settle = (id: string, outcome: { ok: boolean; fault?: CpeFault }): void => {
    if (!pending.delete(id)) return;
    if (outcome.ok) done++;
    else {
      faulted++;
      if (outcome.fault) lastFault = faultText(outcome.fault);
    }
    if (pending.size === 0) wake?.();
  };
  const track = (id: string): void => {
    pending.add(id);
    const seen = early.get(id);
    if (seen !== undefined) settle(id, seen);
  };
  const off = deps.stream.subscribe((e) => {
    const id = e.data.taskId;
    if (typeof id !== 'string') return;
    if (e.type !== 'task.done' && e.type !== 'task.faulted') return;
    const outcome = e.type === 'task.done' ? { ok: true } : { ok: false, ...(e.data.fault ? { fault: e.data.fault as CpeFault } : {}) };
    if (!pending.has(id)) {
      early.set(id, outcome);
      return;
    }
    settle(id, outcome);
    show();
  });
  try {
    if (scope.kind === 'filter') {
      const r = await deps.api.post<{ count: number; tasks: { id: string }[] }>('/tasks', { filter: bulkFilter(scope.filter), task: body, connectionRequest: true });
      total = r.count;
      for (const t of r.tasks) track(t.id);
    } else {
      total = scope.ids.length;
      let queued = 0;
      let failed = 0;
      await pool(scope.ids, 6, async (id) => {
        try {
          const t = await deps.api.createTask(id, body, true);
          queued++;
          track(t.id);
        } catch (e) {
          failed++;
          lastFault = errorText(e);
        }
        deps.activity.update(job, { detail: `queued ${queued} of ${total}${failed ? `, ${failed} refused (${lastFault})` : ''}`, progress: { done: 0, total } });
      });
      faulted += failed;
    }
    show();
    // Outcomes the stream missed (a reconnect) are picked up by polling what is left.
    const end = Date.now() + followMs;
    while (pending.size > 0 && Date.now() < end) {
      // Woken as soon as the stream settles the last one: the job ends then, not 3 s later.
      await new Promise<void>((r) => {
        wake = r;
        setTimeout(r, 3000);
      });
      wake = null;
      if (pending.size === 0) break;
      for (const id of [...pending].slice(0, 50)) {
        const t = await deps.api.task(id).catch(() => null);
        if (t === null || !FINAL_STATES.includes(t.state)) continue;
        settle(id, t.state === 'done' ? { ok: true } : { ok: false, ...(t.fault ? { fault: t.fault } : {}) });
      }
      show();
    }
    show(true);
  } catch (e) {
    deps.activity.update(job, { status: 'failed', detail: errorText(e) });
  } finally {
    off();
  }
}

export interface CsvColumn {
  label: string;
  fields: string[];
  value: (d: import('./api').DeviceSummary) => unknown;
}

/** Every device the filter matches as CSV, page by page; returns the file's text. */
export async function exportCsv(deps: Deps, filter: string[], sort: string, columns: CsvColumn[], total: number): Promise<string | null> {
  const job = deps.activity.start(`Export ${total} devices as CSV`, { progress: { done: 0, total } });
  const fields = [...new Set(columns.flatMap((c) => c.fields))];
  const parts: string[] = [csvLine(columns.map((c) => c.label))];
  let n = 0;
  try {
    for await (const page of deps.api.allDevices(filter, fields, sort)) {
      for (const d of page.devices) parts.push(csvLine(columns.map((c) => c.value(d))));
      n += page.devices.length;
      deps.activity.update(job, { detail: `${n} of ${page.total} devices`, progress: { done: n, total: page.total } });
    }
    deps.activity.update(job, { status: 'done', detail: `${n} devices exported` });
    return parts.join('');
  } catch (e) {
    deps.activity.update(job, { status: 'failed', detail: errorText(e) });
    return null;
  }
}

export function download(name: string, text: string, type = 'text/csv;charset=utf-8'): void {
  const url = URL.createObjectURL(new Blob(['\ufeff', text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
