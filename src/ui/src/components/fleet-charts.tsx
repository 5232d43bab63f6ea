/**
 * Fleet charts on the overview (uPlot, as the device KPI tab):
 *  - sessions per minute, live: every `device.inform` on the event stream (one per session of
 *    any device), counted by minute since the page opened;
 *  - one KPI across the devices a filter matches, over a window: the series aggregate API
 *    (`/series/aggregate`, counters as rates) asked once per bucket (24 of them) for the
 *    chosen statistic, and once over the whole window for the summary line.
 */
import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { errorText } from '../api';
import { useApp } from '../app-context';
import { TimeBars, TimeLines } from './charts';
import { Card, ErrorBox } from './ui';

const MINUTES = 60;

export function FleetSessions(): JSX.Element {
  const { stream } = useApp();
  const counts = useRef(new Map<number, number>());
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const off = stream.subscribe((e) => {
      if (e.type !== 'device.inform') return;
      const m = Math.floor(e.at / 60_000);
      counts.current.set(m, (counts.current.get(m) ?? 0) + 1);
      setNow(Date.now());
    });
    const tick = setInterval(() => setNow(Date.now()), 15_000);
    return () => {
      off();
      clearInterval(tick);
    };
  }, [stream]);
  const start = Math.floor(now / 60_000) - (MINUTES - 1);
  const x: number[] = [];
  const y: number[] = [];
  for (let i = 0; i < MINUTES; i++) {
    x.push((start + i) * 60);
    y.push(counts.current.get(start + i) ?? 0);
  }
  const total = y.reduce((a, b) => a + b, 0);
  return (
    <Card title="Sessions per minute" class="span-2">
      <TimeBars x={x} y={y} label="Sessions per minute" />
      <p class="muted small" data-testid="fleet-sessions">
        {total} sessions since this page opened (live, from the event stream)
      </p>
    </Card>
  );
}

interface Aggregate {
  matched: number | null;
  devices: number;
  count: number;
  min: number | null;
  max: number | null;
  avg: number | null;
  percentiles: Record<string, number | null>;
}

type Stat = 'avg' | 'p50' | 'p95' | 'max' | 'min';
const WINDOWS: { label: string; ms: number }[] = [
  { label: '1 hour', ms: 3_600_000 },
  { label: '24 hours', ms: 86_400_000 },
  { label: '7 days', ms: 7 * 86_400_000 },
];
const BUCKETS = 24;
const COMMON = [
  'Device.IP.Interface.1.Stats.BytesReceived',
  'Device.IP.Interface.1.Stats.BytesSent',
  'Device.DeviceInfo.ProcessStatus.CPUUsage',
  'Device.DeviceInfo.MemoryStatus.Free',
  'Device.WiFi.AccessPoint.1.AssociatedDeviceNumberOfEntries',
];

const statOf = (a: Aggregate, s: Stat): number | null => (s === 'p50' ? (a.percentiles['50'] ?? null) : s === 'p95' ? (a.percentiles['95'] ?? null) : a[s]);

function fmt(v: number | null): string {
  if (v === null) return '–';
  return Math.abs(v) >= 100 ? Math.round(v).toLocaleString('en') : v.toFixed(2);
}

export function FleetKpi(): JSX.Element {
  const { api } = useApp();
  const [known, setKnown] = useState<string[]>(COMMON);
  const [form, setForm] = useState({ path: '', filter: '', window: 1, stat: 'avg' as Stat });
  const [asked, setAsked] = useState<typeof form | null>(null);
  const [result, setResult] = useState<{ x: number[]; values: (number | null)[]; whole: Aggregate } | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  // The sampling profiles' parameters are what the fleet has series of.
  useEffect(() => {
    api.get<{ profiles: { parameters: { path: string }[] }[] }>('/sampling-profiles').then(
      (r) => {
        const paths = [...new Set([...r.profiles.flatMap((p) => p.parameters.map((x) => x.path)), ...COMMON])];
        setKnown(paths);
        setForm((f) => (f.path === '' ? { ...f, path: paths[0] ?? '' } : f));
      },
      () => setForm((f) => (f.path === '' ? { ...f, path: COMMON[0]! } : f)),
    );
  }, [api]);

  useEffect(() => {
    if (asked === null || asked.path === '') return;
    const ctl = new AbortController();
    const end = Date.now();
    const span = WINDOWS[asked.window]!.ms;
    const start = end - span;
    const step = span / BUCKETS;
    const query = (from: number, to: number): string => {
      const p = new URLSearchParams({ path: asked.path, from: String(Math.floor(from)), to: String(Math.floor(to)), percentiles: '50,95' });
      for (const f of asked.filter.split('\n').map((s) => s.trim()).filter(Boolean)) p.append('filter', f);
      return `/series/aggregate?${p.toString()}`;
    };
    setBusy(true);
    setError(null);
    (async () => {
      const whole = await api.get<Aggregate>(query(start, end), ctl.signal);
      // A few at a time: each one pages the filter's devices on the server.
      const values: (number | null)[] = new Array(BUCKETS).fill(null);
      let next = 0;
      await Promise.all(
        Array.from({ length: 4 }, async () => {
          while (next < BUCKETS) {
            const i = next++;
            const a = await api.get<Aggregate>(query(start + i * step, start + (i + 1) * step), ctl.signal);
            values[i] = a.count > 0 ? statOf(a, asked.stat) : null;
          }
        }),
      );
      const x = values.map((_, i) => Math.floor((start + (i + 0.5) * step) / 1000));
      if (!ctl.signal.aborted) setResult({ x, values, whole });
    })().then(
      () => setBusy(false),
      (e: unknown) => {
        if (ctl.signal.aborted) return;
        setBusy(false);
        setResult(null);
        setError(errorText(e));
      },
    );
    return () => ctl.abort();
  }, [api, asked]);

  const set = (patch: Partial<typeof form>): void => setForm((f) => ({ ...f, ...patch }));
  const w = result?.whole;
  return (
    <Card title="KPI across the fleet" class="span-2">
      <form
        class="filters-row"
        aria-label="Fleet KPI"
        onSubmit={(e) => {
          e.preventDefault();
          setAsked({ ...form });
        }}
      >
        <label>
          Parameter{' '}
          <input
            aria-label="KPI parameter"
            list="fleet-kpi-paths"
            size={48}
            value={form.path}
            onInput={(e) => set({ path: (e.target as HTMLInputElement).value.trim() })}
          />
          <datalist id="fleet-kpi-paths">
            {known.map((p) => (
              <option key={p} value={p} />
            ))}
          </datalist>
        </label>{' '}
        <label>
          Devices{' '}
          <input
            aria-label="Device filter"
            placeholder='e.g. Device.DeviceInfo.SoftwareVersion = "2.1" (empty: all)'
            size={40}
            value={form.filter}
            onInput={(e) => set({ filter: (e.target as HTMLInputElement).value })}
          />
        </label>{' '}
        <label>
          Over{' '}
          <select aria-label="Window" value={String(form.window)} onChange={(e) => set({ window: Number((e.target as HTMLSelectElement).value) })}>
            {WINDOWS.map((x, i) => (
              <option key={x.label} value={String(i)}>
                {x.label}
              </option>
            ))}
          </select>
        </label>{' '}
        <label>
          Statistic{' '}
          <select aria-label="Statistic" value={form.stat} onChange={(e) => set({ stat: (e.target as HTMLSelectElement).value as Stat })}>
            <option value="avg">average</option>
            <option value="p50">median</option>
            <option value="p95">95th percentile</option>
            <option value="max">maximum</option>
            <option value="min">minimum</option>
          </select>
        </label>{' '}
        <button type="submit" disabled={busy || form.path === ''}>
          {busy ? 'Loading…' : 'Chart'}
        </button>
      </form>
      {error ? <ErrorBox error={error} /> : null}
      {asked === null ? <p class="muted small">Choose a parameter (counters are charted as rates per second) and, optionally, a device filter in the search language.</p> : null}
      {result !== null && asked !== null ? (
        <>
          {result.values.some((v) => v !== null) ? (
            <TimeLines
              key={`${asked.path}|${asked.stat}`}
              label={`${asked.stat} of ${asked.path} across the fleet`}
              x={result.x}
              series={[{ label: asked.path.split('.').pop() ?? asked.path, values: result.values, unit: asked.stat }]}
            />
          ) : (
            <p class="muted">No samples of this parameter in the window.</p>
          )}
          <p class="muted small" data-testid="fleet-kpi-summary">
            {w!.matched !== null ? `${w!.matched} devices match · ` : ''}
            {w!.devices} with samples · {w!.count} samples · avg {fmt(w!.avg)} · median {fmt(w!.percentiles['50'] ?? null)} · p95 {fmt(w!.percentiles['95'] ?? null)} · max {fmt(w!.max)}
          </p>
        </>
      ) : null}
    </Card>
  );
}
