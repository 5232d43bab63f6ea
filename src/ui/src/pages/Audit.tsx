/**
 * The audit log (admins): who changed what, when, from where, newest first; filters by actor,
 * action (a prefix with *) and time; the matching entries exported as CSV by the API itself
 * (GET /audit?format=csv, cells that could start a spreadsheet formula already quoted).
 */
import { Fragment, type JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { API_BASE, errorText } from '../api';
import { useApp } from '../app-context';
import { Badge, Button, ErrorBox, Field, Loading, OffsetPager } from '../components/ui';
import { ago, count, localTime } from '../format';

interface AuditEntry {
  id: number;
  at: string;
  actor: { kind: string; id: string; name: string };
  source: string;
  action: string;
  target: string | null;
  status: number;
  before: unknown;
  after: unknown;
}

interface Filters {
  actor: string;
  action: string;
  from: string;
  to: string;
}

const PAGE = 100;
const EMPTY: Filters = { actor: '', action: '', from: '', to: '' };

/** The API's query for these filters (datetime-local inputs are local times: sent as ISO 8601). */
export function auditQuery(f: Filters, extra: Record<string, string> = {}): URLSearchParams {
  const q = new URLSearchParams();
  if (f.actor.trim() !== '') q.set('actor', f.actor.trim());
  if (f.action.trim() !== '') q.set('action', f.action.trim());
  if (f.from !== '') q.set('from', new Date(f.from).toISOString());
  if (f.to !== '') q.set('to', new Date(f.to).toISOString());
  for (const [k, v] of Object.entries(extra)) q.set(k, v);
  return q;
}

const statusTone = (s: number): 'ok' | 'warn' | 'bad' | 'muted' => (s === 0 ? 'muted' : s < 300 ? 'ok' : s < 500 ? 'warn' : 'bad');

export function AuditPage(): JSX.Element {
  const { api } = useApp();
  const [draft, setDraft] = useState<Filters>(EMPTY);
  const [filters, setFilters] = useState<Filters>(EMPTY);
  const [offset, setOffset] = useState(0);
  const [data, setData] = useState<{ total: number; entries: AuditEntry[] } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [open, setOpen] = useState<number | null>(null);
  const [n, setN] = useState(0);
  useEffect(() => {
    let live = true;
    api.get<{ total: number; entries: AuditEntry[] }>(`/audit?${auditQuery(filters, { limit: String(PAGE), offset: String(offset) }).toString()}`).then(
      (d) => live && (setData(d), setError(null)),
      (e) => live && setError(errorText(e)),
    );
    return () => {
      live = false;
    };
  }, [filters, offset, n]);

  const exportCsv = async (): Promise<void> => {
    const res = await fetch(`${API_BASE}/audit?${auditQuery(filters, { format: 'csv' }).toString()}`, { headers: api.authHeaders('GET'), credentials: 'same-origin' });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const url = URL.createObjectURL(await res.blob());
    const a = document.createElement('a');
    a.href = url;
    a.download = 'flotilla-audit.csv';
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  };

  const set = (k: keyof Filters) => (e: { currentTarget: HTMLInputElement }) => setDraft({ ...draft, [k]: e.currentTarget.value });
  return (
    <div class="page">
      <header class="page-head">
        <h1>Audit log</h1>
        <span class="muted">{data ? `${count(data.total)} entries` : ''} Every change, sign-in and credential change; append-only.</span>
        <Button onClick={() => void exportCsv().catch((e) => setError(errorText(e)))}>Export CSV</Button>
      </header>
      <form
        class="filters-row"
        aria-label="Audit filters"
        onSubmit={(e) => {
          e.preventDefault();
          setOffset(0);
          setFilters(draft);
        }}
      >
        <Field label="Actor" inline>
          {(p) => <input {...p} name="actor" placeholder="name or id" value={draft.actor} maxLength={256} onInput={set('actor')} />}
        </Field>
        <Field label="Action" inline>
          {(p) => <input {...p} name="action" placeholder="sign-in*, POST /devices*" value={draft.action} maxLength={256} onInput={set('action')} />}
        </Field>
        <Field label="From" inline>
          {(p) => <input {...p} name="from" type="datetime-local" value={draft.from} onInput={set('from')} />}
        </Field>
        <Field label="To" inline>
          {(p) => <input {...p} name="to" type="datetime-local" value={draft.to} onInput={set('to')} />}
        </Field>
        <Button type="submit" variant="primary">
          Filter
        </Button>
        <Button onClick={() => (setDraft(EMPTY), setFilters(EMPTY), setOffset(0))}>Clear</Button>
      </form>
      {error ? <ErrorBox error={error} onRetry={() => setN((x) => x + 1)} /> : null}
      {data === null && error === null ? <Loading what="the audit log" /> : null}
      {data !== null ? (
        <>
          <div class="table-wrap">
            <table class="table" aria-label="Audit entries">
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Actor</th>
                  <th scope="col">Action</th>
                  <th scope="col">Target</th>
                  <th scope="col">Status</th>
                  <th scope="col">From</th>
                  <th scope="col"><span class="visually-hidden">Details</span></th>
                </tr>
              </thead>
              <tbody>
                {data.entries.length === 0 ? (
                  <tr>
                    <td colSpan={7} class="muted">No entries match.</td>
                  </tr>
                ) : null}
                {data.entries.map((e) => (
                  <Fragment key={e.id}>
                    <tr>
                      <td title={localTime(e.at)}>{ago(e.at)}</td>
                      <td class="wrap">
                        {e.actor.name} <span class="muted">({e.actor.kind})</span>
                      </td>
                      <td class="wrap">
                        <code>{e.action}</code>
                      </td>
                      <td class="wrap">{e.target ?? <span class="muted">—</span>}</td>
                      <td>
                        <Badge tone={statusTone(e.status)}>{e.status === 0 ? '—' : String(e.status)}</Badge>
                      </td>
                      <td>{e.source}</td>
                      <td>
                        <Button small variant="ghost" aria-expanded={open === e.id} onClick={() => setOpen(open === e.id ? null : e.id)}>
                          {open === e.id ? 'Hide' : 'Details'}
                        </Button>
                      </td>
                    </tr>
                    {open === e.id ? (
                      <tr>
                        <td colSpan={7}>
                          <div class="audit-detail">
                            <div>
                              <strong>Before</strong>
                              <pre>{JSON.stringify(e.before, null, 2)}</pre>
                            </div>
                            <div>
                              <strong>After</strong>
                              <pre>{JSON.stringify(e.after, null, 2)}</pre>
                            </div>
                          </div>
                        </td>
                      </tr>
                    ) : null}
                  </Fragment>
                ))}
              </tbody>
            </table>
          </div>
          <OffsetPager offset={offset} pageSize={PAGE} total={data.total} onOffset={setOffset} />
        </>
      ) : null}
    </div>
  );
}
