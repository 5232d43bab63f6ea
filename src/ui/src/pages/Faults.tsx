/** Faults across the fleet, newest first: the CPE's fault code and text, retry and clear. */
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { devicePath, errorText, faultText, roleAllows, type TaskPage } from '../api';
import { useApp } from '../app-context';
import { summarizeTask } from '../components/device-tabs';
import { Button, ErrorBox, Loading, OffsetPager } from '../components/ui';
import { ago, count, localTime } from '../format';
import { deviceHref } from '../router';

const PAGE = 100;

export function FaultsPage(): JSX.Element {
  const { api, role, stream } = useApp();
  const [data, setData] = useState<TaskPage | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [offset, setOffset] = useState(0);
  const [n, setN] = useState(0);
  const [msg, setMsg] = useState<string | null>(null);
  useEffect(() => {
    api.get<TaskPage>(`/faults?limit=${PAGE}&offset=${offset}`).then(
      (d) => {
        setData(d);
        setError(null);
      },
      (e) => setError(errorText(e)),
    );
  }, [offset, n]);
  useEffect(() => stream.subscribe((e) => e.type.startsWith('task.') && setN((x) => x + 1)), [stream]);
  const reload = (): void => setN((x) => x + 1);
  if (error) return <div class="page"><ErrorBox error={error} onRetry={reload} /></div>;
  if (data === null) return <Loading what="faults" />;
  const canAct = roleAllows(role, 'operator');
  return (
    <div class="page">
      <header class="page-head">
        <h1>Faults</h1>
        <span class="muted">{count(data.total)} faulted tasks</span>
      </header>
      {msg ? <p class="message message-info" role="status">{msg}</p> : null}
      {data.tasks.length === 0 ? (
        <p class="muted">No faults.</p>
      ) : (
        <div class="table-wrap">
          <table class="table" aria-label="Faults">
            <thead>
              <tr>
                <th scope="col">Device</th>
                <th scope="col">Task</th>
                <th scope="col">Fault</th>
                <th scope="col">When</th>
                {canAct ? <th scope="col"><span class="visually-hidden">Actions</span></th> : null}
              </tr>
            </thead>
            <tbody>
              {data.tasks.map((t) => (
                <tr key={t.id}>
                  <td>
                    <a href={deviceHref(t.deviceId, 'faults')}>{t.deviceId}</a>
                  </td>
                  <td class="wrap">
                    {t.type} <code>{summarizeTask(t)}</code>
                  </td>
                  <td class="wrap fault-text">{faultText(t.fault)}</td>
                  <td title={localTime(t.updatedAt)}>{ago(t.updatedAt)}</td>
                  {canAct ? (
                    <td class="nowrap">
                      <Button
                        small
                        onClick={async () => {
                          try {
                            await api.post(`/tasks/${encodeURIComponent(t.id)}/retry`);
                            const r = await api.post<{ outcome: string }>(`${devicePath(t.deviceId)}/connection-request`).catch((e: unknown) => ({ outcome: errorText(e) }));
                            setMsg(`${t.type} on ${t.deviceId} queued again; connection request: ${r.outcome}.`);
                          } catch (e) {
                            setMsg(errorText(e));
                          }
                          reload();
                        }}
                      >
                        Retry
                      </Button>{' '}
                      <Button small variant="ghost" onClick={() => api.del(`/faults/${encodeURIComponent(t.id)}`).then(reload, (e) => setMsg(errorText(e)))}>
                        Clear
                      </Button>
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <OffsetPager offset={offset} pageSize={PAGE} total={data.total} onOffset={setOffset} />
    </div>
  );
}
