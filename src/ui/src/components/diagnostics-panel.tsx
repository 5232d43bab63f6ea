/**
 * A device's diagnostics: run one (ping, traceroute, download, upload, DNS lookup), the runs
 * newest first with their key figure, and a chart of round trips and throughput per run
 * (GET /devices/{id}/diagnostics).
 */
import type { JSX } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { devicePath, errorText, roleAllows } from '../api';
import { useApp } from '../app-context';
import { ago, localTime } from '../format';
import { TimeLines } from './charts';
import { Badge, Button, ErrorBox, Field, Loading } from './ui';

interface Run {
  id: string;
  type: string;
  state: 'queued' | 'requested' | 'complete' | 'failed' | 'expired';
  input: Record<string, unknown>;
  createdAt: string;
  finishedAt: string | null;
  error: string | null;
  result: Record<string, unknown> | null;
}

const TONES: Record<Run['state'], 'info' | 'warn' | 'ok' | 'bad' | 'muted'> = { queued: 'info', requested: 'warn', complete: 'ok', failed: 'bad', expired: 'muted' };

const KINDS: { type: string; label: string; field: 'host' | 'url'; placeholder: string }[] = [
  { type: 'ipPing', label: 'Ping', field: 'host', placeholder: 'host or address' },
  { type: 'traceRoute', label: 'Traceroute', field: 'host', placeholder: 'host or address' },
  { type: 'nsLookup', label: 'DNS lookup', field: 'host', placeholder: 'host name' },
  { type: 'downloadDiagnostics', label: 'Download', field: 'url', placeholder: 'http://…/download?size=10000000' },
  { type: 'uploadDiagnostics', label: 'Upload', field: 'url', placeholder: 'http://…/upload' },
];

/** The figure that matters for a run, in words. */
export function runFigure(r: Run): string {
  const res = r.result as Record<string, any> | null; // eslint-disable-line @typescript-eslint/no-explicit-any
  if (r.error !== null) return r.error;
  if (res === null) return '';
  switch (res.kind) {
    case 'ping':
      return `${res.successCount ?? '?'} ok, ${res.lossPercent ?? '?'}% loss, avg ${fmt(res.rtt?.avgMs)} ms`;
    case 'trace':
      return `${res.hopCount} hops, ${fmt(res.responseTimeMs)} ms`;
    case 'transfer':
      return `${fmtBytes(res.testBytes)} in ${fmt(res.durationMs)} ms, ${fmtRate(res.throughputBps)}`;
    case 'nslookup':
      return (res.answers as { ipAddresses: string[] }[]).flatMap((a) => a.ipAddresses).join(', ') || 'no answer';
    case 'serverSelection':
      return `fastest ${res.fastestHost} (${fmt(res.rtt?.avgMs)} ms)`;
    default:
      return res.diagnosticsState ?? '';
  }
}

const fmt = (n: unknown): string => (typeof n === 'number' ? (Math.round(n * 100) / 100).toString() : '?');
const fmtBytes = (n: unknown): string => (typeof n === 'number' ? (n >= 1e6 ? `${(n / 1e6).toFixed(1)} MB` : `${n} B`) : '?');
const fmtRate = (n: unknown): string => (typeof n === 'number' ? (n >= 1e6 ? `${(n / 1e6).toFixed(1)} Mbit/s` : `${(n / 1e3).toFixed(0)} kbit/s`) : '?');

export function DeviceDiagnostics({ id, live }: { id: string; live: number }): JSX.Element {
  const { api, role } = useApp();
  const [runs, setRuns] = useState<Run[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);
  const [kind, setKind] = useState(KINDS[0]!);
  const [target, setTarget] = useState('');
  const [busy, setBusy] = useState(false);
  const [formError, setFormError] = useState<string | null>(null);

  useEffect(() => {
    let stop = false;
    api.get<{ runs: Run[] }>(`${devicePath(id)}/diagnostics?limit=200`).then(
      (v) => {
        if (stop) return;
        setRuns(v.runs);
        setError(null);
      },
      (e) => !stop && setError(errorText(e)),
    );
    return () => {
      stop = true;
    };
  }, [id, live, tick]);
  // Open runs finish in a later session: look again while any is open.
  useEffect(() => {
    if (runs === null || !runs.some((r) => r.state === 'queued' || r.state === 'requested')) return;
    const t = setTimeout(() => setTick((x) => x + 1), 2000);
    return () => clearTimeout(t);
  }, [runs]);

  const chart = useMemo(() => {
    const done = (runs ?? []).filter((r) => r.state === 'complete' && r.finishedAt !== null).reverse();
    const rtt = done.filter((r) => r.result?.kind === 'ping');
    const thr = done.filter((r) => r.result?.kind === 'transfer');
    const points = [...rtt, ...thr].sort((a, b) => Date.parse(a.finishedAt!) - Date.parse(b.finishedAt!));
    const x = points.map((r) => Math.floor(Date.parse(r.finishedAt!) / 1000));
    const ping = points.map((r) => (r.result?.kind === 'ping' ? ((r.result.rtt as { avgMs: number | null }).avgMs ?? null) : null));
    const mbps = points.map((r) => (r.result?.kind === 'transfer' && typeof r.result.throughputBps === 'number' ? r.result.throughputBps / 1e6 : null));
    return { x, ping, mbps, any: points.length > 0 };
  }, [runs]);

  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    const value = target.trim();
    if (value === '') return setFormError(`Enter a ${kind.field === 'url' ? 'URL' : 'host'}.`);
    setBusy(true);
    setFormError(null);
    try {
      await api.createTask(id, { type: kind.type, [kind.field]: value });
      setTick((x) => x + 1);
    } catch (err) {
      setFormError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="stack-gap">
      {roleAllows(role, 'operator') ? (
        <form class="toolbar" onSubmit={(e) => void submit(e)} aria-label="Run a diagnostic">
          <Field label="Diagnostic" inline>
            {(p) => (
              <select {...p} value={kind.type} onChange={(e) => setKind(KINDS.find((k) => k.type === (e.target as HTMLSelectElement).value) ?? KINDS[0]!)}>
                {KINDS.map((k) => (
                  <option key={k.type} value={k.type}>
                    {k.label}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label={kind.field === 'url' ? 'URL' : 'Host'} inline error={formError}>
            {(p) => <input {...p} name="target" value={target} placeholder={kind.placeholder} onInput={(e) => setTarget((e.target as HTMLInputElement).value)} />}
          </Field>
          <Button type="submit" variant="primary" busy={busy}>
            Run
          </Button>
        </form>
      ) : null}
      {error ? <ErrorBox error={error} onRetry={() => setTick((x) => x + 1)} /> : null}
      {runs === null && error === null ? <Loading what="diagnostics" /> : null}
      {chart.any ? (
        <TimeLines
          label="Diagnostic results"
          x={chart.x}
          series={[
            { label: 'ping avg', values: chart.ping, unit: 'ms' },
            { label: 'throughput', values: chart.mbps, unit: 'Mbit/s' },
          ]}
        />
      ) : null}
      {runs !== null && runs.length === 0 ? <p class="muted">No diagnostics run on this device yet.</p> : null}
      {runs !== null && runs.length > 0 ? (
        <div class="table-wrap">
          <table class="table" aria-label="Diagnostic runs">
            <thead>
              <tr>
                <th scope="col">Diagnostic</th>
                <th scope="col">Target</th>
                <th scope="col">State</th>
                <th scope="col">Result</th>
                <th scope="col">Started</th>
              </tr>
            </thead>
            <tbody>
              {runs.map((r) => (
                <tr key={r.id} data-run={r.id} data-state={r.state}>
                  <td>{r.type}</td>
                  <td class="wrap">
                    <code>{String(r.input.host ?? r.input.url ?? (r.input.hosts as string[] | undefined)?.join(', ') ?? '')}</code>
                  </td>
                  <td>
                    <Badge tone={TONES[r.state]}>{r.state}</Badge>
                  </td>
                  <td class="wrap">{runFigure(r)}</td>
                  <td title={localTime(r.createdAt)}>{ago(r.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </div>
  );
}
