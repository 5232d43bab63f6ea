/**
 * Alarms: active ones by severity, the list with filters (state, severity, acknowledged), each
 * alarm's history on demand, and acknowledge (operators). Live: alarm.* events reload it.
 */
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { errorText, roleAllows } from '../api';
import { useApp } from '../app-context';
import { Badge, Button, ErrorBox, Loading, OffsetPager } from '../components/ui';
import { ago, count, localTime } from '../format';
import { deviceHref } from '../router';

export const SEVERITIES = ['critical', 'major', 'minor', 'warning'] as const;
export type Severity = (typeof SEVERITIES)[number];

export interface Alarm {
  id: string;
  ruleId: string;
  deviceId: string;
  state: 'active' | 'cleared';
  severity: Severity;
  text: string;
  raisedAt: string;
  updatedAt: string;
  clearedAt: string | null;
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
  count: number;
}

export interface AlarmCounts {
  active: Record<Severity, number>;
  unacknowledged: number;
}

interface History {
  at: string;
  action: string;
  severity: string;
  text: string;
  actor: string | null;
}

export const SEVERITY_TONE: Record<Severity, 'bad' | 'warn' | 'info' | 'muted'> = { critical: 'bad', major: 'bad', minor: 'warn', warning: 'info' };

const PAGE = 100;

export function AlarmsPage(): JSX.Element {
  const { api, role, stream } = useApp();
  const [state, setState] = useState<'active' | 'cleared' | ''>('active');
  const [severity, setSeverity] = useState<Severity | ''>('');
  const [unacked, setUnacked] = useState(false);
  const [offset, setOffset] = useState(0);
  const [data, setData] = useState<{ total: number; alarms: Alarm[] } | null>(null);
  const [counts, setCounts] = useState<AlarmCounts | null>(null);
  const [rules, setRules] = useState<Record<string, string>>({});
  const [open, setOpen] = useState<{ id: string; history: History[] } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [msg, setMsg] = useState<string | null>(null);
  const [n, setN] = useState(0);
  useEffect(() => {
    const q = new URLSearchParams({ limit: String(PAGE), offset: String(offset) });
    if (state !== '') q.set('state', state);
    if (severity !== '') q.set('severity', severity);
    if (unacked) q.set('acknowledged', 'false');
    Promise.all([api.get<{ total: number; alarms: Alarm[] }>(`/alarms?${q.toString()}`), api.get<AlarmCounts>('/alarms/counts')]).then(
      ([d, c]) => {
        setData(d);
        setCounts(c);
        setError(null);
      },
      (e) => setError(errorText(e)),
    );
  }, [state, severity, unacked, offset, n]);
  useEffect(() => {
    api.get<{ rules: { id: string; name: string }[] }>('/alarm-rules').then(
      (r) => setRules(Object.fromEntries(r.rules.map((x) => [x.id, x.name]))),
      () => undefined,
    );
  }, []);
  useEffect(() => stream.subscribe((e) => (e.type as string).startsWith('alarm.') && setN((x) => x + 1)), [stream]);
  const reload = (): void => setN((x) => x + 1);
  const canAct = roleAllows(role, 'operator');
  const showHistory = (id: string): void => {
    if (open?.id === id) return setOpen(null);
    api.get<{ history: History[] }>(`/alarms/${encodeURIComponent(id)}`).then(
      (r) => setOpen({ id, history: r.history }),
      (e) => setMsg(errorText(e)),
    );
  };
  if (error) return <div class="page"><ErrorBox error={error} onRetry={reload} /></div>;
  if (data === null || counts === null) return <Loading what="alarms" />;
  return (
    <div class="page">
      <header class="page-head">
        <h1>Alarms</h1>
        <span class="muted">{count(counts.unacknowledged)} active and not acknowledged</span>
      </header>
      <div class="stats" role="list" aria-label="Active alarms by severity">
        {SEVERITIES.map((s) => (
          <button key={s} type="button" role="listitem" class={`stat stat-button${severity === s ? ' active' : ''}`} data-severity={s} onClick={() => (setSeverity(severity === s ? '' : s), setState('active'), setOffset(0))}>
            <span class="stat-label">{s}</span>
            <span class={`stat-value tone-${counts.active[s] > 0 ? SEVERITY_TONE[s] : 'muted'}`}>{count(counts.active[s])}</span>
          </button>
        ))}
      </div>
      <form class="filters-row" aria-label="Alarm filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          State{' '}
          <select aria-label="State" value={state} onChange={(e) => (setState((e.target as HTMLSelectElement).value as typeof state), setOffset(0))}>
            <option value="active">active</option>
            <option value="cleared">cleared</option>
            <option value="">any</option>
          </select>
        </label>{' '}
        <label>
          Severity{' '}
          <select aria-label="Severity" value={severity} onChange={(e) => (setSeverity((e.target as HTMLSelectElement).value as typeof severity), setOffset(0))}>
            <option value="">any</option>
            {SEVERITIES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>{' '}
        <label>
          <input type="checkbox" checked={unacked} onChange={(e) => (setUnacked((e.target as HTMLInputElement).checked), setOffset(0))} /> not acknowledged only
        </label>
      </form>
      {msg ? <p class="message message-info" role="status">{msg}</p> : null}
      {data.alarms.length === 0 ? (
        <p class="muted">No alarms.</p>
      ) : (
        <div class="table-wrap">
          <table class="table" aria-label="Alarms">
            <thead>
              <tr>
                <th scope="col">Severity</th>
                <th scope="col">Device</th>
                <th scope="col">Rule</th>
                <th scope="col">What</th>
                <th scope="col">Raised</th>
                <th scope="col">State</th>
                <th scope="col"><span class="visually-hidden">Actions</span></th>
              </tr>
            </thead>
            <tbody>
              {data.alarms.flatMap((a) => [
                <tr key={a.id} data-alarm={a.id}>
                  <td>
                    <Badge tone={SEVERITY_TONE[a.severity]}>{a.severity}</Badge>
                  </td>
                  <td>
                    <a href={deviceHref(a.deviceId, 'kpis')}>{a.deviceId}</a>
                  </td>
                  <td>{rules[a.ruleId] ?? a.ruleId}</td>
                  <td class="wrap">
                    {a.text}
                    {a.count > 1 ? <span class="muted"> (seen {count(a.count)}×)</span> : null}
                  </td>
                  <td title={localTime(a.raisedAt)}>{ago(a.raisedAt)}</td>
                  <td>
                    {a.state === 'active' ? <Badge tone="bad">active</Badge> : <Badge tone="ok">cleared {a.clearedAt ? ago(a.clearedAt) : ''}</Badge>}{' '}
                    {a.acknowledgedAt ? <Badge tone="muted" title={`by ${a.acknowledgedBy ?? '?'} ${localTime(a.acknowledgedAt)}`}>acknowledged</Badge> : null}
                  </td>
                  <td class="nowrap">
                    <Button small variant="ghost" onClick={() => showHistory(a.id)}>
                      History
                    </Button>{' '}
                    {canAct && a.acknowledgedAt === null ? (
                      <Button
                        small
                        onClick={() =>
                          api.post(`/alarms/${encodeURIComponent(a.id)}/acknowledge`).then(
                            () => (setMsg(`Acknowledged: ${a.text}`), reload()),
                            (e) => setMsg(errorText(e)),
                          )
                        }
                      >
                        Acknowledge
                      </Button>
                    ) : null}
                  </td>
                </tr>,
                open?.id === a.id ? (
                  <tr key={`${a.id}-history`}>
                    <td colSpan={7}>
                      <ol class="history" aria-label={`History of ${a.text}`}>
                        {open.history.map((h, i) => (
                          <li key={i}>
                            <span title={localTime(h.at)}>{ago(h.at)}</span> <strong>{h.action}</strong> {h.severity} {h.text}
                            {h.actor ? ` (${h.actor})` : ''}
                          </li>
                        ))}
                      </ol>
                    </td>
                  </tr>
                ) : null,
              ])}
            </tbody>
          </table>
        </div>
      )}
      <OffsetPager offset={offset} pageSize={PAGE} total={data.total} onOffset={setOffset} />
    </div>
  );
}
