/**
 * NBI authentication: bearer tokens with roles.
 *
 * A token is 32 random bytes, shown once (`flt_<base64url>`). The store keeps only its
 * SHA-256 and a 16-hex-character prefix of that hash to find the row; the full hash is then
 * compared in constant time. FLOTILLA_ADMIN_TOKEN may be any string of 16+ characters (an
 * automation secret), hashed the same way.
 *
 * Roles are ordered: read-only < operator < admin. A route states the least role it needs.
 * Capabilities (`provision`) are rights granted beside the role, not a fourth rung: "may change
 * policies" is not above or below "may manage users", so a role for it would break the order
 * every other route relies on. A route may name one capability that lets an operator do what
 * otherwise takes admin (routeAllows); admin holds every capability, read-only none.
 */
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { ApiRole, ApiTokenRecord, Capability, PrincipalScope, Store, SubscriberTokenRecord } from '../store/types.js';

export const ROLES: readonly ApiRole[] = ['read-only', 'operator', 'admin'];
const RANK: Record<ApiRole, number> = { 'read-only': 0, operator: 1, admin: 2 };

/**
 * A subscriber's self-service token (src/services/subscribers.ts) has the `subscriber` role:
 * it passes only routes that ask for exactly that role, and no other.
 */
export type PrincipalRole = ApiRole | 'subscriber';

export const roleAllows = (have: PrincipalRole, need: PrincipalRole): boolean =>
  need === 'subscriber' || have === 'subscriber' ? have === need : RANK[have] >= RANK[need];

export const CAPABILITIES: readonly Capability[] = ['provision'];

/** What a route asks: the least role, and optionally a capability that lets an operator in. */
export interface RouteNeed {
  role: PrincipalRole;
  /** An operator holding it passes a route whose role is admin (e.g. policy writes: `provision`). */
  capability?: Capability;
}

/** Does a principal with this role and these capabilities pass a route needing `need`? */
export function routeAllows(have: PrincipalRole, capabilities: readonly Capability[] | undefined, need: RouteNeed): boolean {
  if (roleAllows(have, need.role)) return true;
  return need.capability !== undefined && have !== 'subscriber' && roleAllows(have, 'operator') && (capabilities ?? []).includes(need.capability);
}

/** The capabilities a principal effectively holds: admin all of them, operator its grants, others none. */
export function effectiveCapabilities(role: PrincipalRole, granted: readonly Capability[] | undefined): Capability[] {
  if (role === 'admin') return [...CAPABILITIES];
  if (role !== 'operator') return [];
  return CAPABILITIES.filter((c) => (granted ?? []).includes(c));
}

/**
 * Checks a requested grant: known names only, none for read-only (it reads; a capability
 * changes things) or a subscriber. Returns the grant normalised (unique, in CAPABILITIES order)
 * or the reason it is refused.
 */
export function checkCapabilities(role: ApiRole, requested: readonly unknown[]): { ok: true; capabilities: Capability[] } | { ok: false; message: string } {
  for (const c of requested) {
    if (typeof c !== 'string' || !(CAPABILITIES as readonly string[]).includes(c)) {
      return { ok: false, message: `unknown capability ${JSON.stringify(c)} (known: ${CAPABILITIES.join(', ')})` };
    }
  }
  if (requested.length > 0 && role === 'read-only') return { ok: false, message: 'a read-only principal takes no capability: grant it the operator role first' };
  return { ok: true, capabilities: CAPABILITIES.filter((c) => requested.includes(c)) };
}

/** Self-service tokens start with this, so one lookup finds their table. */
export const SUBSCRIBER_TOKEN_PREFIX = 'fls_';

export function hashToken(token: string): { lookup: string; hash: string } {
  const hash = createHash('sha256').update(token, 'utf8').digest('hex');
  return { lookup: hash.slice(0, 16), hash };
}

export function generateToken(): string {
  return `flt_${randomBytes(32).toString('base64url')}`;
}

export const MIN_TOKEN_LENGTH = 16;

export interface Principal {
  tokenId: string;
  name: string;
  role: PrincipalRole;
  /** Set exactly for the `subscriber` role: whose devices the token may see. */
  subscriberId?: string;
  /** Set for a person signed in to the console (a session cookie, auth/users.ts). */
  userId?: string;
  /** The console session's id (hash of its cookie) and the CSRF token its changes must carry. */
  sessionId?: string;
  csrf?: string;
  /** What part of the fleet the principal may see; null or absent: all of it. */
  scope?: PrincipalScope | null;
  /** Rights granted beside the role (routeAllows); absent: none. */
  capabilities?: Capability[];
}

/** Make a token, store its hash, return the token (the only time it exists in clear). */
export async function issueToken(
  store: Store,
  name: string,
  role: ApiRole,
  now = Date.now(),
  scope: PrincipalScope | null = null,
  capabilities: Capability[] = [],
): Promise<{ token: string; record: ApiTokenRecord }> {
  const token = generateToken();
  const record: ApiTokenRecord = { id: randomUUID(), name, role, ...hashToken(token), createdAt: now, scope, capabilities };
  await store.createApiToken(record);
  return { token, record };
}

/**
 * At start: FLOTILLA_ADMIN_TOKEN (when given) is made an admin token if the store does not
 * have it yet; otherwise, when the store has no admin token, one admin token is generated
 * and returned so the caller can print it — once.
 */
export async function ensureAdminToken(store: Store, fromEnv: string | undefined, now = Date.now()): Promise<{ generated: string | null }> {
  if (fromEnv !== undefined && fromEnv !== '') {
    if (fromEnv.length < MIN_TOKEN_LENGTH) throw new Error(`FLOTILLA_ADMIN_TOKEN must be at least ${MIN_TOKEN_LENGTH} characters`);
    const h = hashToken(fromEnv);
    const existing = await store.findApiToken(h.lookup);
    if (existing === null) {
      await store.createApiToken({ id: randomUUID(), name: 'FLOTILLA_ADMIN_TOKEN', role: 'admin', ...h, createdAt: now });
    } else if (!safeEqualHex(existing.hash, h.hash) || existing.role !== 'admin') {
      throw new Error('FLOTILLA_ADMIN_TOKEN collides with a stored token; choose another');
    }
    return { generated: null };
  }
  // Tokens made beforehand with `flotilla token create --role read-only` are no way in for an operator.
  if ((await store.listApiTokens()).some((t) => t.role === 'admin')) return { generated: null };
  const { token } = await issueToken(store, 'first admin', 'admin', now);
  return { generated: token };
}

function safeEqualHex(a: string, b: string): boolean {
  const ab = Buffer.from(a, 'hex');
  const bb = Buffer.from(b, 'hex');
  return ab.length === bb.length && ab.length > 0 && timingSafeEqual(ab, bb);
}

/**
 * Checks `Authorization: Bearer …`. Lookups are cached briefly (a deleted token stops
 * working within `cacheMs` on other processes, at once on this one).
 */
const TOUCH_EVERY_MS = 60_000;

export class Authenticator {
  readonly #store: Store;
  readonly #cacheMs: number;
  readonly #cache = new Map<string, { record: ApiTokenRecord | null; until: number }>();
  readonly #subscriberCache = new Map<string, { record: SubscriberTokenRecord | null; until: number }>();
  readonly #touched = new Map<string, number>();

  constructor(store: Store, opts: { cacheMs?: number } = {}) {
    this.#store = store;
    this.#cacheMs = opts.cacheMs ?? 5_000;
  }

  async authenticate(header: string | undefined, now = Date.now()): Promise<Principal | null> {
    if (header === undefined) return null;
    const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
    if (m === null) return null;
    const token = m[1]!;
    if (token.length < MIN_TOKEN_LENGTH || token.length > 512) return null;
    const { lookup, hash } = hashToken(token);
    if (token.startsWith(SUBSCRIBER_TOKEN_PREFIX)) return this.#subscriber(lookup, hash, now);
    let cached = this.#cache.get(lookup);
    if (cached === undefined || cached.until < now) {
      cached = { record: await this.#store.findApiToken(lookup), until: now + this.#cacheMs };
      if (this.#cache.size > 10_000) this.#cache.clear();
      this.#cache.set(lookup, cached);
    }
    const record = cached.record;
    if (record === null || !safeEqualHex(record.hash, hash)) return null;
    this.#touch(record.id, now);
    return { tokenId: record.id, name: record.name, role: record.role, scope: record.scope ?? null, capabilities: record.capabilities ?? [] };
  }

  async #subscriber(lookup: string, hash: string, now: number): Promise<Principal | null> {
    let cached = this.#subscriberCache.get(lookup);
    if (cached === undefined || cached.until < now) {
      cached = { record: await this.#store.findSubscriberToken(lookup), until: now + this.#cacheMs };
      if (this.#subscriberCache.size > 10_000) this.#subscriberCache.clear();
      this.#subscriberCache.set(lookup, cached);
    }
    const record = cached.record;
    if (record === null || !safeEqualHex(record.hash, hash)) return null;
    return { tokenId: record.id, name: record.name, role: 'subscriber', subscriberId: record.subscriberId };
  }

  /**
   * "Last used" for the tokens page: at most one write per token per minute, off the request's
   * path (a failed write costs the figure's freshness, never the request).
   */
  #touch(id: string, now: number): void {
    const last = this.#touched.get(id);
    if (last !== undefined && now - last < TOUCH_EVERY_MS) return;
    if (this.#touched.size > 10_000) this.#touched.clear();
    this.#touched.set(id, now);
    this.#store.touchApiToken(id, now).catch(() => this.#touched.delete(id));
  }

  /** Forget cached lookups (a token was deleted here). */
  invalidate(): void {
    this.#cache.clear();
    this.#subscriberCache.clear();
  }
}
