/** Sign in with an API token (the NBI authenticates bearer tokens; each carries a role). */
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { errorText } from '../api';
import { Button, Field } from '../components/ui';

export function SignIn({ onSubmit, notice }: { onSubmit: (token: string) => Promise<void>; notice: string | null }): JSX.Element {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <main class="signin" id="main">
      <form
        class="card signin-card"
        aria-labelledby="signin-title"
        onSubmit={async (e) => {
          e.preventDefault();
          if (token.trim() === '') {
            setError('Paste an API token.');
            return;
          }
          setBusy(true);
          setError(null);
          try {
            await onSubmit(token);
          } catch (err) {
            const text = errorText(err);
            setError(/UNAUTHORIZED/.test(text) ? 'That token is not valid (UNAUTHORIZED).' : text);
          } finally {
            setBusy(false);
          }
        }}
      >
        <h1 id="signin-title">
          <span class="logo" aria-hidden="true" /> Flotilla
        </h1>
        <p class="muted">Sign in with an API token. Your administrator creates tokens (POST /api/v1/tokens) with a role: read-only, operator or admin.</p>
        {/* One message at a time: this attempt's error replaces an earlier notice. */}
        {notice && error === null ? (
          <p class="message message-warn" role="status">
            {notice}
          </p>
        ) : null}
        <Field label="API token" hint="Kept in this browser tab only, until you sign out or close it." error={error}>
          {(p) => (
            <input
              {...p}
              type="password"
              name="token"
              autoComplete="current-password"
              spellcheck={false}
              value={token}
              onInput={(e) => setToken(e.currentTarget.value)}
              autoFocus
            />
          )}
        </Field>
        <Button type="submit" variant="primary" busy={busy}>
          Sign in
        </Button>
      </form>
    </main>
  );
}
