/** API tokens (admins): who can reach the API with which role, when each was last used; create and revoke. */
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { errorText, roleAllows, type Role } from '../api';
import { useApp } from '../app-context';
import { Badge, Button, Dialog, ErrorBox, Field, Loading, SecretOnce } from '../components/ui';
import { ago, localTime } from '../format';

interface TokenInfo {
  id: string;
  name: string;
  role: Role;
  createdAt: string;
  lastUsedAt: string | null;
}

const ROLES: readonly Role[] = ['read-only', 'operator', 'admin'];

export function TokensPage(): JSX.Element {
  const { api, role } = useApp();
  const [tokens, setTokens] = useState<TokenInfo[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [n, setN] = useState(0);
  const [creating, setCreating] = useState(false);
  const [name, setName] = useState('');
  const [newRole, setNewRole] = useState<Role>('read-only');
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [made, setMade] = useState<{ token: string; name: string } | null>(null);
  const [revoking, setRevoking] = useState<TokenInfo | null>(null);
  const [msg, setMsg] = useState<string | null>(null);
  const reload = (): void => setN((x) => x + 1);
  useEffect(() => {
    if (!roleAllows(role, 'admin')) return;
    api.get<{ tokens: TokenInfo[] }>('/tokens').then(
      (d) => {
        setTokens(d.tokens);
        setError(null);
      },
      (e) => setError(errorText(e)),
    );
  }, [n]);
  if (!roleAllows(role, 'admin')) return <div class="page"><h1>API tokens</h1><p class="muted">Only admins manage tokens.</p></div>;
  if (error) return <div class="page"><ErrorBox error={error} onRetry={reload} /></div>;
  if (tokens === null) return <Loading what="tokens" />;

  const create = async (): Promise<void> => {
    const trimmed = name.trim();
    if (trimmed === '' || trimmed.length > 128) {
      setFormError('A name of 1 to 128 characters: what the token is for.');
      return;
    }
    setBusy(true);
    try {
      const r = await api.post<{ token: string; name: string }>('/tokens', { name: trimmed, role: newRole });
      setMade({ token: r.token, name: trimmed });
      setCreating(false);
      setName('');
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
        <h1>API tokens</h1>
        <span class="muted">{tokens.length} tokens. A token is shown once, when it is made; only its hash is kept.</span>
        <Button variant="primary" onClick={() => (setFormError(null), setCreating(true))}>
          New token
        </Button>
      </header>
      {msg ? <p class="message message-info" role="status">{msg}</p> : null}
      {made ? (
        <SecretOnce secret={made.token} testId="new-token" onDone={() => setMade(null)}>
          Token <strong>{made.name}</strong>
        </SecretOnce>
      ) : null}
      <div class="table-wrap">
        <table class="table" aria-label="API tokens">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Role</th>
              <th scope="col">Created</th>
              <th scope="col">Last used</th>
              <th scope="col"><span class="visually-hidden">Actions</span></th>
            </tr>
          </thead>
          <tbody>
            {tokens.map((t) => (
              <tr key={t.id}>
                <td class="wrap">{t.name}</td>
                <td>
                  <Badge tone={t.role === 'admin' ? 'warn' : t.role === 'operator' ? 'info' : 'muted'}>{t.role}</Badge>
                </td>
                <td title={localTime(t.createdAt)}>{ago(t.createdAt)}</td>
                <td title={t.lastUsedAt ? localTime(t.lastUsedAt) : undefined}>{t.lastUsedAt ? ago(t.lastUsedAt) : <span class="muted">never</span>}</td>
                <td class="nowrap">
                  <Button small variant="danger" onClick={() => setRevoking(t)} aria-label={`Revoke ${t.name}`}>
                    Revoke
                  </Button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <Dialog
        open={creating}
        title="New API token"
        onClose={() => setCreating(false)}
        footer={
          <>
            <Button onClick={() => setCreating(false)}>Cancel</Button>
            <Button variant="primary" busy={busy} onClick={() => void create()}>
              Create
            </Button>
          </>
        }
      >
        <Field label="Name" hint="What or who it is for, e.g. billing-sync" error={formError}>
          {(p) => <input {...p} value={name} maxLength={128} onInput={(e) => setName(e.currentTarget.value)} />}
        </Field>
        <Field label="Role" hint="read-only reads; operator also changes devices; admin also manages tokens, webhooks and credentials">
          {(p) => (
            <select {...p} value={newRole} onChange={(e) => setNewRole(e.currentTarget.value as Role)}>
              {ROLES.map((r) => (
                <option key={r} value={r}>
                  {r}
                </option>
              ))}
            </select>
          )}
        </Field>
      </Dialog>
      <Dialog
        open={revoking !== null}
        title="Revoke token"
        onClose={() => setRevoking(null)}
        footer={
          <>
            <Button onClick={() => setRevoking(null)}>Cancel</Button>
            <Button
              variant="danger"
              onClick={async () => {
                const t = revoking!;
                setRevoking(null);
                try {
                  await api.del(`/tokens/${encodeURIComponent(t.id)}`);
                  setMsg(`Revoked ${t.name}: requests with it are refused from now on.`);
                } catch (e) {
                  setMsg(errorText(e));
                }
                reload();
              }}
            >
              Revoke
            </Button>
          </>
        }
      >
        <p>
          Revoke <strong>{revoking?.name}</strong> ({revoking?.role})? Whatever uses it stops working at once. If it is the token you are signed in with, you will be signed out.
        </p>
      </Dialog>
    </div>
  );
}
