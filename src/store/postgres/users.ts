/**
 * The users concern (../concerns/users.ts) on PostgreSQL: people's accounts and their
 * sessions, every call one statement.
 */
import { failureSql, patchColumns, SESSION_COLUMNS, toUser, toUserSession, USER_COLUMNS, type UserRow, type UserSessionRow } from '../user-rows.js';
import type { LockoutPolicy, UserPatch, UserRecord, UserSessionRecord } from '../types.js';
import type { PgDb } from './db.js';

export async function createUser(db: PgDb, u: UserRecord): Promise<void> {
  await db.run(`INSERT INTO users (${USER_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`, [
    u.id,
    u.name,
    u.role,
    u.source,
    u.passwordHash,
    u.totpSecret,
    u.totpPending,
    u.totpLastStep,
    u.disabled,
    u.failedAttempts,
    u.lockedUntil,
    u.scope === null ? null : JSON.stringify(u.scope),
    JSON.stringify(u.capabilities ?? []),
    u.lastSignInAt,
    u.createdAt,
    u.updatedAt,
  ]);
}

export async function getUser(db: PgDb, id: string): Promise<UserRecord | null> {
  const [row] = await db.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE id = $1`, [id]);
  return row ? toUser(row) : null;
}

export async function findUserByName(db: PgDb, name: string): Promise<UserRecord | null> {
  const [row] = await db.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE name = $1`, [name]);
  return row ? toUser(row) : null;
}

export async function listUsers(db: PgDb): Promise<UserRecord[]> {
  // COLLATE "C": the same order as SQLite's byte order.
  return (await db.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users ORDER BY name COLLATE "C", id`)).map(toUser);
}

export async function updateUser(db: PgDb, id: string, patch: UserPatch, at: number): Promise<UserRecord | null> {
  const cols = patchColumns(patch);
  const set = [...cols.map(([c], i) => `${c} = $${i + 3}`), 'updated_at = $2'].join(', ');
  // Each patch shape is its own SQL text: run unprepared rather than fill the statement cache.
  const [row] = await db.queryUnprepared<UserRow>(`UPDATE users SET ${set} WHERE id = $1 RETURNING ${USER_COLUMNS}`, [id, at, ...cols.map(([, v]) => v)]);
  return row ? toUser(row) : null;
}

export async function recordSignInFailure(db: PgDb, id: string, at: number, policy: LockoutPolicy): Promise<UserRecord | null> {
  const [row] = await db.query<UserRow>(failureSql({ at: '$2::bigint', max: '$3::int', lock: '$4::bigint', id: '$1' }), [id, at, policy.maxFailures, policy.lockMs]);
  return row ? toUser(row) : null;
}

export async function recordSignInSuccess(db: PgDb, id: string, at: number): Promise<void> {
  await db.run('UPDATE users SET failed_attempts = 0, locked_until = NULL, last_sign_in_at = $2 WHERE id = $1', [id, at]);
}

export async function createUserSession(db: PgDb, s: UserSessionRecord): Promise<void> {
  await db.run(
    `WITH gone AS (DELETE FROM user_sessions WHERE expires_at <= $3)
     INSERT INTO user_sessions (${SESSION_COLUMNS}) VALUES ($1, $2, $3, $4, $5)`,
    [s.id, s.userId, s.createdAt, s.expiresAt, s.source],
  );
}

export async function findUserSession(db: PgDb, id: string, at: number): Promise<{ session: UserSessionRecord; user: UserRecord } | null> {
  const [row] = await db.query<UserSessionRow & { u: UserRow }>(
    `SELECT s.id, s.user_id, s.created_at, s.expires_at, s.source, row_to_json(u) AS u
     FROM user_sessions s JOIN users u ON u.id = s.user_id WHERE s.id = $1 AND s.expires_at > $2`,
    [id, at],
  );
  return row ? { session: toUserSession(row), user: toUser(row.u) } : null;
}

export async function deleteUserSession(db: PgDb, id: string): Promise<boolean> {
  return (await db.run('DELETE FROM user_sessions WHERE id = $1', [id])) > 0;
}

export async function deleteUserSessions(db: PgDb, userId: string): Promise<number> {
  return db.run('DELETE FROM user_sessions WHERE user_id = $1', [userId]);
}
