/**
 * Charts: categorical counts as labelled horizontal bars (readable at a glance and by a screen
 * reader: each bar is text), time series with uPlot (canvas, ~50 KB).
 */
import type { JSX } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { count } from '../format';

export interface BarItem {
  label: string;
  value: number;
  tone?: 'ok' | 'bad' | 'warn' | 'info' | 'muted';
  href?: string;
}

export function BarList({ items, label, max: maxItems = 8 }: { items: BarItem[]; label: string; max?: number }): JSX.Element {
  const shown = items.slice(0, maxItems);
  const rest = items.slice(maxItems).reduce((s, i) => s + i.value, 0);
  if (rest > 0) shown.push({ label: `${items.length - maxItems} more`, value: rest, tone: 'muted' });
  const max = Math.max(1, ...shown.map((i) => i.value));
  const total = items.reduce((s, i) => s + i.value, 0);
  if (shown.length === 0) return <p class="muted">No devices.</p>;
  return (
    <ul class="bars" aria-label={label}>
      {shown.map((i) => (
        <li key={i.label} class="bar-row">
          <span class="bar-label" title={i.label}>
            {i.href ? <a href={i.href}>{i.label}</a> : i.label}
          </span>
          <span class="bar-track" aria-hidden="true">
            <span class={`bar-fill bar-${i.tone ?? 'info'}`} style={{ width: `${(i.value / max) * 100}%` }} />
          </span>
          <span class="bar-value">
            {count(i.value)}
            <span class="muted"> {total > 0 ? `${Math.round((i.value / total) * 100)}%` : ''}</span>
          </span>
        </li>
      ))}
    </ul>
  );
}

/** A stacked one-line bar (online / offline / never). */
export function StackBar({ parts, label }: { parts: BarItem[]; label: string }): JSX.Element {
  const total = parts.reduce((s, p) => s + p.value, 0);
  return (
    <div>
      <div class="stack" role="img" aria-label={`${label}: ${parts.map((p) => `${p.label} ${p.value}`).join(', ')}`}>
        {parts.map((p) =>
          p.value > 0 ? <span key={p.label} class={`stack-part bar-${p.tone ?? 'info'}`} style={{ width: `${(p.value / Math.max(1, total)) * 100}%` }} /> : null,
        )}
      </div>
      <ul class="legend">
        {parts.map((p) => (
          <li key={p.label}>
            <span class={`swatch bar-${p.tone ?? 'info'}`} aria-hidden="true" />
            {p.label} <strong>{count(p.value)}</strong>
          </li>
        ))}
      </ul>
    </div>
  );
}

function cssVar(name: string, fallback: string): string {
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return v || fallback;
}

/** Counts per minute as bars over time (uPlot). `x` in seconds since the epoch. */
export function TimeBars({ x, y, label, height = 180 }: { x: number[]; y: number[]; label: string; height?: number }): JSX.Element {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  useEffect(() => {
    const el = box.current;
    if (el === null) return;
    const fg = cssVar('--muted', '#57606a');
    const grid = cssVar('--border', '#d0d7de');
    const accent = cssVar('--accent', '#0969da');
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height,
      legend: { show: false },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
      axes: [
        { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid } },
        { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid }, size: 40 },
      ],
      series: [{}, { label, stroke: accent, fill: accent + '99', width: 1, paths: uPlot.paths.bars!({ size: [0.8, 40] }), points: { show: false } }],
    };
    plot.current = new uPlot(opts, [x, y], el);
    const resize = new ResizeObserver(() => plot.current?.setSize({ width: Math.max(200, el.clientWidth), height }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
    // Built once; data updates go through setData below.
  }, [height, label]);
  useEffect(() => {
    plot.current?.setData([x, y]);
  }, [x, y]);
  const total = y.reduce((s, v) => s + v, 0);
  return <div ref={box} class="timechart" role="img" aria-label={`${label}: ${total} in the last ${x.length} minutes`} />;
}

/**
 * One or more series over time as lines with points (uPlot): e.g. a device's ping round trips
 * and download throughput per run. `x` in seconds since the epoch; a null is a gap.
 */
export function TimeLines({
  x,
  series,
  label,
  height = 200,
}: {
  x: number[];
  series: { label: string; values: (number | null)[]; unit: string }[];
  label: string;
  height?: number;
}): JSX.Element {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const key = series.map((s) => `${s.label}|${s.unit}`).join(',');
  useEffect(() => {
    const el = box.current;
    if (el === null) return;
    const fg = cssVar('--muted', '#57606a');
    const grid = cssVar('--border', '#d0d7de');
    const colours = [cssVar('--accent', '#0969da'), '#bf8700', '#1a7f37', '#cf222e'];
    const units = [...new Set(series.map((s) => s.unit))];
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height,
      cursor: { drag: { x: false, y: false } },
      // One point alone would stretch the time axis over years: show the hour around it.
      scales: { x: { time: true, range: (_u: uPlot, min: number, max: number): [number, number] => (max - min < 60 ? [min - 1800, max + 1800] : [min, max]) }, ...Object.fromEntries(units.map((u) => [u, { range: (_u: uPlot, _min: number, max: number): [number, number] => [0, Math.max(1, max * 1.1)] }])) },
      axes: [
        { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid } },
        ...units.map((u, i) => ({ scale: u, label: u, stroke: fg, side: i === 0 ? 3 : 1, grid: { show: i === 0, stroke: grid, width: 1 }, ticks: { stroke: grid }, size: 56 })),
      ],
      series: [{}, ...series.map((s, i) => ({ label: `${s.label} (${s.unit})`, scale: s.unit, stroke: colours[i % colours.length]!, width: 2, points: { show: true, size: 6 }, spanGaps: true }))],
    };
    plot.current = new uPlot(opts, [x, ...series.map((s) => s.values)] as uPlot.AlignedData, el);
    const resize = new ResizeObserver(() => plot.current?.setSize({ width: Math.max(200, el.clientWidth), height }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
  }, [height, key]);
  useEffect(() => {
    plot.current?.setData([x, ...series.map((s) => s.values)] as uPlot.AlignedData);
  }, [x, series]);
  return <div ref={box} class="timechart" role="img" aria-label={`${label}: ${x.length} points`} />;
}
