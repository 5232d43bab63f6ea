/**
 * Store concern: users for people (issue 10). Tokens stay for machines; people sign in to the
 * console with a name and password (argon2id hash only), optionally a TOTP code, and get a
 * server-side session. Sessions are rows here so every ACS process behind a balancer knows
 * them; the cookie holds a random value whose SHA-256 is the row's id.
 * Backends: sqlite/users.ts, postgres/users.ts; suite: test/store/conformance/users.ts.
 */
import type { ApiRole, Capability, PrincipalScope } from './tokens.js';

/** Where a user's password is checked: here (argon2id hash) or by the LDAP directory. */
export type UserSource = 'local' | 'ldap';


export interface UserRecord {
  id: string;
  /** Sign-in name; unique, compared exactly. */
  name: string;
  role: ApiRole;
  source: UserSource;
  /** argon2id PHC string; null for directory users. */
  passwordHash: string | null;
  /** The confirmed TOTP secret (base32): a code is then required at sign-in. */
  totpSecret: string | null;
  /** A secret shown at enrolment, not yet confirmed by a code. */
  totpPending: string | null;
  /** Last TOTP time step accepted: a code is never accepted twice. */
  totpLastStep: number | null;
  disabled: boolean;
  /** Consecutive failed sign-ins since the last success or lock. */
  failedAttempts: number;
  /** Locked until then (ms); null: not locked. */
  lockedUntil: number | null;
  scope: PrincipalScope | null;
  /** Granted beside the role (tokens.ts Capability); absent: none. */
  capabilities?: Capability[];
  lastSignInAt: number | null;
  createdAt: number;
  updatedAt: number;
}

/** What an update may change; absent fields stay. */
export type UserPatch = Partial<Pick<UserRecord, 'role' | 'passwordHash' | 'totpSecret' | 'totpPending' | 'totpLastStep' | 'disabled' | 'scope' | 'capabilities'>>;

export interface LockoutPolicy {
  /** Failures in a row that lock the account. */
  maxFailures: number;
  /** For how long (bounded: the lock ends by itself). */
  lockMs: number;
}

export interface UserSessionRecord {
  /** SHA-256 (hex) of the cookie's value. */
  id: string;
  userId: string;
  createdAt: number;
  expiresAt: number;
  /** Client address at sign-in. */
  source: string;
}

export interface UserStore {
  /** Rejects a name already taken. */
  createUser(user: UserRecord): Promise<void>;
  getUser(id: string): Promise<UserRecord | null>;
  findUserByName(name: string): Promise<UserRecord | null>;
  /** By name. */
  listUsers(): Promise<UserRecord[]>;
  /** Change the given fields; null when there is no such user. */
  updateUser(id: string, patch: UserPatch, at: number): Promise<UserRecord | null>;
  /**
   * Count a failed sign-in, in one statement: while locked nothing changes (the lock is not
   * extended, so it stays bounded); after a lock ended the count starts again; the
   * `maxFailures`-th failure locks until `at + lockMs`. Returns the record after.
   */
  recordSignInFailure(id: string, at: number, policy: LockoutPolicy): Promise<UserRecord | null>;
  /** A good sign-in: failures and lock cleared, time kept. */
  recordSignInSuccess(id: string, at: number): Promise<void>;
  /** Also drops expired sessions (of anyone). */
  createUserSession(session: UserSessionRecord): Promise<void>;
  /** A session not expired at `at`, with its user. */
  findUserSession(id: string, at: number): Promise<{ session: UserSessionRecord; user: UserRecord } | null>;
  deleteUserSession(id: string): Promise<boolean>;
  /** Every session of a user (disabled, password changed): how many ended. */
  deleteUserSessions(userId: string): Promise<number>;
}
