/**
 * Devices: search, filter, sort and page the fleet (all server-side through GET /devices), pick
 * columns, export CSV, and act on a selection or on the whole filter. The state lives in the
 * URL (?q=&f=&li=&sort=&page=&size=) so a view can be bookmarked and shared.
 */
import type { JSX } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { errorText, roleAllows, type DevicePage } from '../api';
import { useApp } from '../app-context';
import { BulkActions } from '../components/bulk-actions';
import { ColumnPicker, type VirtualColumn } from '../components/column-picker';
import { Badge, Button, ErrorBox, Field, OnlineBadge, Spinner } from '../components/ui';
import { columnFor, loadColumns, saveColumns, type Column } from '../columns';
import { download, exportCsv } from '../bulk';
import { deviceOnline } from '../deviceinfo';
import { LAST_INFORM_CHOICES, OPERATORS, build, SEARCH_HINT, searchFilter } from '../filters';
import { ago, count, localTime } from '../format';
import { deviceHref, navigate } from '../router';

const PAGE_SIZES = [25, 50, 100, 250];
const FILTER_FIELDS = [
  { value: 'tag', label: 'Tag' },
  { value: 'serialNumber', label: 'Serial number' },
  { value: 'productClass', label: 'Product class' },
  { value: 'manufacturer', label: 'Manufacturer' },
  { value: 'oui', label: 'OUI' },
  { value: 'id', label: 'Device id' },
  { value: 'lastInform', label: 'Last inform' },
  { value: 'firstInform', label: 'First inform' },
  { value: 'param', label: 'Parameter…' },
];

interface ViewState {
  q: string;
  f: string[];
  li: string;
  sort: string;
  page: number;
  size: number;
}

function readState(query: URLSearchParams): ViewState {
  const size = Number(query.get('size'));
  return {
    q: query.get('q') ?? '',
    f: query.getAll('f'),
    li: query.get('li') ?? '',
    sort: query.get('sort') ?? 'id',
    page: Math.max(0, Number(query.get('page') ?? 0) || 0),
    size: PAGE_SIZES.includes(size) ? size : 50,
  };
}

function writeState(s: ViewState, replace = false): void {
  const p = new URLSearchParams();
  if (s.q) p.set('q', s.q);
  for (const f of s.f) p.append('f', f);
  if (s.li) p.set('li', s.li);
  if (s.sort !== 'id') p.set('sort', s.sort);
  if (s.page > 0) p.set('page', String(s.page));
  if (s.size !== 50) p.set('size', String(s.size));
  const qs = p.toString();
  navigate(`/devices${qs ? `?${qs}` : ''}`, replace);
}

export function effectiveFilters(s: ViewState): string[] {
  const out = [...s.f];
  const search = searchFilter(s.q);
  if (search !== null) out.push(search);
  const li = LAST_INFORM_CHOICES.find((c) => c.value === s.li)?.filter;
  if (li) out.push(li);
  return out;
}

export function DevicesPage({ query }: { query: URLSearchParams }): JSX.Element {
  const app = useApp();
  const { api, role } = app;
  const state = readState(query);
  const filters = effectiveFilters(state);
  const filterKey = JSON.stringify([filters, state.sort, state.page, state.size]);
  const [columnKeys, setColumnKeys] = useState(loadColumns);
  const columns = useMemo(() => columnKeys.map(columnFor), [columnKeys]);
  const [page, setPage] = useState<DevicePage | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [search, setSearch] = useState(state.q);
  const [pickColumns, setPickColumns] = useState(false);
  const [virtualColumns, setVirtualColumns] = useState<VirtualColumn[]>([]);
  // The picker lists the virtual parameters, read each time it opens (they change rarely; the list is short).
  useEffect(() => {
    if (!pickColumns) return;
    api
      .get<{ virtualParameters: VirtualColumn[] }>('/virtual-parameters')
      .then((r) => setVirtualColumns(r.virtualParameters.map((v) => ({ path: v.path, ...(v.description !== undefined ? { description: v.description } : {}) }))))
      .catch(() => setVirtualColumns([]));
  }, [pickColumns]);
  const [reload, setReload] = useState(0);
  const tbody = useRef<HTMLTableSectionElement>(null);
  const canAct = roleAllows(role, 'operator');

  const fields = useMemo(() => [...new Set(['id', ...columns.flatMap((c) => c.fields)])], [columns]);

  useEffect(() => {
    const ctl = new AbortController();
    setLoading(true);
    api
      .devices({ filter: filters, sort: state.sort, limit: state.size, offset: state.page * state.size, fields }, ctl.signal)
      .then(
        (p) => {
          setPage(p);
          setError(null);
        },
        (e: unknown) => {
          if (!ctl.signal.aborted) setError(errorText(e));
        },
      )
      .finally(() => {
        if (!ctl.signal.aborted) setLoading(false);
      });
    return () => ctl.abort();
  }, [filterKey, fields.join(','), reload]);

  useEffect(() => setSearch(state.q), [state.q]);

  // The search box filters as you type (debounced), without a history entry per keystroke.
  useEffect(() => {
    if (search === state.q) return;
    const t = setTimeout(() => writeState({ ...state, q: search, page: 0 }, true), 350);
    return () => clearTimeout(t);
  }, [search]);

  const set = (patch: Partial<ViewState>): void => {
    setSelected(new Set());
    writeState({ ...state, page: 0, ...patch });
  };

  const total = page?.total ?? 0;
  const pages = Math.max(1, Math.ceil(total / state.size));
  const rows = page?.devices ?? [];
  const allOnPage = rows.length > 0 && rows.every((d) => selected.has(d.id));

  const sortBy = (c: Column): void => {
    if (!c.sort) return;
    const cur = state.sort.replace(/^-/, '');
    const desc = state.sort.startsWith('-');
    set({ sort: cur === c.sort ? (desc ? c.sort : `-${c.sort}`) : c.kind === 'time' ? `-${c.sort}` : c.sort });
  };

  const onRowKey = (e: KeyboardEvent): void => {
    if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp' && e.key !== 'Home' && e.key !== 'End') return;
    const links = [...(tbody.current?.querySelectorAll<HTMLAnchorElement>('a.row-link') ?? [])];
    const i = links.indexOf(document.activeElement as HTMLAnchorElement);
    if (i < 0 && !(e.target as Element).closest('tr')) return;
    const row = (e.target as Element).closest('tr');
    const cur = i >= 0 ? i : links.findIndex((l) => l.closest('tr') === row);
    const next = e.key === 'Home' ? 0 : e.key === 'End' ? links.length - 1 : cur + (e.key === 'ArrowDown' ? 1 : -1);
    const target = links[Math.max(0, Math.min(links.length - 1, next))];
    if (target) {
      e.preventDefault();
      target.focus();
    }
  };

  const csv = async (): Promise<void> => {
    const cols = [{ label: 'id', fields: ['id'], value: (d: { id: string }) => d.id }, ...columns.map((c) => ({ label: c.label, fields: c.fields, value: c.text }))];
    const text = await exportCsv(app, filters, state.sort, cols, total);
    if (text !== null) download(`flotilla-devices-${new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-')}.csv`, text);
  };

  return (
    <div class="page">
      <header class="page-head">
        <h1>Devices</h1>
        <span class="muted" role="status" aria-live="polite">
          {loading ? <Spinner /> : null} {page ? `${count(total)} ${total === 1 ? 'device' : 'devices'}` : ''}
        </span>
      </header>

      <form
        class="toolbar"
        role="search"
        aria-label="Find devices"
        onSubmit={(e) => {
          e.preventDefault();
          writeState({ ...state, q: search, page: 0 });
        }}
      >
        <Field label="Search" hint={SEARCH_HINT} inline>
          {(p) => <input {...p} type="search" class="search" placeholder="Serial number, or Device.DeviceInfo.SoftwareVersion = 2.1" value={search} onInput={(e) => setSearch(e.currentTarget.value)} />}
        </Field>
        <Field label="Last inform" inline>
          {(p) => (
            <select {...p} value={state.li} onChange={(e) => set({ li: e.currentTarget.value })}>
              {LAST_INFORM_CHOICES.map((c) => (
                <option key={c.value} value={c.value}>
                  {c.label}
                </option>
              ))}
            </select>
          )}
        </Field>
        <AddFilter onAdd={(f) => set({ f: [...state.f, f] })} />
        <div class="toolbar-end">
          <Button onClick={() => setPickColumns(true)}>Columns</Button>
          <Button onClick={() => void csv()} disabled={total === 0}>
            Export CSV
          </Button>
        </div>
      </form>

      {state.f.length > 0 ? (
        <ul class="chips" aria-label="Filters">
          {state.f.map((f, i) => (
            <li key={f + i} class="chip">
              <code>{f}</code>
              <button type="button" class="chip-x" aria-label={`Remove filter ${f}`} onClick={() => set({ f: state.f.filter((_, j) => j !== i) })}>
                ✕
              </button>
            </li>
          ))}
          <li>
            <Button small variant="ghost" onClick={() => set({ f: [] })}>
              Clear filters
            </Button>
          </li>
        </ul>
      ) : null}

      {canAct ? <BulkActions selected={[...selected]} filters={filters} total={total} onDone={() => setReload((r) => r + 1)} onClear={() => setSelected(new Set())} /> : null}

      {error ? <ErrorBox error={error} onRetry={() => setReload((r) => r + 1)} /> : null}

      <div class="table-wrap">
        <table class="table table-devices" aria-label="Devices" aria-busy={loading}>
          <thead>
            <tr>
              {canAct ? (
                <th scope="col" class="col-check">
                  <input
                    type="checkbox"
                    aria-label="Select all devices on this page"
                    checked={allOnPage}
                    onChange={(e) => {
                      const next = new Set(selected);
                      const on = e.currentTarget.checked;
                      for (const d of rows) {
                        if (on) next.add(d.id);
                        else next.delete(d.id);
                      }
                      setSelected(next);
                    }}
                  />
                </th>
              ) : null}
              <SortHeader label="Device" sortKey="id" state={state.sort} onSort={() => sortBy({ key: 'id', label: 'Device', fields: [], sort: 'id', text: () => '' })} />
              {columns.map((c) => (c.sort ? <SortHeader key={c.key} label={c.label} title={c.key} sortKey={c.sort} state={state.sort} onSort={() => sortBy(c)} /> : <th key={c.key} scope="col">{c.label}</th>))}
            </tr>
          </thead>
          <tbody ref={tbody} onKeyDown={onRowKey}>
            {rows.map((d) => (
              <tr key={d.id} class={selected.has(d.id) ? 'selected' : ''}>
                {canAct ? (
                  <td class="col-check">
                    <input
                      type="checkbox"
                      aria-label={`Select ${d.id}`}
                      checked={selected.has(d.id)}
                      onChange={(e) => {
                        const next = new Set(selected);
                        if (e.currentTarget.checked) next.add(d.id);
                        else next.delete(d.id);
                        setSelected(next);
                      }}
                    />
                  </td>
                ) : null}
                <td class="col-id">
                  <a class="row-link" href={deviceHref(d.id)}>
                    {d.id}
                  </a>
                </td>
                {columns.map((c) => (
                  <td key={c.key}>
                    <Cell column={c} device={d} />
                  </td>
                ))}
              </tr>
            ))}
            {page && rows.length === 0 ? (
              <tr>
                <td colSpan={columns.length + 2} class="empty">
                  No device matches.
                </td>
              </tr>
            ) : null}
          </tbody>
        </table>
      </div>

      <nav class="pager" aria-label="Pages">
        <Field label="Per page" inline>
          {(p) => (
            <select {...p} value={String(state.size)} onChange={(e) => set({ size: Number(e.currentTarget.value) })}>
              {PAGE_SIZES.map((s) => (
                <option key={s} value={String(s)}>
                  {s}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Button small disabled={state.page === 0} onClick={() => writeState({ ...state, page: 0 })} aria-label="First page">
          «
        </Button>
        <Button small disabled={state.page === 0} onClick={() => writeState({ ...state, page: state.page - 1 })} aria-label="Previous page">
          ‹ Prev
        </Button>
        <span>
          Page {state.page + 1} of {pages}
        </span>
        <Button small disabled={state.page + 1 >= pages} onClick={() => writeState({ ...state, page: state.page + 1 })} aria-label="Next page">
          Next ›
        </Button>
        <Button small disabled={state.page + 1 >= pages} onClick={() => writeState({ ...state, page: pages - 1 })} aria-label="Last page">
          »
        </Button>
      </nav>

      <ColumnPicker
        open={pickColumns}
        current={columnKeys}
        virtual={virtualColumns}
        onClose={() => setPickColumns(false)}
        onSave={(keys) => {
          saveColumns(keys);
          setColumnKeys(keys);
          setPickColumns(false);
        }}
      />
    </div>
  );
}

function SortHeader({ label, sortKey, state, onSort, title }: { label: string; sortKey: string; state: string; onSort: () => void; title?: string }): JSX.Element {
  const active = state.replace(/^-/, '') === sortKey;
  const desc = state.startsWith('-');
  return (
    <th scope="col" aria-sort={active ? (desc ? 'descending' : 'ascending') : 'none'} title={title}>
      <button type="button" class="sort" onClick={onSort}>
        {label}
        <span aria-hidden="true" class="sort-mark">
          {active ? (desc ? '▼' : '▲') : '↕'}
        </span>
      </button>
    </th>
  );
}

function Cell({ column, device }: { column: Column; device: import('../api').DeviceSummary }): JSX.Element {
  switch (column.kind) {
    case 'time': {
      const v = column.text(device);
      return <time dateTime={v} title={localTime(v)}>{ago(v || null)}</time>;
    }
    case 'tags':
      return (
        <span class="tags">
          {(device.tags ?? []).map((t) => (
            <Badge key={t}>{t}</Badge>
          ))}
        </span>
      );
    case 'status':
      return <OnlineBadge online={deviceOnline(device)} />;
    default: {
      const v = column.text(device);
      return <span title={v}>{v}</span>;
    }
  }
}

function AddFilter({ onAdd }: { onAdd: (f: string) => void }): JSX.Element {
  const [open, setOpen] = useState(false);
  const [field, setField] = useState('tag');
  const [path, setPath] = useState('');
  const [op, setOp] = useState('=');
  const [value, setValue] = useState('');
  const [error, setError] = useState<string | null>(null);
  if (!open)
    return (
      <Button onClick={() => setOpen(true)} aria-expanded="false">
        + Filter
      </Button>
    );
  const submit = (): void => {
    const lhs = field === 'param' ? path.trim() : field;
    if (lhs === '' || (field === 'param' && !lhs.includes('.'))) return setError('A parameter path, e.g. Device.DeviceInfo.SoftwareVersion');
    if (op === 'exists' || op === '!exists') {
      onAdd(`${op}(${lhs})`);
    } else {
      if (value.trim() === '') return setError('A value is needed');
      onAdd(build(lhs, op, value.trim()));
    }
    setOpen(false);
    setValue('');
    setError(null);
  };
  const isTime = field === 'lastInform' || field === 'firstInform';
  return (
    <fieldset class="add-filter">
      <legend class="visually-hidden">Add a filter</legend>
      <Field label="Field" inline>
        {(p) => (
          <select {...p} value={field} onChange={(e) => setField(e.currentTarget.value)}>
            {FILTER_FIELDS.map((f) => (
              <option key={f.value} value={f.value}>
                {f.label}
              </option>
            ))}
          </select>
        )}
      </Field>
      {field === 'param' ? (
        <Field label="Parameter path" inline>
          {(p) => <input {...p} value={path} placeholder="Device.DeviceInfo.SoftwareVersion" onInput={(e) => setPath(e.currentTarget.value)} />}
        </Field>
      ) : null}
      <Field label="Operator" inline>
        {(p) => (
          <select {...p} value={op} onChange={(e) => setOp(e.currentTarget.value)}>
            {OPERATORS.map((o) => (
              <option key={o} value={o}>
                {o === '^=' ? 'starts with' : o === '~=' ? 'matches (* ?)' : o}
              </option>
            ))}
            {field === 'param' || isTime ? (
              <>
                <option value="exists">exists</option>
                <option value="!exists">does not exist</option>
              </>
            ) : null}
          </select>
        )}
      </Field>
      {op !== 'exists' && op !== '!exists' ? (
        <Field label="Value" inline error={error} hint={isTime ? 'ISO time or -15m, -2h, -7d' : undefined}>
          {(p) => (
            <input
              {...p}
              value={value}
              onInput={(e) => setValue(e.currentTarget.value)}
              onKeyDown={(e) => {
                if (e.key === 'Enter') {
                  e.preventDefault();
                  submit();
                }
              }}
            />
          )}
        </Field>
      ) : null}
      <Button small variant="primary" onClick={submit}>
        Add
      </Button>
      <Button small variant="ghost" onClick={() => setOpen(false)}>
        Cancel
      </Button>
    </fieldset>
  );
}
