/**
 * Sign-in state: the bearer token lives in sessionStorage (gone with the tab, never in a URL,
 * never in localStorage); the role is found by asking the API (api.ts detectRole).
 */
import { Api, detectRole, type Role } from './api';

const TOKEN_KEY = 'flotilla.token';

export interface SignedIn {
  api: Api;
  /** `subscriber`: a self-service token (fls_…), which sees only its own page. */
  role: Role | 'subscriber';
}

export function storedToken(): string | null {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export function forgetToken(): void {
  try {
    sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    // storage disabled: nothing kept anyway
  }
}

/** Check the token against the API, learn its role, keep it for this tab. */
export async function signIn(token: string, onUnauthorized: () => void): Promise<SignedIn> {
  // A 401 while signing in is the sign-in form's to report (one message); only a token that
  // stops working after sign-in signs the console out with a notice.
  let signedIn = false;
  const api = new Api(token.trim(), () => {
    if (signedIn) onUnauthorized();
  });
  // A subscriber's token reaches only /self: it signs in to the self-service page.
  const role = api.token.startsWith('fls_') ? (await api.get('/self'), 'subscriber' as const) : await detectRole(api);
  try {
    sessionStorage.setItem(TOKEN_KEY, api.token);
  } catch {
    // storage disabled: signed in for this page only
  }
  signedIn = true;
  return { api, role };
}
