/** A device's tasks (live status), faults (detail, retry, clear) and session history. */
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { devicePath, errorText, faultText, roleAllows, type SessionRecord, type TaskPage, type TaskRecord } from '../api';
import { useApp } from '../app-context';
import { ago, localTime } from '../format';
import { Button, ErrorBox, Loading, StateBadge } from './ui';

/** Fetch `path` now, on every `live` tick, and every `pollMs` while `busy` says so. */
function useLive<T>(path: string, live: number, busy: (v: T) => boolean = () => false, pollMs = 2000): { data: T | null; error: string | null; reload: () => void } {
  const { api } = useApp();
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [n, setN] = useState(0);
  useEffect(() => {
    let stop = false;
    api.get<T>(path).then(
      (v) => {
        if (stop) return;
        setData(v);
        setError(null);
      },
      (e) => !stop && setError(errorText(e)),
    );
    return () => {
      stop = true;
    };
  }, [path, live, n]);
  useEffect(() => {
    if (data === null || !busy(data)) return;
    const t = setTimeout(() => setN((x) => x + 1), pollMs);
    return () => clearTimeout(t);
  }, [data]);
  return { data, error, reload: () => setN((x) => x + 1) };
}

export function summarizeTask(t: TaskRecord): string {
  const b = t.task;
  if (Array.isArray(b.parameterValues)) return (b.parameterValues as unknown[][]).map((v) => `${String(v[0])} = ${String(v[1])}`).join(', ');
  if (Array.isArray(b.parameterNames)) return (b.parameterNames as string[]).join(', ');
  if (typeof b.objectName === 'string') return b.objectName;
  if (typeof b.parameterPath === 'string') return b.parameterPath;
  if (typeof b.url === 'string') return b.url;
  return '';
}

export function DeviceTasks({ id, live }: { id: string; live: number }): JSX.Element {
  const { api, role } = useApp();
  const { data, error, reload } = useLive<TaskPage>(`${devicePath(id)}/tasks?limit=200`, live, (p) => p.tasks.some((t) => t.state === 'queued' || t.state === 'running'));
  if (error) return <ErrorBox error={error} onRetry={reload} />;
  if (data === null) return <Loading what="tasks" />;
  if (data.tasks.length === 0) return <p class="muted">No tasks for this device.</p>;
  const tasks = [...data.tasks].reverse();
  return (
    <div class="table-wrap">
      <table class="table" aria-label="Tasks">
        <thead>
          <tr>
            <th scope="col">Task</th>
            <th scope="col">What</th>
            <th scope="col">State</th>
            <th scope="col">Created</th>
            <th scope="col">Updated</th>
            <th scope="col">Connection request</th>
            <th scope="col">Outcome</th>
            {roleAllows(role, 'operator') ? <th scope="col"><span class="visually-hidden">Actions</span></th> : null}
          </tr>
        </thead>
        <tbody>
          {tasks.map((t) => (
            <tr key={t.id} data-task={t.id} data-state={t.state}>
              <td>{t.type}</td>
              <td class="wrap">
                <code>{summarizeTask(t)}</code>
              </td>
              <td>
                <StateBadge state={t.state} />
              </td>
              <td title={localTime(t.createdAt)}>{ago(t.createdAt)}</td>
              <td title={localTime(t.updatedAt)}>{ago(t.updatedAt)}</td>
              <td>{t.connectionRequest ? `${t.connectionRequest.outcome}${t.connectionRequest.detail ? ` (${t.connectionRequest.detail})` : ''}` : ''}</td>
              {/* A done task's answer (e.g. "status 0") is a success: only a fault is drawn as one. */}
              <td class={t.state === 'fault' ? 'wrap fault-text' : t.state === 'done' ? 'wrap tone-ok' : 'wrap'} data-outcome={t.state === 'fault' ? 'fault' : t.state === 'done' ? 'ok' : undefined}>
                {t.state === 'fault' ? faultText(t.fault) : t.state === 'done' && t.response ? responseText(t.response) : ''}
              </td>
              {roleAllows(role, 'operator') ? (
                <td>
                  {t.state === 'queued' || t.state === 'done' || t.state === 'expired' ? (
                    <Button small variant="ghost" aria-label={`Delete task ${t.type} ${t.id}`} onClick={() => api.del(`/tasks/${encodeURIComponent(t.id)}`).then(reload, reload)}>
                      Delete
                    </Button>
                  ) : null}
                </td>
              ) : null}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function responseText(r: Record<string, unknown>): string {
  if (typeof r.instanceNumber === 'number' || typeof r.InstanceNumber === 'number') return `instance ${String(r.instanceNumber ?? r.InstanceNumber)}`;
  if (typeof r.status === 'number' || typeof r.Status === 'number') return `status ${String(r.status ?? r.Status)}`;
  return '';
}

export function DeviceFaults({ id, live }: { id: string; live: number }): JSX.Element {
  const { api, role } = useApp();
  const { data, error, reload } = useLive<TaskPage>(`${devicePath(id)}/faults?limit=200`, live);
  const [msg, setMsg] = useState<string | null>(null);
  if (error) return <ErrorBox error={error} onRetry={reload} />;
  if (data === null) return <Loading what="faults" />;
  const retry = async (t: TaskRecord): Promise<void> => {
    try {
      await api.post(`/tasks/${encodeURIComponent(t.id)}/retry`);
      // Retry puts it back in the queue; ask the device to come and run it now.
      const r = await api.post<{ outcome: string }>(`${devicePath(id)}/connection-request`).catch((e: unknown) => ({ outcome: errorText(e) }));
      setMsg(`Task ${t.type} queued again; connection request: ${r.outcome}.`);
    } catch (e) {
      setMsg(errorText(e));
    }
    reload();
  };
  return (
    <>
      {msg ? (
        <p class="message message-info" role="status">
          {msg}
        </p>
      ) : null}
      {data.tasks.length === 0 ? <p class="muted">No faults for this device.</p> : null}
      <ul class="faults">
        {data.tasks.map((t) => (
          <li key={t.id} class="fault card" data-task={t.id}>
            <div class="fault-head">
              <strong class="fault-code">{t.fault?.faultCode ?? '?'}</strong> <span class="fault-string">{t.fault?.faultString ?? ''}</span>
              <span class="muted" title={localTime(t.updatedAt)}>
                {' '}
                · {t.type} · {ago(t.updatedAt)} · attempt {t.attempts}
              </span>
            </div>
            <code class="wrap">{summarizeTask(t)}</code>
            {t.fault?.setParameterValuesFault?.length ? (
              <table class="table table-compact" aria-label="Per-parameter faults">
                <thead>
                  <tr>
                    <th scope="col">Parameter</th>
                    <th scope="col">Code</th>
                    <th scope="col">Fault</th>
                  </tr>
                </thead>
                <tbody>
                  {t.fault.setParameterValuesFault.map((f) => (
                    <tr key={f.parameterName}>
                      <td>
                        <code>{f.parameterName}</code>
                      </td>
                      <td>{f.faultCode}</td>
                      <td>{f.faultString}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            ) : null}
            {roleAllows(role, 'operator') ? (
              <div class="row">
                <Button small onClick={() => void retry(t)}>
                  Retry
                </Button>
                <Button small variant="ghost" onClick={() => api.del(`/faults/${encodeURIComponent(t.id)}`).then(reload, (e) => setMsg(errorText(e)))}>
                  Clear
                </Button>
              </div>
            ) : null}
          </li>
        ))}
      </ul>
    </>
  );
}

export function DeviceSessions({ id, live }: { id: string; live: number }): JSX.Element {
  const { data, error, reload } = useLive<{ sessions: SessionRecord[] }>(`${devicePath(id)}/sessions?limit=100`, live);
  if (error) return <ErrorBox error={error} onRetry={reload} />;
  if (data === null) return <Loading what="sessions" />;
  if (data.sessions.length === 0) return <p class="muted">No sessions recorded.</p>;
  return (
    <div class="table-wrap">
      <table class="table" aria-label="Sessions">
        <thead>
          <tr>
            <th scope="col">Started</th>
            <th scope="col">Duration</th>
            <th scope="col">Events</th>
            <th scope="col">RPCs</th>
            <th scope="col">CPE requests</th>
            <th scope="col">Outcome</th>
          </tr>
        </thead>
        <tbody>
          {data.sessions.map((s, i) => (
            <tr key={`${s.startedAt}-${i}`}>
              <td title={localTime(s.startedAt)}>{ago(s.startedAt)}</td>
              <td>{s.startedAt && s.endedAt ? `${((Date.parse(s.endedAt) - Date.parse(s.startedAt)) / 1000).toFixed(1)} s` : ''}</td>
              <td class="wrap">{s.events.map((e) => e.eventCode).join(', ')}</td>
              <td class="wrap">
                {s.rpcs.map((r, j) => (
                  <span key={j} class={r.outcome === 'fault' ? 'tone-bad' : ''}>
                    {j > 0 ? ', ' : ''}
                    {r.method ?? r.name ?? '?'}
                    {r.outcome === 'fault' ? ` (fault ${r.faultCode ?? ''})` : ''}
                  </span>
                ))}
              </td>
              <td>{s.cpeRequests.join(', ')}</td>
              <td class={s.outcome === 'ok' ? '' : 'tone-bad'}>{s.outcome}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
