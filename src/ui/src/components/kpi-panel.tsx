/**
 * A device's KPI series (docs/monitoring.md): the parameters it has samples of, and one
 * charted with uPlot — counters as their rate per second, others as their values — raw
 * samples for the last day or hourly averages for the last 90 days.
 */
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { devicePath, errorText } from '../api';
import { useApp } from '../app-context';
import { localTime } from '../format';
import { TimeLines } from './charts';
import { ErrorBox, Loading } from './ui';

interface Point {
  at?: string;
  hour?: string;
  value?: string;
  num?: number | null;
  rate?: number | null;
  avg?: number | null;
  source?: string;
}

export function DeviceKpis({ id, live }: { id: string; live: number }): JSX.Element {
  const { api } = useApp();
  const [paths, setPaths] = useState<string[] | null>(null);
  const [path, setPath] = useState<string>('');
  const [resolution, setResolution] = useState<'raw' | 'hour'>('raw');
  const [points, setPoints] = useState<Point[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api.get<{ paths: string[] }>(`${devicePath(id)}/series`).then(
      (r) => {
        setPaths(r.paths);
        if (path === '' && r.paths.length > 0) setPath(r.paths[0]!);
      },
      (e) => setError(errorText(e)),
    );
  }, [id, live]);
  useEffect(() => {
    if (path === '') return;
    const from = resolution === 'raw' ? '-24h' : '-90d';
    api.get<{ points: Point[] }>(`${devicePath(id)}/series/${encodeURIComponent(path)}?from=${from}&resolution=${resolution}&limit=5000`).then(
      (r) => setPoints(r.points),
      (e) => setError(errorText(e)),
    );
  }, [id, path, resolution, live]);
  if (error) return <ErrorBox error={error} />;
  if (paths === null) return <Loading what="KPIs" />;
  if (paths.length === 0) return <p class="muted">No KPI samples for this device yet: add a sampling profile, or set a notification on a parameter.</p>;
  const isRate = (points ?? []).some((p) => p.rate !== null && p.rate !== undefined);
  const x = (points ?? []).map((p) => Date.parse((p.at ?? p.hour)!) / 1000);
  const values = (points ?? []).map((p) => (resolution === 'hour' ? (p.avg ?? null) : isRate ? (p.rate ?? null) : (p.num ?? null)));
  const numeric = values.some((v) => v !== null);
  const last = points?.[points.length - 1];
  return (
    <section aria-label="KPIs">
      <form class="filters-row" onSubmit={(e) => e.preventDefault()}>
        <label>
          Parameter{' '}
          <select aria-label="KPI parameter" value={path} onChange={(e) => setPath((e.target as HTMLSelectElement).value)}>
            {paths.map((p) => (
              <option key={p} value={p}>
                {p}
              </option>
            ))}
          </select>
        </label>{' '}
        <label>
          Resolution{' '}
          <select value={resolution} onChange={(e) => setResolution((e.target as HTMLSelectElement).value as 'raw' | 'hour')}>
            <option value="raw">samples (24 h)</option>
            <option value="hour">hourly (90 days)</option>
          </select>
        </label>
      </form>
      {points === null ? <Loading what="series" /> : null}
      {points !== null && numeric ? (
        <TimeLines key={`${path}|${resolution}|${isRate}`} label={`${path} ${isRate ? 'rate' : 'value'}`} x={x} series={[{ label: path.split('.').pop() ?? path, values, unit: isRate ? '/s' : '' }]} />
      ) : null}
      {points !== null ? (
        <p class="muted" data-testid="kpi-summary">
          {points.length} {resolution === 'hour' ? 'hours' : 'samples'}
          {last ? ` · latest ${last.value ?? last.avg ?? ''}${isRate && last.rate != null ? ` (${last.rate.toFixed(1)}/s)` : ''} at ${localTime((last.at ?? last.hour)!)}` : ''}
        </p>
      ) : null}
      {points !== null && !numeric && points.length > 0 ? (
        <ul class="history" aria-label="Value history">
          {points
            .slice(-50)
            .reverse()
            .map((p, i) => (
              <li key={i}>
                {localTime(p.at!)} <code>{p.value}</code> <span class="muted">{p.source}</span>
              </li>
            ))}
        </ul>
      ) : null}
    </section>
  );
}
