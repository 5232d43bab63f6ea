/**
 * One subscriber, as the help desk sees it: the services, each bound device's health beside
 * its service status, the usual actions one click each with their outcome, and the history.
 */
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { devicePath, errorText, roleAllows } from '../api';
import { useApp } from '../app-context';
import { Badge, Button, Card, ErrorBox, Field, Loading, OnlineBadge } from '../components/ui';
import { ago, localTime } from '../format';
import { deviceHref } from '../router';
import type { DeviceHealth, HistoryEntry, ServiceStatus, Subscriber } from '../subscribers-api';

const tone = (s: ServiceStatus['state']): 'ok' | 'warn' | 'bad' => (s === 'applied' ? 'ok' : s === 'not-supported' ? 'warn' : 'bad');

export function SubscriberPage({ id }: { id: string }): JSX.Element {
  const { api, role } = useApp();
  const [sub, setSub] = useState<Subscriber | null>(null);
  const [devices, setDevices] = useState<DeviceHealth[] | null>(null);
  const [history, setHistory] = useState<HistoryEntry[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [outcome, setOutcome] = useState<string | null>(null);
  const [n, setN] = useState(0);
  const base = `/subscribers/${encodeURIComponent(id)}`;
  useEffect(() => {
    Promise.all([api.get<Subscriber>(base), api.get<{ devices: DeviceHealth[] }>(`${base}/devices`), api.get<{ history: HistoryEntry[] }>(`${base}/history?limit=50`)]).then(
      ([s, d, h]) => {
        setSub(s);
        setDevices(d.devices);
        setHistory(h.history);
        setError(null);
      },
      (e) => setError(errorText(e)),
    );
  }, [id, n]);
  const reload = (): void => setN((x) => x + 1);
  const act = async (label: string, f: () => Promise<unknown>): Promise<void> => {
    setOutcome(`${label}…`);
    try {
      await f();
      setOutcome(`${label}: done.`);
    } catch (e) {
      setOutcome(`${label}: ${errorText(e)}`);
    }
    reload();
  };
  if (error) return <div class="page"><ErrorBox error={error} onRetry={reload} /></div>;
  if (sub === null || devices === null) return <Loading what="the subscriber" />;
  const canAct = roleAllows(role, 'operator');
  return (
    <div class="page">
      <header class="page-head">
        <h1>{sub.name}</h1>
        <span class="muted">
          {sub.externalId}
          {sub.contact.phone ? ` · ${sub.contact.phone}` : ''}
          {sub.contact.email ? ` · ${sub.contact.email}` : ''}
        </span>
      </header>
      {outcome ? (
        <p class="message message-info" role="status">
          {outcome}
        </p>
      ) : null}
      <Card title="Services">
        {sub.services.length === 0 ? (
          <p class="muted">No services.</p>
        ) : (
          <ul class="plain-list">
            {sub.services.map((s, i) => (
              <li key={i}>
                <strong>{s.template}</strong>{' '}
                <span class="muted wrap">
                  {Object.entries(s.inputs)
                    .map(([k, v]) => `${k}: ${v}`)
                    .join(', ')}
                </span>
              </li>
            ))}
          </ul>
        )}
        {canAct ? (
          <div class="actions">
            <Button onClick={() => act('Re-apply services', () => api.post(`${base}/reapply?connectionRequest=true`))}>Re-apply services</Button>
            {sub.services.some((s) => s.template === 'wifi') ? <WifiPassword base={base} sub={sub} act={act} /> : null}
          </div>
        ) : null}
      </Card>
      <Card title="Devices">
        {devices.length === 0 ? <p class="muted">No device bound.</p> : null}
        {devices.map((d) => (
          <div class="device-health" key={d.id} aria-label={`Device ${d.device?.serialNumber ?? d.claim.value}`}>
            {d.device === null ? (
              <p>
                Waiting for the device with {d.claim.kind} <code>{d.claim.value}</code> to connect.
              </p>
            ) : (
              <>
                <h3>
                  <a href={deviceHref(d.device.id)}>{d.device.serialNumber}</a> <span class="muted">{d.device.productClass}</span> <OnlineBadge online={d.device.online} />
                </h3>
                <dl class="facts">
                  <dt>Last inform</dt>
                  <dd title={localTime(d.device.lastInform)}>{ago(d.device.lastInform)}</dd>
                  <dt>WAN</dt>
                  <dd>{d.device.wanIp ? `${d.device.wanUp === false ? 'down' : 'up'}, ${d.device.wanIp}` : 'unknown'}</dd>
                  <dt>Wi-Fi clients</dt>
                  <dd>{d.device.wifiClients ?? 'unknown'}</dd>
                  <dt>Firmware</dt>
                  <dd>{d.device.softwareVersion ?? 'unknown'}</dd>
                  <dt>Open faults</dt>
                  <dd>{d.device.openFaults}</dd>
                </dl>
              </>
            )}
            <ul class="plain-list" aria-label="Service status">
              {d.services.map((s) => (
                <li key={s.template}>
                  {s.template} <Badge tone={tone(s.state)}>{s.state}</Badge> {s.reason ? <span class="muted">{s.reason}</span> : null}
                  {s.fault ? <span class="fault-text">{` ${s.fault.code} ${s.fault.message}`}</span> : null}
                </li>
              ))}
            </ul>
            {canAct && d.deviceId !== null ? (
              <div class="actions">
                <Button small onClick={() => act('Reboot', () => api.post(`${devicePath(d.deviceId!)}/tasks?connectionRequest=true`, { type: 'reboot' }))}>
                  Reboot
                </Button>
                <Button small onClick={() => act('Refresh', () => api.post(`${devicePath(d.deviceId!)}/tasks?connectionRequest=true`, { type: 'refresh', objectName: '' }))}>
                  Refresh
                </Button>
                <Button small onClick={() => act('Ping 8.8.8.8', () => api.post(`${devicePath(d.deviceId!)}/tasks?connectionRequest=true`, { type: 'ipPing', host: '8.8.8.8' }))}>
                  Ping
                </Button>
                <Button small onClick={() => act('Unbind', () => api.del(`${base}/devices/${encodeURIComponent(d.id)}`))}>
                  Unbind
                </Button>
              </div>
            ) : null}
          </div>
        ))}
        {canAct ? <BindDevice base={base} act={act} /> : null}
      </Card>
      <Card title="History">
        <ul class="plain-list" aria-label="History">
          {history.map((h, i) => (
            <li key={i}>
              <span title={localTime(h.at)}>{ago(h.at)}</span> <strong>{h.action}</strong> {h.deviceId ? <code>{h.deviceId}</code> : null} <span class="muted wrap">{h.detail}</span>
            </li>
          ))}
        </ul>
      </Card>
    </div>
  );
}

function WifiPassword({ base, sub, act }: { base: string; sub: Subscriber; act: (l: string, f: () => Promise<unknown>) => Promise<void> }): JSX.Element {
  const { api } = useApp();
  const [pass, setPass] = useState('');
  return (
    <form
      class="inline-form"
      onSubmit={(e) => {
        e.preventDefault();
        const services = sub.services.map((s) => (s.template === 'wifi' ? { template: 'wifi', inputs: { ...s.inputs, passphrase: pass } } : s));
        void act('Change the Wi-Fi password', () => api.req('PATCH', `${base}?connectionRequest=true`, { services }));
        setPass('');
      }}
    >
      <Field label="New Wi-Fi password" inline>
        {(p) => <input {...p} type="password" autoComplete="new-password" minLength={8} maxLength={63} required value={pass} onInput={(e) => setPass((e.target as HTMLInputElement).value)} />}
      </Field>
      <Button type="submit">Change</Button>
    </form>
  );
}

function BindDevice({ base, act }: { base: string; act: (l: string, f: () => Promise<unknown>) => Promise<void> }): JSX.Element {
  const { api } = useApp();
  const [serial, setSerial] = useState('');
  return (
    <form
      class="inline-form"
      onSubmit={(e) => {
        e.preventDefault();
        void act(`Bind ${serial}`, () => api.post(`${base}/devices?connectionRequest=true`, { serialNumber: serial }));
        setSerial('');
      }}
    >
      <Field label="Bind a device by serial number" inline>
        {(p) => <input {...p} required maxLength={64} value={serial} onInput={(e) => setSerial((e.target as HTMLInputElement).value)} />}
      </Field>
      <Button type="submit">Bind</Button>
    </form>
  );
}
