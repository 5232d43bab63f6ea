/**
 * People's sign-in (issue 10): passwords as argon2id hashes, console session cookies and their
 * CSRF tokens, TOTP codes. Tokens (tokens.ts) stay for machines.
 *
 * - Passwords: argon2id with OWASP's minimum (19 MiB, 2 passes, 1 lane); the PHC string
 *   carries its parameters, so raising them later keeps old hashes verifiable.
 * - A session cookie is 32 random bytes; the store keeps only its SHA-256 (a stolen database
 *   opens no session). Its CSRF token is an HMAC of the cookie's value: a page on another
 *   site cannot read it, and the server keeps nothing more to check it.
 * - TOTP (RFC 6238, 30 s, 6 digits, ±1 step for clocks that drift); a step once accepted is
 *   never accepted again, so an overheard code cannot be replayed.
 */
import { hash as argonHash, verify as argonVerify, Algorithm } from '@node-rs/argon2';
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { generateSecret, generateURI, verify as otpVerify } from 'otplib';
import type { ApiRole, Capability, PrincipalScope, Store } from '../store/types.js';

export const SESSION_COOKIE = 'flotilla_session';
export const CSRF_HEADER = 'x-csrf-token';
/** A console session lasts this long from sign-in (then sign in again). */
export const SESSION_TTL_MS = 12 * 3600_000;
/** Passwords: long enough to mean something, short enough that hashing one is bounded work. */
export const MIN_PASSWORD_LENGTH = 10;
export const MAX_PASSWORD_LENGTH = 256;

const ARGON = { algorithm: Algorithm.Argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  return argonHash(password, ARGON);
}

/** False for a wrong password or a hash that is not a PHC string (never throws). */
export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  try {
    return await argonVerify(hash, password);
  } catch {
    return false;
  }
}

let dummy: Promise<string> | undefined;
/**
 * Verify against a throw-away hash: an unknown name costs the same work as a known one, so
 * the answer's timing does not tell which names exist.
 */
export async function spendVerification(password: string): Promise<void> {
  dummy ??= hashPassword(randomBytes(16).toString('hex'));
  await verifyPassword(await dummy, password);
}

/** Why a password is not accepted, or null. */
export function passwordProblem(password: string, name: string): string | null {
  if (password.length < MIN_PASSWORD_LENGTH) return `a password needs at least ${MIN_PASSWORD_LENGTH} characters`;
  if (password.length > MAX_PASSWORD_LENGTH) return `a password has at most ${MAX_PASSWORD_LENGTH} characters`;
  if (password.toLowerCase() === name.toLowerCase()) return 'a password must not be the user name';
  return null;
}

export function newSessionToken(): { token: string; id: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, id: sessionId(token) };
}

export const sessionId = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

export const csrfTokenFor = (sessionToken: string): string => createHmac('sha256', sessionToken).update('flotilla csrf').digest('base64url');

/** Constant-time comparison of two strings of any length. */
export function sameSecret(a: string, b: string): boolean {
  const ab = createHash('sha256').update(a).digest();
  const bb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ab, bb) && a.length === b.length;
}

/** The session cookie's value from a Cookie header (the last one when repeated), or null. */
export function sessionCookieOf(header: string | undefined): string | null {
  if (header === undefined || header.length > 8192) return null;
  let found: string | null = null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== SESSION_COOKIE) continue;
    const value = part.slice(eq + 1).trim();
    if (/^[A-Za-z0-9_-]{43}$/.test(value)) found = value;
  }
  return found;
}

/** Set-Cookie for a new session (Secure when the console is served over TLS). */
export function sessionCookie(token: string, secure: boolean, maxAgeMs = SESSION_TTL_MS): string {
  return `${SESSION_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${Math.floor(maxAgeMs / 1000)}${secure ? '; Secure' : ''}`;
}

export function clearedSessionCookie(secure: boolean): string {
  return `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0${secure ? '; Secure' : ''}`;
}

export const newTotpSecret = (): string => generateSecret();

export const totpUri = (name: string, secret: string): string => generateURI({ issuer: 'Flotilla', label: name, secret });

/**
 * The time step a code is good for, or null: wrong, malformed, or a step at or before the
 * last one accepted.
 */
export async function checkTotp(secret: string, code: string, lastStep: number | null, nowMs: number): Promise<number | null> {
  if (!/^\d{6}$/.test(code)) return null;
  try {
    const r = await otpVerify({
      secret,
      token: code,
      epoch: Math.floor(nowMs / 1000),
      epochTolerance: 30,
      ...(lastStep !== null ? { afterTimeStep: lastStep } : {}),
    });
    return r.valid && 'timeStep' in r ? r.timeStep : null;
  } catch {
    return null;
  }
}

/** What a console session stands for, as the API's authentication needs it. */
export interface SessionPrincipal {
  userId: string;
  name: string;
  role: ApiRole;
  scope: PrincipalScope | null;
  /** Rights granted beside the role (tokens.ts routeAllows). */
  capabilities: Capability[];
  sessionId: string;
  /** The CSRF token a changing request must carry in CSRF_HEADER. */
  csrf: string;
}

/**
 * Finds the session of a cookie, cached briefly like tokens (a signed-out or disabled session
 * stops at once on this process, within `cacheMs` on others).
 */
export class SessionAuthenticator {
  readonly #store: Pick<Store, 'findUserSession'>;
  readonly #cacheMs: number;
  readonly #cache = new Map<string, { p: SessionPrincipal | null; until: number }>();

  constructor(store: Pick<Store, 'findUserSession'>, opts: { cacheMs?: number } = {}) {
    this.#store = store;
    this.#cacheMs = opts.cacheMs ?? 5_000;
  }

  async authenticate(cookieToken: string, now = Date.now()): Promise<SessionPrincipal | null> {
    const id = sessionId(cookieToken);
    let cached = this.#cache.get(id);
    if (cached === undefined || cached.until < now) {
      const found = await this.#store.findUserSession(id, now);
      const ok = found !== null && !found.user.disabled;
      cached = {
        p: ok ? { userId: found.user.id, name: found.user.name, role: found.user.role, scope: found.user.scope, capabilities: found.user.capabilities ?? [], sessionId: id, csrf: csrfTokenFor(cookieToken) } : null,
        // Never cached past the session's end.
        until: Math.min(now + this.#cacheMs, found?.session.expiresAt ?? Infinity),
      };
      if (this.#cache.size > 10_000) this.#cache.clear();
      this.#cache.set(id, cached);
    }
    return cached.p;
  }

  /** Forget cached sessions (one signed out, a user disabled, a role changed). */
  invalidate(): void {
    this.#cache.clear();
  }
}
