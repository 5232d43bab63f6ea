/**
 * Firmware campaigns: the list, the new-campaign form with its dry run (devices per wave,
 * skipped and why), and the live page of one campaign (per-wave progress, states over time,
 * failures with their faults, pause/resume/abort/retry). Live through the event stream
 * (campaign.* events), with a slow poll as a fallback.
 */
import type { JSX } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { errorText, roleAllows } from '../api';
import { useApp } from '../app-context';
import { TimeLines, StackBar, type BarItem } from '../components/charts';
import { Badge, Button, Card, ErrorBox, Field, Loading, Progress, type Tone } from '../components/ui';
import { ago, count, localTime } from '../format';
import { deviceHref, navigate } from '../router';

type DeviceState = 'pending' | 'scheduled' | 'downloading' | 'installing' | 'succeeded' | 'failed' | 'skipped';
type Counts = Record<DeviceState, number> & { total: number };

export interface Campaign {
  id: string;
  name: string;
  state: 'running' | 'paused' | 'done' | 'aborted';
  reason: string | null;
  fileId: string;
  version: string;
  wave: number;
  counts: Counts;
  waves: (Counts & { wave: number; size: number })[];
  author: string;
  createdAt: string;
  updatedAt: string;
}

interface Plan {
  matched: number;
  eligible: number;
  waves: { wave: number; size: number }[];
  skipped: { total: number; reasons: Record<string, number> };
}

interface CampaignDevice {
  deviceId: string;
  wave: number;
  state: DeviceState;
  reason: string | null;
  fault: { code: number; message: string } | null;
  attempts: number;
  finishedAt: string | null;
}

const CAMPAIGN_TONES: Record<Campaign['state'], Tone> = { running: 'info', paused: 'warn', done: 'ok', aborted: 'muted' };
export const CampaignBadge = ({ state }: { state: Campaign['state'] }): JSX.Element => <Badge tone={CAMPAIGN_TONES[state]}>{state}</Badge>;

const finished = (c: Counts): number => c.succeeded + c.failed + c.skipped;

const PARTS = (c: Counts): BarItem[] => [
  { label: 'succeeded', value: c.succeeded, tone: 'ok' },
  { label: 'failed', value: c.failed, tone: 'bad' },
  { label: 'in flight', value: c.scheduled + c.downloading + c.installing, tone: 'warn' },
  { label: 'pending', value: c.pending, tone: 'info' },
  { label: 'skipped', value: c.skipped, tone: 'muted' },
];

/** "10, 50%, 50%" → [{size: 10}, {percent: 50}, {percent: 50}]. */
export function parseWaves(text: string): { size: number }[] | { percent: number }[] | string {
  const items = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (items.length === 0) return 'at least one wave';
  const out: ({ size: number } | { percent: number })[] = [];
  for (const it of items) {
    const pct = /^(\d+(?:\.\d+)?)\s*%$/.exec(it);
    if (pct) out.push({ percent: Number(pct[1]) });
    else if (/^\d+$/.test(it)) out.push({ size: Number(it) });
    else return `"${it}" is neither a number of devices nor a percentage`;
  }
  return out as { size: number }[];
}

/** Re-render when a campaign event arrives (all campaigns, or one). */
function useCampaignEvents(id: string | null): number {
  const { stream } = useApp();
  const [n, setN] = useState(0);
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | null = null;
    const off = stream.subscribe((e) => {
      if (!e.type.startsWith('campaign.')) return;
      if (id !== null && e.data.campaignId !== id) return;
      // Events come in bursts (one per device): one reload per burst.
      timer ??= setTimeout(() => {
        timer = null;
        setN((x) => x + 1);
      }, 250);
    });
    const poll = setInterval(() => setN((x) => x + 1), 10_000);
    return () => {
      off();
      clearInterval(poll);
      if (timer !== null) clearTimeout(timer);
    };
  }, [stream, id]);
  return n;
}

function NewCampaign({ onCreated }: { onCreated: (id: string) => void }): JSX.Element {
  const { api } = useApp();
  const [name, setName] = useState('');
  const [fileId, setFileId] = useState('');
  const [files, setFiles] = useState<{ id: string; name: string; version: string }[] | null>(null);
  const [filter, setFilter] = useState('');
  const [waves, setWaves] = useState('10, 50%, 50%');
  const [ratio, setRatio] = useState('10');
  const [streak, setStreak] = useState('');
  const [concurrent, setConcurrent] = useState('');
  const [cron, setCron] = useState('');
  const [duration, setDuration] = useState('120');
  const [tz, setTz] = useState('UTC');
  const [plan, setPlan] = useState<Plan | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    // The repository's firmware files, when this server has one (else the id is typed).
    api.get<{ files: { id: string; name: string; version: string; fileType: string }[] }>('/files?fileType=1%20Firmware%20Upgrade%20Image').then(
      (r) => setFiles(r.files.filter((f) => f.fileType.startsWith('1'))),
      () => setFiles(null),
    );
  }, [api]);
  const body = (): Record<string, unknown> | string => {
    const w = parseWaves(waves);
    if (typeof w === 'string') return `Waves: ${w}`;
    const num = (s: string): number | undefined => (s.trim() === '' ? undefined : Number(s));
    const r = num(ratio);
    return {
      name,
      fileId,
      filter: filter.split('\n').map((s) => s.trim()).filter((s) => s !== ''),
      waves: w,
      ...(cron.trim() !== '' ? { window: { cron: cron.trim(), durationMinutes: num(duration) ?? 60, timezone: tz } } : {}),
      ...(num(concurrent) !== undefined ? { limits: { maxConcurrent: num(concurrent) } } : {}),
      stopRules: { ...(r !== undefined ? { maxFailureRatio: r / 100 } : {}), ...(num(streak) !== undefined ? { maxConsecutiveFailures: num(streak) } : {}) },
    };
  };
  const run = async (dry: boolean): Promise<void> => {
    const b = body();
    if (typeof b === 'string') {
      setError(b);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      if (dry) setPlan(await api.post<Plan>('/campaigns?dryRun=true', b));
      else onCreated((await api.post<{ id: string }>('/campaigns', b)).id);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Card title="New campaign">
      <form
        class="stack-gap"
        aria-label="New campaign"
        onSubmit={(e) => {
          e.preventDefault();
          void run(false);
        }}
      >
        <Field label="Name">{(p) => <input {...p} name="name" value={name} required onInput={(e) => setName(e.currentTarget.value)} />}</Field>
        <Field label="Firmware file" hint={files === null ? 'The file id from the file repository' : undefined}>
          {(p) =>
            files === null ? (
              <input {...p} name="fileId" value={fileId} required onInput={(e) => setFileId(e.currentTarget.value)} />
            ) : (
              <select {...p} name="fileId" value={fileId} required onChange={(e) => setFileId(e.currentTarget.value)}>
                <option value="">Choose a file…</option>
                {files.map((f) => (
                  <option key={f.id} value={f.id}>
                    {f.name} ({f.version})
                  </option>
                ))}
              </select>
            )
          }
        </Field>
        <Field label="Devices (filter, one per line)" hint="As on the Devices page, e.g. oui = 00D09E; empty: every device">
          {(p) => <textarea {...p} name="filter" rows={2} value={filter} onInput={(e) => setFilter(e.currentTarget.value)} />}
        </Field>
        <Field label="Waves" hint="A canary size, then sizes or percentages: 10, 50%, 50%">
          {(p) => <input {...p} name="waves" value={waves} onInput={(e) => setWaves(e.currentTarget.value)} />}
        </Field>
        <Field label="Pause when more than this % of a wave failed">{(p) => <input {...p} name="ratio" inputMode="decimal" value={ratio} onInput={(e) => setRatio(e.currentTarget.value)} />}</Field>
        <Field label="Pause after this many failures in a row (optional)">{(p) => <input {...p} name="streak" inputMode="numeric" value={streak} onInput={(e) => setStreak(e.currentTarget.value)} />}</Field>
        <Field label="Transfers at once (optional)">{(p) => <input {...p} name="maxConcurrent" inputMode="numeric" value={concurrent} onInput={(e) => setConcurrent(e.currentTarget.value)} />}</Field>
        <Field label="Maintenance window: cron (optional)" hint="e.g. 0 2 * * * (every night at 02:00)">
          {(p) => <input {...p} name="cron" value={cron} onInput={(e) => setCron(e.currentTarget.value)} />}
        </Field>
        {cron.trim() !== '' ? (
          <>
            <Field label="Window length (minutes)">{(p) => <input {...p} name="duration" inputMode="numeric" value={duration} onInput={(e) => setDuration(e.currentTarget.value)} />}</Field>
            <Field label="Window time zone" hint="UTC, an IANA name, or device (each device's own)">
              {(p) => <input {...p} name="timezone" value={tz} onInput={(e) => setTz(e.currentTarget.value)} />}
            </Field>
          </>
        ) : null}
        {error ? <ErrorBox error={error} /> : null}
        {plan ? (
          <div class="message message-info" role="status" aria-label="Dry run">
            <p>
              {count(plan.matched)} devices match; <strong>{count(plan.eligible)}</strong> would be upgraded,{' '}
              {plan.waves.map((w) => `wave ${w.wave + 1}: ${count(w.size)}`).join(' · ')}.
            </p>
            <p>
              {count(plan.skipped.total)} skipped
              {plan.skipped.total > 0
                ? `: ${Object.entries(plan.skipped.reasons)
                    .map(([why, n]) => `${count(n)} ${why}`)
                    .join(', ')}`
                : ''}
              .
            </p>
          </div>
        ) : null}
        <div class="actions">
          <Button busy={busy} onClick={() => void run(true)}>
            Dry run
          </Button>
          <Button type="submit" variant="primary" busy={busy}>
            Start campaign
          </Button>
        </div>
      </form>
    </Card>
  );
}

export function CampaignsPage(): JSX.Element {
  const { api, role } = useApp();
  const [list, setList] = useState<{ total: number; campaigns: Campaign[] } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  const n = useCampaignEvents(null);
  useEffect(() => {
    api.get<{ total: number; campaigns: Campaign[] }>('/campaigns?limit=100').then(
      (r) => {
        setList(r);
        setError(null);
      },
      (e) => setError(errorText(e)),
    );
  }, [api, n]);
  if (error) return <div class="page"><ErrorBox error={error} /></div>;
  if (list === null) return <Loading what="campaigns" />;
  const canAct = roleAllows(role, 'operator');
  return (
    <div class="page">
      <header class="page-head">
        <h1>Campaigns</h1>
        <span class="muted">{count(list.total)} campaigns</span>
        {canAct && !creating ? (
          <Button variant="primary" onClick={() => setCreating(true)}>
            New campaign
          </Button>
        ) : null}
      </header>
      {creating ? <NewCampaign onCreated={(id) => navigate(`/campaigns/${encodeURIComponent(id)}`)} /> : null}
      {list.campaigns.length === 0 ? (
        <p class="muted">No campaigns yet.</p>
      ) : (
        <div class="table-wrap">
          <table class="table" aria-label="Campaigns">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">State</th>
                <th scope="col">Version</th>
                <th scope="col">Progress</th>
                <th scope="col">Failed</th>
                <th scope="col">Started</th>
              </tr>
            </thead>
            <tbody>
              {list.campaigns.map((c) => (
                <tr key={c.id}>
                  <td>
                    <a href={`/campaigns/${encodeURIComponent(c.id)}`}>{c.name}</a>
                  </td>
                  <td>
                    <CampaignBadge state={c.state} />
                  </td>
                  <td>{c.version}</td>
                  <td>
                    <Progress done={finished(c.counts)} total={c.counts.total} label={`${c.name}: finished devices`} /> {count(finished(c.counts))} / {count(c.counts.total)}
                  </td>
                  <td>{count(c.counts.failed)}</td>
                  <td title={localTime(c.createdAt)}>{ago(c.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

export function CampaignPage({ id }: { id: string }): JSX.Element {
  const { api, role } = useApp();
  const [c, setC] = useState<Campaign | null>(null);
  const [failures, setFailures] = useState<CampaignDevice[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [msg, setMsg] = useState<string | null>(null);
  const n = useCampaignEvents(id);
  /** States over time, since this page opened (seconds, counts). */
  const history = useRef<{ t: number; c: Counts }[]>([]);
  useEffect(() => {
    const path = `/campaigns/${encodeURIComponent(id)}`;
    Promise.all([api.get<Campaign>(path), api.get<{ devices: CampaignDevice[] }>(`${path}/devices?state=failed&limit=200`)]).then(
      ([campaign, f]) => {
        setC(campaign);
        setFailures(f.devices);
        setError(null);
        const h = history.current;
        if (h.length === 0 || JSON.stringify(h.at(-1)!.c) !== JSON.stringify(campaign.counts)) h.push({ t: Date.now() / 1000, c: campaign.counts });
        if (h.length > 500) h.splice(0, h.length - 500);
      },
      (e) => setError(errorText(e)),
    );
  }, [api, id, n]);
  const series = useMemo(() => {
    const h = history.current;
    return {
      x: h.map((p) => p.t),
      series: [
        // In the chart's palette order (blue, amber, green, red), matching the bar's colours.
        { label: 'pending', values: h.map((p) => p.c.pending), unit: 'devices' },
        { label: 'in flight', values: h.map((p) => p.c.scheduled + p.c.downloading + p.c.installing), unit: 'devices' },
        { label: 'succeeded', values: h.map((p) => p.c.succeeded), unit: 'devices' },
        { label: 'failed', values: h.map((p) => p.c.failed), unit: 'devices' },
      ],
    };
  }, [c]);
  if (error) return <div class="page"><ErrorBox error={error} /></div>;
  if (c === null) return <Loading what="the campaign" />;
  const canAct = roleAllows(role, 'operator');
  const act = async (what: 'pause' | 'resume' | 'abort' | 'retry-failed'): Promise<void> => {
    try {
      const r = await api.post<Campaign & { retried?: number }>(`/campaigns/${encodeURIComponent(id)}/${what}`);
      setC(r);
      setMsg(what === 'retry-failed' ? `${r.retried ?? 0} failed devices will be tried again.` : `Campaign ${r.state}.`);
    } catch (e) {
      setMsg(errorText(e));
    }
  };
  return (
    <div class="page">
      <header class="page-head">
        <h1>{c.name}</h1>
        <CampaignBadge state={c.state} />
        <span class="muted">
          to {c.version} · wave {c.wave + 1} of {c.waves.length} · by {c.author}
        </span>
      </header>
      {c.reason ? (
        <p class={`message ${c.state === 'paused' ? 'message-warn' : 'message-info'}`} role="status" aria-label="Reason">
          {c.reason}
        </p>
      ) : null}
      {msg ? <p class="message message-info" role="status">{msg}</p> : null}
      {canAct ? (
        <div class="actions" role="toolbar" aria-label="Campaign actions">
          {c.state === 'running' ? <Button onClick={() => void act('pause')}>Pause</Button> : null}
          {c.state === 'paused' ? (
            <Button variant="primary" onClick={() => void act('resume')}>
              Resume
            </Button>
          ) : null}
          {c.counts.failed > 0 && c.state !== 'aborted' ? <Button onClick={() => void act('retry-failed')}>Retry failed</Button> : null}
          {c.state === 'running' || c.state === 'paused' ? (
            <Button variant="danger" onClick={() => void act('abort')}>
              Abort
            </Button>
          ) : null}
        </div>
      ) : null}
      <div class="grid">
        <Card title="Devices">
          <StackBar parts={PARTS(c.counts)} label="Devices by state" />
        </Card>
        <Card title="Waves">
          <ul class="waves" aria-label="Waves">
            {c.waves.map((w) => (
              <li key={w.wave}>
                <span>
                  Wave {w.wave + 1} {w.wave === c.wave && c.state !== 'done' ? <Badge tone="info">current</Badge> : null}
                </span>
                <Progress done={finished(w)} total={w.total} label={`Wave ${w.wave + 1}`} />
                <span class="muted">
                  {count(w.succeeded)} succeeded · {count(w.failed)} failed · {count(w.scheduled + w.downloading + w.installing)} in flight · {count(w.pending)} pending
                </span>
              </li>
            ))}
          </ul>
        </Card>
      </div>
      <Card title="States over time">
        <TimeLines x={series.x} series={series.series} label="Devices by state over time" />
      </Card>
      <Card title={`Failures (${count(c.counts.failed)})`}>
        {failures.length === 0 ? (
          <p class="muted">No failures.</p>
        ) : (
          <div class="table-wrap">
            <table class="table" aria-label="Failures">
              <thead>
                <tr>
                  <th scope="col">Device</th>
                  <th scope="col">Wave</th>
                  <th scope="col">Why</th>
                  <th scope="col">Attempts</th>
                  <th scope="col">When</th>
                </tr>
              </thead>
              <tbody>
                {failures.map((d) => (
                  <tr key={d.deviceId}>
                    <td>
                      <a href={deviceHref(d.deviceId)}>{d.deviceId}</a>
                    </td>
                    <td>{d.wave + 1}</td>
                    <td class="wrap fault-text">{d.reason}</td>
                    <td>{d.attempts}</td>
                    <td title={localTime(d.finishedAt)}>{ago(d.finishedAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>
    </div>
  );
}
