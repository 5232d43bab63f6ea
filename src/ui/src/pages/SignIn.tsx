/**
 * Sign in: people with a name and password (and their authenticator app's code once TOTP is
 * on), or with an API token (the NBI authenticates bearer tokens; each carries a role). One
 * form, one button: a pasted token wins over the name and password.
 */
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { errorText } from '../api';
import { Button, Field } from '../components/ui';
import { TotpRequired } from '../session';

export function SignIn({
  onSubmit,
  onUserSubmit,
  notice,
}: {
  onSubmit: (token: string) => Promise<void>;
  onUserSubmit: (name: string, password: string, totp: string) => Promise<void>;
  notice: string | null;
}): JSX.Element {
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [totp, setTotp] = useState('');
  const [needTotp, setNeedTotp] = useState(false);
  const [token, setToken] = useState('');
  const [error, setError] = useState<{ on: 'user' | 'token'; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const byToken = token.trim() !== '';
  return (
    <main class="signin" id="main">
      <form
        class="card signin-card"
        aria-labelledby="signin-title"
        onSubmit={async (e) => {
          e.preventDefault();
          if (!byToken && (name.trim() === '' || password === '')) {
            setError(name.trim() === '' && password === '' ? { on: 'token', text: 'Enter your name and password, or paste an API token.' } : { on: 'user', text: 'Enter your name and password.' });
            return;
          }
          setBusy(true);
          setError(null);
          try {
            if (byToken) await onSubmit(token);
            else await onUserSubmit(name.trim(), password, totp.trim());
          } catch (err) {
            if (err instanceof TotpRequired) {
              setNeedTotp(true);
              setError({ on: 'user', text: 'Enter the 6-digit code from your authenticator app.' });
              return;
            }
            const text = errorText(err);
            if (byToken) setError({ on: 'token', text: /UNAUTHORIZED/.test(text) ? 'That token is not valid (UNAUTHORIZED).' : text });
            else setError({ on: 'user', text: /UNAUTHORIZED/.test(text) ? 'The name, password or code is not right, or the account is locked for a while.' : text });
          } finally {
            setBusy(false);
          }
        }}
      >
        <h1 id="signin-title">
          <span class="logo" aria-hidden="true" /> Flotilla
        </h1>
        {/* One message at a time: this attempt's error replaces an earlier notice. */}
        {notice && error === null ? (
          <p class="message message-warn" role="status">
            {notice}
          </p>
        ) : null}
        <Field label="Name">
          {(p) => <input {...p} type="text" name="username" autoComplete="username" spellcheck={false} value={name} onInput={(e) => setName(e.currentTarget.value)} autoFocus />}
        </Field>
        <Field label="Password" error={error?.on === 'user' && !needTotp ? error.text : null}>
          {(p) => <input {...p} type="password" name="password" autoComplete="current-password" value={password} onInput={(e) => setPassword(e.currentTarget.value)} />}
        </Field>
        {needTotp ? (
          <Field label="Authenticator code" error={error?.on === 'user' ? error.text : null}>
            {(p) => (
              <input
                {...p}
                type="text"
                name="totp"
                inputMode="numeric"
                autoComplete="one-time-code"
                pattern="[0-9]{6}"
                maxLength={6}
                value={totp}
                onInput={(e) => setTotp(e.currentTarget.value)}
                autoFocus
              />
            )}
          </Field>
        ) : null}
        <p class="muted signin-or">or, for an API token (your administrator makes them with a role: read-only, operator or admin):</p>
        <Field label="API token" hint="Kept in this browser tab only, until you sign out or close it." error={error?.on === 'token' ? error.text : null}>
          {(p) => <input {...p} type="password" name="token" autoComplete="off" spellcheck={false} value={token} onInput={(e) => setToken(e.currentTarget.value)} />}
        </Field>
        <Button type="submit" variant="primary" busy={busy}>
          Sign in
        </Button>
      </form>
    </main>
  );
}
