/**
 * The users concern (../concerns/users.ts) on SQLite: people's accounts and their sessions.
 */
import { failureSql, patchColumns, SESSION_COLUMNS, toUser, toUserSession, USER_COLUMNS, type UserRow, type UserSessionRow } from '../user-rows.js';
import type { LockoutPolicy, UserPatch, UserRecord, UserSessionRecord } from '../types.js';
import type { Db, Params } from './db.js';

const sqlValue = (v: unknown): unknown => (typeof v === 'boolean' ? (v ? 1 : 0) : v);

export function createUser(db: Db, u: UserRecord): void {
  db.run(
    `INSERT INTO users (${USER_COLUMNS}) VALUES (@id, @name, @role, @source, @passwordHash, @totpSecret, @totpPending, @totpLastStep, @disabled, @failedAttempts, @lockedUntil, @scope, @capabilities, @lastSignInAt, @createdAt, @updatedAt)`,
    {
      id: u.id,
      name: u.name,
      role: u.role,
      source: u.source,
      passwordHash: u.passwordHash,
      totpSecret: u.totpSecret,
      totpPending: u.totpPending,
      totpLastStep: u.totpLastStep,
      disabled: u.disabled ? 1 : 0,
      failedAttempts: u.failedAttempts,
      lockedUntil: u.lockedUntil,
      scope: u.scope === null ? null : JSON.stringify(u.scope),
      capabilities: JSON.stringify(u.capabilities ?? []),
      lastSignInAt: u.lastSignInAt,
      createdAt: u.createdAt,
      updatedAt: u.updatedAt,
    },
  );
}

export function getUser(db: Db, id: string): UserRecord | null {
  const row = db.get<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE id = @id`, { id });
  return row ? toUser(row) : null;
}

export function findUserByName(db: Db, name: string): UserRecord | null {
  const row = db.get<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE name = @name`, { name });
  return row ? toUser(row) : null;
}

export function listUsers(db: Db): UserRecord[] {
  return db.all<UserRow>(`SELECT ${USER_COLUMNS} FROM users ORDER BY name, id`).map(toUser);
}

export function updateUser(db: Db, id: string, patch: UserPatch, at: number): UserRecord | null {
  const cols = patchColumns(patch);
  const params: Params = { id, at };
  cols.forEach(([, v], i) => (params[`v${i}`] = sqlValue(v) as Params[string]));
  const set = [...cols.map(([c], i) => `${c} = @v${i}`), 'updated_at = @at'].join(', ');
  const row = db.get<UserRow>(`UPDATE users SET ${set} WHERE id = @id RETURNING ${USER_COLUMNS}`, params as Params);
  return row ? toUser(row) : null;
}

export function recordSignInFailure(db: Db, id: string, at: number, policy: LockoutPolicy): UserRecord | null {
  const row = db.get<UserRow>(failureSql({ at: '@at', max: '@max', lock: '@lock', id: '@id' }), { id, at, max: policy.maxFailures, lock: policy.lockMs });
  return row ? toUser(row) : null;
}

export function recordSignInSuccess(db: Db, id: string, at: number): void {
  db.run('UPDATE users SET failed_attempts = 0, locked_until = NULL, last_sign_in_at = @at WHERE id = @id', { id, at });
}

export function createUserSession(db: Db, s: UserSessionRecord): void {
  db.immediate(() => {
    db.run('DELETE FROM user_sessions WHERE expires_at <= @at', { at: s.createdAt });
    db.run(`INSERT INTO user_sessions (${SESSION_COLUMNS}) VALUES (@id, @userId, @createdAt, @expiresAt, @source)`, { ...s });
  });
}

export function findUserSession(db: Db, id: string, at: number): { session: UserSessionRecord; user: UserRecord } | null {
  return db.read(() => {
    const row = db.get<UserSessionRow>(`SELECT ${SESSION_COLUMNS} FROM user_sessions WHERE id = @id AND expires_at > @at`, { id, at });
    if (row === undefined) return null;
    const user = getUser(db, row.user_id);
    return user === null ? null : { session: toUserSession(row), user };
  });
}

export function deleteUserSession(db: Db, id: string): boolean {
  return db.run('DELETE FROM user_sessions WHERE id = @id', { id }) > 0;
}

export function deleteUserSessions(db: Db, userId: string): number {
  return db.run('DELETE FROM user_sessions WHERE user_id = @userId', { userId });
}
