/**
 * The subscriber's own page, for a phone: the state of their devices, their Wi-Fi name and
 * password, and a reboot. A subscriber token (fls_…) reaches nothing else of the API.
 */
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { errorText, type Api } from '../api';
import { Badge, Button, ErrorBox, Field, Loading, OnlineBadge } from '../components/ui';
import { ago } from '../format';
import type { ServiceStatus } from '../subscribers-api';

interface SelfDevice {
  id: string;
  serialNumber: string;
  productClass: string;
  lastInform: string;
  online: boolean;
  wanUp: boolean | null;
  wifiClients: number | null;
  services: ServiceStatus[];
}

interface Self {
  name: string;
  services: { template: string; inputs: Record<string, string> }[];
  devices: SelfDevice[];
}

export function SelfServicePage({ api, onSignOut }: { api: Api; onSignOut: () => void }): JSX.Element {
  const [me, setMe] = useState<Self | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [msg, setMsg] = useState<string | null>(null);
  const [ssid, setSsid] = useState('');
  const [pass, setPass] = useState('');
  const [n, setN] = useState(0);
  useEffect(() => {
    api.get<Self>('/self').then(
      (d) => {
        setMe(d);
        setSsid((s) => s || (d.services.find((x) => x.template === 'wifi')?.inputs.ssid ?? ''));
      },
      (e) => setError(errorText(e)),
    );
  }, [n]);
  if (error) return <main class="self"><ErrorBox error={error} /></main>;
  if (me === null) return <Loading what="your devices" />;
  const hasWifi = me.services.some((s) => s.template === 'wifi');
  return (
    <main class="self" id="main">
      <header class="page-head">
        <h1>Hello, {me.name}</h1>
        <button type="button" class="btn btn-ghost btn-sm" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      {msg ? (
        <p class="message message-info" role="status">
          {msg}
        </p>
      ) : null}
      {me.devices.map((d) => (
        <section class="card" key={d.id} aria-label={`Your ${d.productClass}`}>
          <h2>
            {d.productClass} <OnlineBadge online={d.online} />
          </h2>
          <p class="muted">
            Serial {d.serialNumber} · last seen {ago(d.lastInform)}
            {d.wifiClients !== null ? ` · ${d.wifiClients} Wi-Fi clients` : ''}
          </p>
          <ul class="plain-list">
            {d.services.map((s) => (
              <li key={s.template}>
                {s.template} <Badge tone={s.state === 'applied' ? 'ok' : 'warn'}>{s.state === 'applied' ? 'working' : s.state}</Badge>
              </li>
            ))}
          </ul>
          <Button
            onClick={async () => {
              try {
                await api.post(`/self/devices/${encodeURIComponent(d.id)}/reboot`);
                setMsg('Your device is restarting. It takes a few minutes.');
              } catch (e) {
                setMsg(errorText(e));
              }
            }}
          >
            Restart
          </Button>
        </section>
      ))}
      {hasWifi ? (
        <form
          class="card form"
          aria-label="Wi-Fi"
          onSubmit={async (e) => {
            e.preventDefault();
            try {
              await api.post('/self/wifi', { ssid, ...(pass ? { passphrase: pass } : {}) });
              setPass('');
              setMsg('Your Wi-Fi settings are saved and sent to your device.');
              setN((x) => x + 1);
            } catch (err) {
              setMsg(errorText(err));
            }
          }}
        >
          <h2>Wi-Fi</h2>
          <Field label="Wi-Fi name">{(p) => <input {...p} required maxLength={32} value={ssid} onInput={(e) => setSsid((e.target as HTMLInputElement).value)} />}</Field>
          <Field label="New Wi-Fi password" hint="8 to 63 characters; leave empty to keep the current one">
            {(p) => <input {...p} type="password" autoComplete="new-password" minLength={8} maxLength={63} value={pass} onInput={(e) => setPass((e.target as HTMLInputElement).value)} />}
          </Field>
          <Button type="submit" variant="primary">
            Save
          </Button>
        </form>
      ) : null}
    </main>
  );
}
