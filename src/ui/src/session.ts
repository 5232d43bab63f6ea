/**
 * Sign-in state. A person signs in with a name and password (+ TOTP code): the server keeps
 * the session and the browser an HttpOnly cookie the page cannot read; the page keeps only
 * the CSRF token, in memory (asked again from GET /session after a reload). Or with an API
 * token, which lives in sessionStorage (gone with the tab, never in a URL, never in
 * localStorage); the role is found by asking the API (api.ts detectRole).
 */
import { API_BASE, Api, ApiError, detectPrincipal, type Capability, type Role } from './api';

const TOKEN_KEY = 'flotilla.token';

export interface SignedIn {
  api: Api;
  /** `user`: signed in with a name and password (a session cookie). */
  kind?: 'user' | 'token';
  name?: string;
  /** `subscriber`: a self-service token (fls_…), which sees only its own page. */
  role: Role | 'subscriber';
  /** Rights beside the role, in effect (GET /session): `provision` lets an operator change policies. */
  capabilities?: Capability[];
  /**
   * Scoped to part of the fleet (a tenant, a region): the API answers for those devices only
   * and refuses fleet-wide configuration (403), so the console does not offer it.
   */
  scoped?: boolean;
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
  const t = token.trim();
  const api = new Api(t, () => {
    if (signedIn) onUnauthorized();
  });
  // A subscriber's token reaches only /self: it signs in to the self-service page.
  const who = t.startsWith('fls_') ? (await api.get('/self'), { role: 'subscriber' as const, capabilities: [], scoped: false }) : await detectPrincipal(api);
  try {
    sessionStorage.setItem(TOKEN_KEY, t);
  } catch {
    // storage disabled: signed in for this page only
  }
  signedIn = true;
  return { api, role: who.role, capabilities: who.capabilities, scoped: who.scoped };
}

interface SessionAnswer {
  kind: 'user' | 'token';
  name: string;
  role: Role;
  capabilities?: Capability[];
  csrfToken?: string;
  scope?: unknown;
}

/** The server answered that this account needs its TOTP code. */
export class TotpRequired extends Error {}

/** Sign in with a name and password (and the TOTP code when the account has one). */
export async function signInUser(name: string, password: string, totp: string, onUnauthorized: () => void): Promise<SignedIn> {
  let res: Response;
  try {
    res = await fetch(`${API_BASE}/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      credentials: 'same-origin',
      cache: 'no-store',
      body: JSON.stringify({ name, password, ...(totp !== '' ? { totp } : {}) }),
    });
  } catch {
    throw new ApiError(0, 'NETWORK', 'the server cannot be reached');
  }
  const body = (await res.json().catch(() => ({}))) as Partial<SessionAnswer> & { code?: string; message?: string };
  if (!res.ok) {
    if (body.code === 'TOTP_REQUIRED') throw new TotpRequired(body.message ?? 'a TOTP code is needed');
    throw new ApiError(res.status, body.code ?? `HTTP_${res.status}`, body.message ?? 'sign-in failed');
  }
  return userSession(body as SessionAnswer, onUnauthorized);
}

function userSession(s: SessionAnswer, onUnauthorized: () => void): SignedIn {
  return { api: new Api(null, onUnauthorized, s.csrfToken ?? null), role: s.role, capabilities: s.capabilities ?? [], kind: 'user', name: s.name, scoped: s.scope != null };
}

/** After a reload: the session cookie (if any) still signs this browser in. */
export async function restoreUserSession(onUnauthorized: () => void): Promise<SignedIn | null> {
  try {
    const res = await fetch(`${API_BASE}/session`, { headers: { accept: 'application/json' }, credentials: 'same-origin', cache: 'no-store' });
    if (!res.ok) return null;
    const s = (await res.json()) as SessionAnswer;
    return s.kind === 'user' ? userSession(s, onUnauthorized) : null;
  } catch {
    return null;
  }
}

/** End a name-and-password session on the server (a token has none to end). */
export async function endUserSession(s: SignedIn): Promise<void> {
  if (s.kind !== 'user') return;
  await s.api.del('/session').catch(() => undefined);
}
