/**
 * Overview: how the fleet is doing at a glance. One scan of the fleet (summary fields and six
 * parameters, keyset-paged) gives totals, online, models, firmware and last-inform ages; the
 * event stream then moves devices along (an inform updates its last-inform time, a new device
 * is fetched, a fault bumps the count) without another scan. A full rescan every 5 minutes.
 */
import type { JSX } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { errorText, faultText, type DeviceSummary, type TaskPage } from '../api';
import { useApp } from '../app-context';
import { BarList, StackBar, TimeBars, type BarItem } from '../components/charts';
import { FleetKpi, FleetSessions } from '../components/fleet-charts';
import { Card, ErrorBox, Loading } from '../components/ui';
import { FIRMWARE_PATHS, INTERVAL_PATHS, MODEL_PATHS, deviceOnline, pick } from '../deviceinfo';
import { ago, count } from '../format';
import { deviceHref } from '../router';
import { SEVERITIES, SEVERITY_TONE, type AlarmCounts } from './Alarms';

const SCAN_CAP = 50_000;
const FIELDS = ['lastInform', 'firstInform', 'deviceId', ...MODEL_PATHS, ...FIRMWARE_PATHS, ...INTERVAL_PATHS];

const AGE_BUCKETS: { label: string; ms: number; tone: BarItem['tone']; filter: string }[] = [
  { label: '< 5 min', ms: 5 * 60_000, tone: 'ok', filter: 'lastInform >= -5m' },
  { label: '5–60 min', ms: 3_600_000, tone: 'ok', filter: 'lastInform >= -60m' },
  { label: '1–24 h', ms: 86_400_000, tone: 'warn', filter: 'lastInform >= -24h' },
  { label: '1–7 days', ms: 7 * 86_400_000, tone: 'warn', filter: 'lastInform >= -7d' },
  { label: '> 7 days', ms: Infinity, tone: 'bad', filter: 'lastInform < -7d' },
];

const filterHref = (...filters: string[]): string => `/devices?${filters.map((f) => `f=${encodeURIComponent(f)}`).join('&')}`;

export function OverviewPage(): JSX.Element {
  const { api, stream } = useApp();
  const devices = useRef(new Map<string, DeviceSummary>());
  const [version, setVersion] = useState(0);
  const [total, setTotal] = useState<number | null>(null);
  const [faults, setFaults] = useState<TaskPage | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [updatedAt, setUpdatedAt] = useState<number>(Date.now());
  const [now, setNow] = useState(Date.now());
  const bump = useRef<ReturnType<typeof setTimeout> | null>(null);

  const changed = (): void => {
    if (bump.current !== null) return;
    bump.current = setTimeout(() => {
      bump.current = null;
      setVersion((v) => v + 1);
      setUpdatedAt(Date.now());
      setNow(Date.now());
    }, 500);
  };

  const loadFaults = (): void => {
    api.get<TaskPage>('/faults?limit=5').then(setFaults, (e) => setError(errorText(e)));
  };
  const [alarms, setAlarms] = useState<AlarmCounts | null>(null);
  const loadAlarms = (): void => {
    api.get<AlarmCounts>('/alarms/counts').then(setAlarms, () => undefined);
  };
  useEffect(() => {
    loadAlarms();
    return stream.subscribe((e) => void ((e.type as string).startsWith('alarm.') && loadAlarms()));
  }, [stream]);

  const scan = async (signal: AbortSignal): Promise<void> => {
    const next = new Map<string, DeviceSummary>();
    let t = 0;
    for await (const page of api.allDevices([], FIELDS, undefined, signal, 2000)) {
      t = page.total;
      for (const d of page.devices) next.set(d.id, d);
      if (next.size >= SCAN_CAP) break;
    }
    devices.current = next;
    setTotal(t);
    setError(null);
    setVersion((v) => v + 1);
    setUpdatedAt(Date.now());
    setNow(Date.now());
  };

  useEffect(() => {
    const ctl = new AbortController();
    const run = (): void => {
      scan(ctl.signal).catch((e: unknown) => {
        if (!ctl.signal.aborted) setError(errorText(e));
      });
    };
    run();
    loadFaults();
    const rescan = setInterval(run, 5 * 60_000);
    const tick = setInterval(() => setNow(Date.now()), 15_000);
    const fetchOne = (id: string): void => {
      api.devices({ filter: [`id = ${JSON.stringify(id)}`], fields: FIELDS, limit: 1 }).then((p) => {
        const d = p.devices[0];
        if (d === undefined) return;
        if (!devices.current.has(d.id)) setTotal((n) => (n === null ? n : n + 1));
        devices.current.set(d.id, d);
        changed();
      }, () => undefined);
    };
    const off = stream.subscribe((e) => {
      if (e.type === 'device.inform' || e.type === 'device.booted') {
        const d = devices.current.get(e.deviceId);
        if (d === undefined) fetchOne(e.deviceId);
        else {
          d.lastInform = new Date(e.at).toISOString();
          changed();
        }
      } else if (e.type === 'device.registered') fetchOne(e.deviceId);
      else if (e.type === 'task.faulted' || e.type === 'task.done') loadFaults();
    });
    return () => {
      ctl.abort();
      clearInterval(rescan);
      clearInterval(tick);
      off();
    };
  }, [api, stream]);

  const stats = useMemo(() => {
    const list = [...devices.current.values()];
    let online = 0;
    let never = 0;
    let newToday = 0;
    const models = new Map<string, number>();
    const firmware = new Map<string, number>();
    const ages = AGE_BUCKETS.map(() => 0);
    const minutes = 60;
    const start = Math.floor(now / 60_000) - (minutes - 1);
    const perMinute = new Array<number>(minutes).fill(0);
    for (const d of list) {
      if (deviceOnline(d, now)) online++;
      const last = d.lastInform ? Date.parse(d.lastInform) : NaN;
      if (Number.isNaN(last)) never++;
      else {
        const age = now - last;
        const b = AGE_BUCKETS.findIndex((x) => age < x.ms);
        ages[b < 0 ? AGE_BUCKETS.length - 1 : b]!++;
        const m = Math.floor(last / 60_000) - start;
        if (m >= 0 && m < minutes) perMinute[m]!++;
      }
      if (d.firstInform && now - Date.parse(d.firstInform) < 86_400_000) newToday++;
      const model = [d.deviceId?.manufacturer, pick(d.parameters, MODEL_PATHS) ?? d.deviceId?.productClass].filter(Boolean).join(' ') || 'unknown';
      models.set(model, (models.get(model) ?? 0) + 1);
      const fw = pick(d.parameters, FIRMWARE_PATHS) ?? 'unknown';
      firmware.set(fw, (firmware.get(fw) ?? 0) + 1);
    }
    const sorted = (m: Map<string, number>): [string, number][] => [...m.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    return {
      scanned: list.length,
      online,
      never,
      newToday,
      models: sorted(models),
      firmware: sorted(firmware),
      ages,
      x: perMinute.map((_, i) => (start + i) * 60),
      y: perMinute,
    };
    // `version` marks a change inside the ref'd map.
  }, [version, now]);

  if (total === null && error === null) return <Loading what="the fleet" />;
  const offline = stats.scanned - stats.online - stats.never;
  return (
    <div class="page">
      <header class="page-head">
        <h1>Overview</h1>
        <span class="muted" aria-live="off">
          Updated {ago(new Date(updatedAt).toISOString(), now)}
          {total !== null && stats.scanned < total ? ` · charts from the first ${count(stats.scanned)} devices` : ''}
        </span>
      </header>
      {error ? <ErrorBox error={error} /> : null}
      <div class="stats" role="list">
        <Stat label="Devices" value={total ?? 0} href="/devices" />
        <Stat label="Online" value={stats.online} tone="ok" sub={total ? `${Math.round((stats.online / Math.max(1, stats.scanned)) * 100)}%` : undefined} />
        <Stat label="Offline" value={offline + stats.never} tone={offline + stats.never > 0 ? 'bad' : 'muted'} />
        <Stat label="New in 24 h" value={stats.newToday} href={filterHref('firstInform >= -24h')} />
        <Stat label="Faults" value={faults?.total ?? 0} tone={faults && faults.total > 0 ? 'bad' : 'muted'} href="/faults" />
      </div>
      {alarms !== null ? (
        <div class="stats" role="list" aria-label="Active alarms">
          {SEVERITIES.map((s) => (
            <Stat key={s} label={`${s} alarms`} value={alarms.active[s]} tone={alarms.active[s] > 0 ? SEVERITY_TONE[s] : 'muted'} href="/alarms" />
          ))}
        </div>
      ) : null}
      <div class="grid">
        <Card title="Online">
          <StackBar
            label="Devices online"
            parts={[
              { label: 'Online', value: stats.online, tone: 'ok' },
              { label: 'Offline', value: offline, tone: 'bad' },
              ...(stats.never > 0 ? [{ label: 'Never informed', value: stats.never, tone: 'muted' as const }] : []),
            ]}
          />
          <p class="muted small">Online: informed within its periodic inform interval (plus 10%, at least a minute; 1 h when unknown).</p>
        </Card>
        <Card title="Last inform">
          <BarList
            label="Devices by last inform"
            items={AGE_BUCKETS.map((b, i) => ({ label: b.label, value: stats.ages[i] ?? 0, tone: b.tone, href: filterHref(...bucketFilters(i)) }))}
          />
        </Card>
        <Card title="Informs in the last hour" class="span-2">
          <TimeBars x={stats.x} y={stats.y} label="Devices by minute of their last inform" />
        </Card>
        <FleetSessions />
        <FleetKpi />
        <Card title="By model">
          <BarList label="Devices by model" items={stats.models.map(([label, value]) => ({ label, value, tone: 'info' }))} />
        </Card>
        <Card title="By firmware version">
          <BarList
            label="Devices by firmware version"
            items={stats.firmware.map(([label, value]) => ({
              label,
              value,
              tone: 'info',
              ...(label !== 'unknown' ? { href: filterHref(`Device.DeviceInfo.SoftwareVersion = ${JSON.stringify(label)}`) } : {}),
            }))}
          />
        </Card>
        <Card title="Recent faults" class="span-2" actions={<a href="/faults">All faults</a>}>
          {faults === null ? (
            <Loading what="faults" />
          ) : faults.tasks.length === 0 ? (
            <p class="muted">No faults.</p>
          ) : (
            <table class="table">
              <thead>
                <tr>
                  <th scope="col">Device</th>
                  <th scope="col">Task</th>
                  <th scope="col">Fault</th>
                  <th scope="col">When</th>
                </tr>
              </thead>
              <tbody>
                {faults.tasks.map((t) => (
                  <tr key={t.id}>
                    <td>
                      <a href={deviceHref(t.deviceId, 'faults')}>{t.deviceId}</a>
                    </td>
                    <td>{t.type}</td>
                    <td class="fault-text">{faultText(t.fault)}</td>
                    <td title={t.updatedAt ?? ''}>{ago(t.updatedAt, now)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Card>
      </div>
    </div>
  );
}

function bucketFilters(i: number): string[] {
  const cur = AGE_BUCKETS[i]!;
  const prev = AGE_BUCKETS[i - 1];
  if (i === AGE_BUCKETS.length - 1) return [cur.filter];
  return prev ? [cur.filter, prev.filter.replace('>=', '<')] : [cur.filter];
}

function Stat({ label, value, tone = 'muted', sub, href }: { label: string; value: number; tone?: string; sub?: string | undefined; href?: string }): JSX.Element {
  const body = (
    <>
      <span class="stat-label">{label}</span>
      <span class={`stat-value tone-${tone}`}>{count(value)}</span>
      {sub ? <span class="stat-sub">{sub}</span> : null}
    </>
  );
  return (
    <div class="stat" role="listitem">
      {href ? (
        <a href={href} class="stat-body stat-link">
          {body}
        </a>
      ) : (
        <div class="stat-body">{body}</div>
      )}
    </div>
  );
}
