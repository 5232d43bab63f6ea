/**
 * Users for people (issue 10): accounts, sign-in with lockout and optional TOTP, console
 * sessions. Front ends (the REST API, `flotilla user …`) call this; nothing here knows HTTP.
 *
 * Sign-in never says which part was wrong: an unknown name, a wrong password, a locked or
 * disabled account all get the same answer, after the same argon2 work (auth/users.ts
 * spendVerification). The audit log gets the real reason. Only after a right password does
 * the answer say that a TOTP code is needed.
 *
 * A directory (LDAP, `directory` below) checks the passwords of users it knows; they are
 * kept here with source `ldap`, their role from their groups at each sign-in.
 */
import { randomUUID } from 'node:crypto';
import {
  checkTotp,
  csrfTokenFor,
  hashPassword,
  newSessionToken,
  newTotpSecret,
  passwordProblem,
  SESSION_TTL_MS,
  spendVerification,
  totpUri,
  verifyPassword,
  type SessionAuthenticator,
} from '../auth/users.js';
import { checkCapabilities } from '../auth/tokens.js';
import type { ApiRole, AuditActor, Capability, LockoutPolicy, PrincipalScope, Store, UserRecord } from '../store/types.js';
import type { Sealer } from '../auth/sealing.js';
import type { AuditService } from './audit.js';
import { conflict, invalidArgument, notFound } from './errors.js';

/** A directory that checks passwords (src/auth/ldap.ts): the role its groups give, or why not. */
export interface Directory {
  /** null: no such user or a wrong password; `no-role`: right, but in no mapped group. */
  authenticate(name: string, password: string): Promise<{ role: ApiRole } | 'no-role' | null>;
}

export const DEFAULT_LOCKOUT: LockoutPolicy = { maxFailures: 5, lockMs: 15 * 60_000 };

/** What the API shows of a user: never a hash or a secret. */
export interface UserView {
  id: string;
  name: string;
  role: ApiRole;
  source: UserRecord['source'];
  disabled: boolean;
  totp: boolean;
  locked: boolean;
  scope: PrincipalScope | null;
  /** Rights granted beside the role (src/auth/tokens.ts): `provision`. */
  capabilities: Capability[];
  lastSignInAt: number | null;
  createdAt: number;
  updatedAt: number;
}

export type SignInResult =
  | { ok: true; user: UserView; token: string; csrf: string; expiresAt: number }
  | { ok: false; reason: 'invalid' | 'totp-required' };

export const USER_NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$/;

/** A base32 TOTP secret never contains a dot; a sealed value (src/auth/sealing.ts) starts with `v1.`. */
const isSealedTotp = (stored: string): boolean => stored.startsWith('v1.');
const totpBinding = (userId: string): string => `totp:${userId}`;

export class UserService {
  readonly #store: Store;
  readonly #audit: AuditService;
  readonly #now: () => number;
  readonly #lockout: LockoutPolicy;
  readonly #directory: Directory | null;
  readonly #sealer: Sealer | null;
  #sessions: SessionAuthenticator | null = null;

  /**
   * `sealer`: TOTP secrets are kept sealed at rest under it (src/auth/sealing.ts, the key of
   * the connection-request passwords; `flotilla serve` always has one). Without it (tests, a
   * CLI without the data directory) they are kept as they are given.
   */
  constructor(opts: { store: Store; audit: AuditService; now?: () => number; lockout?: LockoutPolicy; directory?: Directory | null; sealer?: Sealer | null }) {
    this.#store = opts.store;
    this.#sealer = opts.sealer ?? null;
    this.#audit = opts.audit;
    this.#now = opts.now ?? Date.now;
    this.#lockout = opts.lockout ?? DEFAULT_LOCKOUT;
    this.#directory = opts.directory ?? null;
  }

  /** The API's session cache, told when sessions end here. */
  attachSessions(s: SessionAuthenticator): void {
    this.#sessions = s;
  }

  view(u: UserRecord): UserView {
    return {
      id: u.id,
      name: u.name,
      role: u.role,
      source: u.source,
      disabled: u.disabled,
      totp: u.totpSecret !== null,
      locked: u.lockedUntil !== null && u.lockedUntil > this.#now(),
      scope: u.scope,
      capabilities: u.capabilities ?? [],
      lastSignInAt: u.lastSignInAt,
      createdAt: u.createdAt,
      updatedAt: u.updatedAt,
    };
  }

  async create(input: { name: string; role: ApiRole; password: string; scope?: PrincipalScope | null; capabilities?: readonly string[] }): Promise<UserView> {
    if (!USER_NAME.test(input.name)) throw invalidArgument('a user name is 1 to 128 letters, digits and . _ @ - (starting with a letter or digit)');
    const caps = checkCapabilities(input.role, input.capabilities ?? []);
    if (!caps.ok) throw invalidArgument(caps.message);
    const problem = passwordProblem(input.password, input.name);
    if (problem !== null) throw invalidArgument(problem);
    if ((await this.#store.findUserByName(input.name)) !== null) throw conflict(`a user named ${input.name} exists`);
    const at = this.#now();
    const user: UserRecord = {
      id: randomUUID(),
      name: input.name,
      role: input.role,
      source: 'local',
      passwordHash: await hashPassword(input.password),
      totpSecret: null,
      totpPending: null,
      totpLastStep: null,
      disabled: false,
      failedAttempts: 0,
      lockedUntil: null,
      scope: input.scope ?? null,
      capabilities: caps.capabilities,
      lastSignInAt: null,
      createdAt: at,
      updatedAt: at,
    };
    try {
      await this.#store.createUser(user);
    } catch {
      // Two creations racing for one name: the store's unique index decided.
      throw conflict(`a user named ${input.name} exists`);
    }
    return this.view(user);
  }

  async list(): Promise<UserView[]> {
    return (await this.#store.listUsers()).map((u) => this.view(u));
  }

  async get(id: string): Promise<UserView> {
    const u = await this.#store.getUser(id);
    if (u === null) throw notFound(`user ${id}`);
    return this.view(u);
  }

  /**
   * An administrator's change: role, capabilities, scope, disabled, a new password, TOTP removed
   * (a lost phone). Made read-only without naming capabilities, a user loses them (read-only takes none).
   */
  async update(
    id: string,
    change: { role?: ApiRole; capabilities?: readonly string[]; disabled?: boolean; password?: string; scope?: PrincipalScope | null; resetTotp?: boolean },
  ): Promise<{ before: UserView; after: UserView }> {
    const u = await this.#store.getUser(id);
    if (u === null) throw notFound(`user ${id}`);
    let capabilities: Capability[] | undefined;
    if (change.capabilities !== undefined) {
      const caps = checkCapabilities(change.role ?? u.role, change.capabilities);
      if (!caps.ok) throw invalidArgument(caps.message);
      capabilities = caps.capabilities;
    } else if (change.role === 'read-only' && (u.capabilities ?? []).length > 0) {
      capabilities = [];
    }
    if (change.password !== undefined) {
      if (u.source !== 'local') throw conflict(`${u.name} signs in through the directory: its password is changed there`);
      const problem = passwordProblem(change.password, u.name);
      if (problem !== null) throw invalidArgument(problem);
    }
    const after = await this.#store.updateUser(
      id,
      {
        ...(change.role !== undefined ? { role: change.role } : {}),
        ...(capabilities !== undefined ? { capabilities } : {}),
        ...(change.disabled !== undefined ? { disabled: change.disabled } : {}),
        ...(change.scope !== undefined ? { scope: change.scope } : {}),
        ...(change.password !== undefined ? { passwordHash: await hashPassword(change.password) } : {}),
        ...(change.resetTotp === true ? { totpSecret: null, totpPending: null, totpLastStep: null } : {}),
      },
      this.#now(),
    );
    if (after === null) throw notFound(`user ${id}`);
    // A disabled user, or one whose password an administrator reset, is signed out everywhere.
    if (change.disabled === true || change.password !== undefined) await this.#store.deleteUserSessions(id);
    this.#sessions?.invalidate();
    return { before: this.view(u), after: this.view(after) };
  }

  /**
   * Check a name, password and (when enrolled) TOTP code; open a session. `source` is the
   * client's address, for the audit log.
   */
  async signIn(input: { name: string; password: string; totp?: string; source: string }): Promise<SignInResult> {
    const at = this.#now();
    const fail = async (u: UserRecord | null, reason: string): Promise<SignInResult> => {
      await this.#record(u === null ? { kind: 'anonymous', id: '', name: input.name.slice(0, 128) } : actorOf(u), input.source, 'sign-in-failed', u?.id ?? null, 401, { reason });
      return { ok: false, reason: 'invalid' };
    };
    let user = await this.#store.findUserByName(input.name);
    if (user === null && this.#directory !== null && USER_NAME.test(input.name)) {
      const found = await this.#ask(input.name, input.password);
      if (found === 'error') return fail(null, 'directory-unreachable');
      if (found === null) return fail(null, 'unknown-user-or-wrong-password');
      if (found === 'no-role') return fail(null, 'directory-user-in-no-mapped-group');
      user = await this.#directoryUser(input.name, found.role, at);
      return this.#afterPassword(user, input, at);
    }
    if (user === null) {
      await spendVerification(input.password);
      return fail(null, 'unknown-user');
    }
    if (user.disabled) {
      await spendVerification(input.password);
      return fail(user, 'disabled');
    }
    if (user.lockedUntil !== null && user.lockedUntil > at) {
      await spendVerification(input.password);
      return fail(user, 'locked');
    }
    let passwordOk: boolean;
    if (user.source === 'ldap') {
      const found = await this.#ask(input.name, input.password);
      if (found === 'error') return fail(user, 'directory-unreachable');
      passwordOk = found !== null && found !== 'no-role';
      if (found !== null && found !== 'no-role' && found.role !== user.role) {
        user = (await this.#store.updateUser(user.id, { role: found.role }, at)) ?? user;
      }
      if (found === 'no-role') return fail(user, 'directory-user-in-no-mapped-group');
    } else {
      passwordOk = user.passwordHash !== null && (await verifyPassword(user.passwordHash, input.password));
    }
    if (!passwordOk) return this.#failure(user, input, 'wrong-password', at);
    return this.#afterPassword(user, input, at);
  }

  /** The directory's answer; 'error' when it cannot be asked (down, timeout): a refusal, never an open door. */
  async #ask(name: string, password: string): Promise<{ role: ApiRole } | 'no-role' | null | 'error'> {
    if (this.#directory === null) return null;
    try {
      return await this.#directory.authenticate(name, password);
    } catch {
      return 'error';
    }
  }

  async #afterPassword(user: UserRecord, input: { name: string; totp?: string; source: string }, at: number): Promise<SignInResult> {
    if (user.totpSecret !== null) {
      if (input.totp === undefined || input.totp === '') return { ok: false, reason: 'totp-required' };
      const secret = this.#openTotp(user.id, user.totpSecret);
      // Sealed under a key this process does not have: refused (never let in without the code).
      if (secret === null) return this.#failure(user, input, 'totp-secret-unreadable', at);
      const step = await checkTotp(secret, input.totp, user.totpLastStep, at);
      if (step === null) return this.#failure(user, input, 'wrong-totp', at);
      // A secret still in clear (stored before sealing) is sealed now.
      await this.#store.updateUser(user.id, { totpLastStep: step, ...(this.#needsSealing(user.totpSecret) ? { totpSecret: this.#sealTotp(user.id, secret) } : {}) }, at);
    }
    await this.#store.recordSignInSuccess(user.id, at);
    const { token, id } = newSessionToken();
    const expiresAt = at + SESSION_TTL_MS;
    await this.#store.createUserSession({ id, userId: user.id, createdAt: at, expiresAt, source: input.source.slice(0, 256) });
    await this.#record(actorOf(user), input.source, 'sign-in', user.id, 200, { source: user.source, totp: user.totpSecret !== null });
    return { ok: true, user: this.view({ ...user, lastSignInAt: at, failedAttempts: 0, lockedUntil: null }), token, csrf: csrfTokenFor(token), expiresAt };
  }

  async #failure(user: UserRecord, input: { source: string }, reason: string, at: number): Promise<SignInResult> {
    const after = await this.#store.recordSignInFailure(user.id, at, this.#lockout);
    await this.#record(actorOf(user), input.source, 'sign-in-failed', user.id, 401, { reason, failedAttempts: after?.failedAttempts ?? null });
    if (after !== null && after.lockedUntil !== null && after.lockedUntil > at && (user.lockedUntil === null || user.lockedUntil <= at)) {
      await this.#record({ kind: 'system', id: '', name: 'lockout' }, input.source, 'user-locked', user.id, 0, {
        failedAttempts: after.failedAttempts,
        lockedUntil: new Date(after.lockedUntil).toISOString(),
      });
    }
    return { ok: false, reason: 'invalid' };
  }

  async #directoryUser(name: string, role: ApiRole, at: number): Promise<UserRecord> {
    const user: UserRecord = {
      id: randomUUID(),
      name,
      role,
      source: 'ldap',
      passwordHash: null,
      totpSecret: null,
      totpPending: null,
      totpLastStep: null,
      disabled: false,
      failedAttempts: 0,
      lockedUntil: null,
      scope: null,
      lastSignInAt: null,
      createdAt: at,
      updatedAt: at,
    };
    try {
      await this.#store.createUser(user);
      return user;
    } catch {
      // Another process made it first.
      const u = await this.#store.findUserByName(name);
      if (u === null) throw new Error(`could not keep directory user ${name}`);
      return u;
    }
  }

  async signOut(sessionId: string): Promise<void> {
    await this.#store.deleteUserSession(sessionId);
    this.#sessions?.invalidate();
  }

  /** A user's own password change: the current one first. Other sessions end. */
  async changePassword(userId: string, current: string, next: string, keepSession: string): Promise<void> {
    const u = await this.#store.getUser(userId);
    if (u === null) throw notFound(`user ${userId}`);
    if (u.source !== 'local' || u.passwordHash === null) throw conflict('this account signs in through the directory: change the password there');
    if (!(await verifyPassword(u.passwordHash, current))) throw invalidArgument('the current password is not right');
    const problem = passwordProblem(next, u.name);
    if (problem !== null) throw invalidArgument(problem);
    await this.#store.updateUser(userId, { passwordHash: await hashPassword(next) }, this.#now());
    await this.#store.deleteUserSessions(userId);
    // The session that asked stays signed in: it proved the password just now.
    await this.#store.createUserSession({ id: keepSession, userId, createdAt: this.#now(), expiresAt: this.#now() + SESSION_TTL_MS, source: 'password change' });
    this.#sessions?.invalidate();
  }

  /** Start TOTP enrolment: a new secret, shown once; it counts only once confirmed by a code. */
  async enrolTotp(userId: string): Promise<{ secret: string; uri: string }> {
    const u = await this.#store.getUser(userId);
    if (u === null) throw notFound(`user ${userId}`);
    if (u.totpSecret !== null) throw conflict('TOTP is already on: turn it off first');
    const secret = newTotpSecret();
    await this.#store.updateUser(userId, { totpPending: this.#sealTotp(userId, secret) }, this.#now());
    return { secret, uri: totpUri(u.name, secret) };
  }

  async confirmTotp(userId: string, code: string): Promise<void> {
    const u = await this.#store.getUser(userId);
    if (u === null) throw notFound(`user ${userId}`);
    if (u.totpPending === null) throw conflict('no TOTP enrolment is pending');
    const pending = this.#openTotp(userId, u.totpPending);
    if (pending === null) throw conflict('the pending TOTP enrolment cannot be read (sealed under another key): start it again');
    const step = await checkTotp(pending, code, null, this.#now());
    if (step === null) throw invalidArgument('that code is not right for the new secret');
    await this.#store.updateUser(userId, { totpSecret: this.#sealTotp(userId, pending), totpPending: null, totpLastStep: step }, this.#now());
  }

  /**
   * Seal every TOTP secret still in clear (rows from before sealing) or sealed under an older
   * key (after a rotation), in place. `flotilla serve` runs it at start, once the key is
   * loaded; `flotilla credentials reseal` too. `unreadable`: sealed under a key not loaded
   * (those users cannot pass their TOTP until an administrator removes it).
   */
  async sealStoredTotp(): Promise<{ sealed: number; unreadable: number }> {
    if (this.#sealer === null) return { sealed: 0, unreadable: 0 };
    let sealed = 0;
    let unreadable = 0;
    for (const u of await this.#store.listUsers()) {
      const patch: { totpSecret?: string; totpPending?: string } = {};
      for (const field of ['totpSecret', 'totpPending'] as const) {
        const stored = u[field];
        if (stored === null || !this.#needsSealing(stored)) continue;
        const clear = this.#openTotp(u.id, stored);
        if (clear === null) unreadable++;
        else patch[field] = this.#sealTotp(u.id, clear);
      }
      if (Object.keys(patch).length === 0) continue;
      await this.#store.updateUser(u.id, patch, this.#now());
      sealed++;
    }
    return { sealed, unreadable };
  }

  /** Bound to the user (additional data): a sealed secret copied to another user's row does not open. */
  #sealTotp(userId: string, secret: string): string {
    return this.#sealer === null ? secret : this.#sealer.seal(secret, totpBinding(userId));
  }

  /** The clear secret of a stored value; null when it is sealed and cannot be opened here. */
  #openTotp(userId: string, stored: string): string | null {
    if (!isSealedTotp(stored)) return stored;
    return this.#sealer === null ? null : this.#sealer.open(stored, totpBinding(userId));
  }

  /** In clear, or sealed under another key than the current one. */
  #needsSealing(stored: string): boolean {
    return this.#sealer !== null && (!isSealedTotp(stored) || this.#sealer.isStale(stored));
  }

  /** Turn TOTP off: the password again, so a session left open is not enough. */
  async disableTotp(userId: string, password: string): Promise<void> {
    const u = await this.#store.getUser(userId);
    if (u === null) throw notFound(`user ${userId}`);
    if (u.totpSecret === null) throw conflict('TOTP is not on');
    if (u.passwordHash === null || !(await verifyPassword(u.passwordHash, password))) throw invalidArgument('the password is not right');
    await this.#store.updateUser(userId, { totpSecret: null, totpPending: null, totpLastStep: null }, this.#now());
  }

  async #record(actor: AuditActor, source: string, action: string, target: string | null, status: number, after: unknown): Promise<void> {
    await this.#audit.record({ at: this.#now(), actor, source, action, target, status, before: null, after });
  }
}

const actorOf = (u: UserRecord): AuditActor => ({ kind: 'user', id: u.id, name: u.name });
