/** Subscribers: the help desk's search (id, name, phone, e-mail, a device serial) and, for operators, a new subscriber. */
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { errorText, roleAllows } from '../api';
import { useApp } from '../app-context';
import { Button, ErrorBox, Field, Loading } from '../components/ui';
import { navigate } from '../router';
import { subscriberHref, type Subscriber } from '../subscribers-api';

export function SubscribersPage(): JSX.Element {
  const { api, role } = useApp();
  const [search, setSearch] = useState('');
  const [query, setQuery] = useState('');
  const [data, setData] = useState<{ total: number; subscribers: Subscriber[] } | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api.get<{ total: number; subscribers: Subscriber[] }>(`/subscribers?limit=100${query ? `&search=${encodeURIComponent(query)}` : ''}`).then(
      (d) => {
        setData(d);
        setError(null);
      },
      (e) => setError(errorText(e)),
    );
  }, [query]);
  return (
    <div class="page">
      <header class="page-head">
        <h1>Subscribers</h1>
        {data ? <span class="muted">{data.total} found</span> : null}
      </header>
      <form
        class="toolbar"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          setQuery(search.trim());
        }}
      >
        <Field label="Find a subscriber" hint="External id, name, phone, e-mail, or the serial number or id of a bound device" inline>
          {(p) => <input {...p} type="search" value={search} onInput={(e) => setSearch((e.target as HTMLInputElement).value)} />}
        </Field>
        <Button type="submit">Search</Button>
      </form>
      {error ? <ErrorBox error={error} /> : data === null ? <Loading what="subscribers" /> : <SubscriberTable rows={data.subscribers} />}
      {roleAllows(role, 'operator') ? <NewSubscriber /> : null}
    </div>
  );
}

function SubscriberTable({ rows }: { rows: Subscriber[] }): JSX.Element {
  if (rows.length === 0) return <p class="muted">No subscriber matches.</p>;
  return (
    <div class="table-wrap">
      <table class="table" aria-label="Subscribers">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">External id</th>
            <th scope="col">Phone</th>
            <th scope="col">Services</th>
            <th scope="col">Devices</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((s) => (
            <tr key={s.id}>
              <td>
                <a href={subscriberHref(s.id)}>{s.name}</a>
              </td>
              <td>{s.externalId}</td>
              <td>{s.contact.phone ?? ''}</td>
              <td class="wrap">{s.services.map((x) => x.template).join(', ')}</td>
              <td>{s.devices.length}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** A subscriber with Wi-Fi, and a serial number to claim: enough for a technician's first visit. */
function NewSubscriber(): JSX.Element {
  const { api } = useApp();
  const [f, setF] = useState({ externalId: '', name: '', phone: '', ssid: '', passphrase: '', serial: '' });
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const set = (k: keyof typeof f) => (e: Event) => setF({ ...f, [k]: (e.target as HTMLInputElement).value });
  return (
    <form
      class="card form"
      aria-label="New subscriber"
      onSubmit={async (e) => {
        e.preventDefault();
        setBusy(true);
        setError(null);
        try {
          const services = f.ssid ? [{ template: 'wifi', inputs: { ssid: f.ssid, passphrase: f.passphrase } }] : [];
          const s = await api.post<Subscriber>('/subscribers', { externalId: f.externalId, name: f.name, ...(f.phone ? { contact: { phone: f.phone } } : {}), services });
          if (f.serial) await api.post(`/subscribers/${encodeURIComponent(s.id)}/devices`, { serialNumber: f.serial });
          navigate(subscriberHref(s.id));
        } catch (err) {
          setError(errorText(err));
        } finally {
          setBusy(false);
        }
      }}
    >
      <h2>New subscriber</h2>
      <Field label="External id">{(p) => <input {...p} required value={f.externalId} onInput={set('externalId')} />}</Field>
      <Field label="Name">{(p) => <input {...p} required value={f.name} onInput={set('name')} />}</Field>
      <Field label="Phone">{(p) => <input {...p} value={f.phone} onInput={set('phone')} />}</Field>
      <Field label="Wi-Fi name (SSID)" hint="Optional: adds the Wi-Fi service">{(p) => <input {...p} value={f.ssid} onInput={set('ssid')} />}</Field>
      <Field label="Wi-Fi passphrase">{(p) => <input {...p} type="password" autoComplete="new-password" value={f.passphrase} onInput={set('passphrase')} />}</Field>
      <Field label="Device serial number" hint="Optional: the device is bound when it first connects">{(p) => <input {...p} value={f.serial} onInput={set('serial')} />}</Field>
      {error ? (
        <p class="message message-error" role="alert">
          {error}
        </p>
      ) : null}
      <Button type="submit" variant="primary" busy={busy}>
        Create
      </Button>
    </form>
  );
}
