/**
 * Webhooks (admins): where events are POSTed, which events, for which part of the fleet; create
 * one (its signing secret shown once), delete one, and read its deliveries — delivered, pending
 * with their next try, failed with the reason. A scoped admin sees and makes webhooks of its
 * own scope only (the API's rule; the form then asks for no scope).
 */
import { Fragment, type JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { errorText, roleAllows } from '../api';
import { useApp } from '../app-context';
import { Badge, Button, Confirm, Dialog, ErrorBox, Field, Loading, SecretOnce } from '../components/ui';
import { ago, localTime } from '../format';
import { deviceHref } from '../router';
import { EMPTY_WEBHOOK, scopeText, webhookBody, WEBHOOK_EVENT_TYPES, type WebhookDraft } from '../webhooks';

interface WebhookInfo {
  id: string;
  url: string;
  events: string[];
  createdAt: string;
  scope: { filter?: string; tag?: string } | null;
}

type DeliveryState = 'pending' | 'delivered' | 'failed';

interface Delivery {
  id: string;
  eventId: string;
  eventType: string;
  deviceId: string;
  state: DeliveryState;
  attempts: number;
  nextAt: string;
  createdAt: string;
  updatedAt: string;
  lastError: string | null;
}

const DELIVERY_TONES = { delivered: 'ok', pending: 'warn', failed: 'bad' } as const;

export function WebhooksPage(): JSX.Element {
  const { api, role, scoped } = useApp();
  const [hooks, setHooks] = useState<WebhookInfo[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [n, setN] = useState(0);
  const [creating, setCreating] = useState(false);
  const [draft, setDraft] = useState<WebhookDraft>(EMPTY_WEBHOOK);
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [made, setMade] = useState<{ url: string; secret: string } | null>(null);
  const [deleting, setDeleting] = useState<WebhookInfo | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const [msg, setMsg] = useState<string | null>(null);
  const reload = (): void => setN((x) => x + 1);
  useEffect(() => {
    if (!roleAllows(role, 'admin')) return;
    api.get<{ webhooks: WebhookInfo[] }>('/webhooks').then(
      (d) => (setHooks(d.webhooks), setError(null)),
      (e) => setError(errorText(e)),
    );
  }, [n]);
  if (!roleAllows(role, 'admin')) return <div class="page"><h1>Webhooks</h1><p class="muted">Only admins manage webhooks.</p></div>;
  if (error) return <div class="page"><ErrorBox error={error} onRetry={reload} /></div>;
  if (hooks === null) return <Loading what="webhooks" />;

  const edit = (patch: Partial<WebhookDraft>): void => setDraft((d) => ({ ...d, ...patch }));
  const create = async (): Promise<void> => {
    const checked = webhookBody(draft, scoped);
    if (!checked.ok) {
      setFormError(checked.error);
      return;
    }
    setBusy(true);
    try {
      const r = await api.post<{ url: string; secret: string }>('/webhooks', checked.body);
      setMade({ url: r.url, secret: r.secret });
      setCreating(false);
      setDraft(EMPTY_WEBHOOK);
      reload();
    } catch (e) {
      setFormError(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="page">
      <header class="page-head">
        <h1>Webhooks</h1>
        <span class="muted">
          {hooks.length} {hooks.length === 1 ? 'webhook' : 'webhooks'}. Each event is POSTed as JSON, signed with the webhook's secret (X-Flotilla-Signature), and retried until a 2xx.
        </span>
        <Button variant="primary" onClick={() => (setFormError(null), setCreating(true))}>
          New webhook
        </Button>
      </header>
      {msg ? <p class="message message-info" role="status">{msg}</p> : null}
      {made ? (
        <SecretOnce secret={made.secret} testId="new-webhook-secret" onDone={() => setMade(null)}>
          The signing secret of the webhook to <strong>{made.url}</strong>
        </SecretOnce>
      ) : null}
      {hooks.length === 0 ? (
        <p class="muted">No webhooks yet: events reach other systems through GET /api/v1/events (server-sent events) or a webhook made here.</p>
      ) : (
        <div class="table-wrap">
          <table class="table" aria-label="Webhooks">
            <thead>
              <tr>
                <th scope="col">URL</th>
                <th scope="col">Events</th>
                <th scope="col">Devices</th>
                <th scope="col">Created</th>
                <th scope="col"><span class="visually-hidden">Actions</span></th>
              </tr>
            </thead>
            <tbody>
              {hooks.map((h) => (
                <Fragment key={h.id}>
                  <tr data-webhook={h.id}>
                    <td class="wrap"><code>{h.url}</code></td>
                    <td class="wrap">{h.events.length === 0 ? <span class="muted">all events</span> : h.events.join(', ')}</td>
                    <td class="wrap">{scopeText(h.scope)}</td>
                    <td title={localTime(h.createdAt)}>{ago(h.createdAt)}</td>
                    <td class="nowrap">
                      <Button small aria-expanded={open === h.id} onClick={() => setOpen(open === h.id ? null : h.id)} aria-label={`Deliveries to ${h.url}`}>
                        Deliveries
                      </Button>{' '}
                      <Button small variant="danger" onClick={() => setDeleting(h)} aria-label={`Delete the webhook to ${h.url}`}>
                        Delete
                      </Button>
                    </td>
                  </tr>
                  {open === h.id ? (
                    <tr>
                      <td colSpan={5}>
                        <Deliveries hook={h} />
                      </td>
                    </tr>
                  ) : null}
                </Fragment>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Dialog
        open={creating}
        title="New webhook"
        onClose={() => setCreating(false)}
        wide
        footer={
          <>
            <Button onClick={() => setCreating(false)}>Cancel</Button>
            <Button variant="primary" busy={busy} onClick={() => void create()}>
              Create webhook
            </Button>
          </>
        }
      >
        <Field label="URL" hint="Where each event is POSTed: http:// or https://" error={formError}>
          {(p) => <input {...p} type="url" value={draft.url} maxLength={2048} placeholder="https://oss.example.net/flotilla" onInput={(e) => edit({ url: e.currentTarget.value })} />}
        </Field>
        <fieldset class="field">
          <legend>Events</legend>
          <div class="hint">None ticked: every event.</div>
          <div class="checks">
            {WEBHOOK_EVENT_TYPES.map((t) => (
              <label key={t} class="check">
                <input type="checkbox" checked={draft.events.includes(t)} onChange={(e) => edit({ events: e.currentTarget.checked ? [...draft.events, t] : draft.events.filter((x) => x !== t) })} /> {t}
              </label>
            ))}
          </div>
        </fieldset>
        <Field label="Signing secret" hint="16 to 256 characters; blank: the ACS makes one and shows it once">
          {(p) => <input {...p} type="password" autocomplete="new-password" value={draft.secret} maxLength={256} onInput={(e) => edit({ secret: e.currentTarget.value })} />}
        </Field>
        {scoped ? (
          <p class="muted">Your token sees part of the fleet: the webhook gets the same scope, and hears only of those devices.</p>
        ) : (
          <>
            <Field label="Only devices with the tag" hint="Blank: any tag">
              {(p) => <input {...p} value={draft.tag} maxLength={128} onInput={(e) => edit({ tag: e.currentTarget.value })} />}
            </Field>
            <Field label="Only devices matching the filter" hint="The devices search's filter language; blank: every device. Events without a device are not sent to a scoped webhook.">
              {(p) => <input {...p} value={draft.filter} maxLength={2048} placeholder={'productClass = "HG8245"'} onInput={(e) => edit({ filter: e.currentTarget.value })} />}
            </Field>
          </>
        )}
      </Dialog>
      <Confirm
        open={deleting !== null}
        title="Delete webhook"
        action="Delete"
        danger
        onClose={() => setDeleting(null)}
        onConfirm={async () => {
          const h = deleting!;
          setDeleting(null);
          if (open === h.id) setOpen(null);
          try {
            await api.del(`/webhooks/${encodeURIComponent(h.id)}`);
            setMsg(`Deleted the webhook to ${h.url}: nothing more is sent to it, pending deliveries included.`);
          } catch (e) {
            setMsg(errorText(e));
          }
          reload();
        }}
      >
        <p>
          Delete the webhook to <strong>{deleting?.url}</strong>? Events stop reaching it at once.
        </p>
      </Confirm>
    </div>
  );
}

/** A webhook's deliveries, newest first, with a state filter and a refresh. */
function Deliveries({ hook }: { hook: WebhookInfo }): JSX.Element {
  const { api } = useApp();
  const [state, setState] = useState<'' | DeliveryState>('');
  const [rows, setRows] = useState<Delivery[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [n, setN] = useState(0);
  useEffect(() => {
    const q = new URLSearchParams({ limit: '50', ...(state !== '' ? { state } : {}) });
    api.get<{ deliveries: Delivery[] }>(`/webhooks/${encodeURIComponent(hook.id)}/deliveries?${q}`).then(
      (d) => (setRows(d.deliveries), setError(null)),
      (e) => setError(errorText(e)),
    );
  }, [n, state, hook.id]);
  return (
    <section class="deliveries" aria-label={`Deliveries to ${hook.url}`}>
      <div class="toolbar">
        <Field label="State" inline>
          {(p) => (
            <select {...p} value={state} onChange={(e) => setState(e.currentTarget.value as '' | DeliveryState)}>
              <option value="">any</option>
              <option value="delivered">delivered</option>
              <option value="pending">pending</option>
              <option value="failed">failed</option>
            </select>
          )}
        </Field>
        <Button small onClick={() => setN((x) => x + 1)}>
          Refresh
        </Button>
      </div>
      {error ? <ErrorBox error={error} onRetry={() => setN((x) => x + 1)} /> : null}
      {rows === null && error === null ? <Loading what="deliveries" /> : null}
      {rows !== null && rows.length === 0 ? <p class="muted">No deliveries{state !== '' ? ` ${state}` : ''} in the last 7 days.</p> : null}
      {rows !== null && rows.length > 0 ? (
        <table class="table table-compact" aria-label={`Deliveries of ${hook.url}`}>
          <thead>
            <tr>
              <th scope="col">Event</th>
              <th scope="col">Device</th>
              <th scope="col">State</th>
              <th scope="col">Attempts</th>
              <th scope="col">Last error</th>
              <th scope="col">When</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((d) => (
              <tr key={d.id} data-delivery={d.id}>
                <td>{d.eventType}</td>
                <td class="wrap">{d.deviceId === '' ? <span class="muted">none</span> : <a href={deviceHref(d.deviceId)}>{d.deviceId}</a>}</td>
                <td>
                  <Badge tone={DELIVERY_TONES[d.state]} title={d.state === 'pending' ? `next try ${localTime(d.nextAt)}` : undefined}>
                    {d.state}
                  </Badge>
                </td>
                <td>{d.attempts}</td>
                <td class="wrap">{d.lastError ?? <span class="muted">—</span>}</td>
                <td title={localTime(d.updatedAt)}>{ago(d.updatedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}
