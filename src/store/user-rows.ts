/**
 * Users and their sessions as rows: the same columns and mapping in every SQL backend.
 */
import { capabilitiesOf } from './token-rows.js';
import type { ApiRole, PrincipalScope, UserRecord, UserSessionRecord, UserSource } from './types.js';

export interface UserRow {
  id: string;
  name: string;
  role: ApiRole;
  source: UserSource;
  password_hash: string | null;
  totp_secret: string | null;
  totp_pending: string | null;
  totp_last_step: number | string | null;
  disabled: number | boolean;
  failed_attempts: number;
  locked_until: number | string | null;
  scope: string | null;
  capabilities: string | null;
  last_sign_in_at: number | string | null;
  created_at: number | string;
  updated_at: number | string;
}

export const USER_COLUMNS =
  'id, name, role, source, password_hash, totp_secret, totp_pending, totp_last_step, disabled, failed_attempts, locked_until, scope, capabilities, last_sign_in_at, created_at, updated_at';

const num = (v: number | string | null): number | null => (v === null ? null : Number(v));

export const toUser = (r: UserRow): UserRecord => ({
  id: r.id,
  name: r.name,
  role: r.role,
  source: r.source,
  passwordHash: r.password_hash,
  totpSecret: r.totp_secret,
  totpPending: r.totp_pending,
  totpLastStep: num(r.totp_last_step),
  disabled: r.disabled === true || r.disabled === 1,
  failedAttempts: Number(r.failed_attempts),
  lockedUntil: num(r.locked_until),
  scope: r.scope === null ? null : (JSON.parse(r.scope) as PrincipalScope),
  capabilities: capabilitiesOf(r.capabilities),
  lastSignInAt: num(r.last_sign_in_at),
  createdAt: Number(r.created_at),
  updatedAt: Number(r.updated_at),
});

/** The columns an update may set, with their values as rows hold them (only fields present). */
export function patchColumns(patch: Partial<UserRecord>): [string, unknown][] {
  const out: [string, unknown][] = [];
  if (patch.role !== undefined) out.push(['role', patch.role]);
  if (patch.passwordHash !== undefined) out.push(['password_hash', patch.passwordHash]);
  if (patch.totpSecret !== undefined) out.push(['totp_secret', patch.totpSecret]);
  if (patch.totpPending !== undefined) out.push(['totp_pending', patch.totpPending]);
  if (patch.totpLastStep !== undefined) out.push(['totp_last_step', patch.totpLastStep]);
  if (patch.disabled !== undefined) out.push(['disabled', patch.disabled]);
  if (patch.scope !== undefined) out.push(['scope', patch.scope === null ? null : JSON.stringify(patch.scope)]);
  if (patch.capabilities !== undefined) out.push(['capabilities', JSON.stringify(patch.capabilities)]);
  return out;
}

export interface UserSessionRow {
  id: string;
  user_id: string;
  created_at: number | string;
  expires_at: number | string;
  source: string;
}

export const SESSION_COLUMNS = 'id, user_id, created_at, expires_at, source';

export const toUserSession = (r: UserSessionRow): UserSessionRecord => ({
  id: r.id,
  userId: r.user_id,
  createdAt: Number(r.created_at),
  expiresAt: Number(r.expires_at),
  source: r.source,
});

/**
 * One statement counting a failure (the concern's recordSignInFailure): while locked nothing
 * changes; after a lock the count restarts at 1; reaching the limit locks. `$at`, `$max`,
 * `$lock` and `$id` are the backend's placeholders. Every SET expression reads the old row.
 */
export function failureSql(p: { at: string; max: string; lock: string; id: string }): string {
  const fresh = `(CASE WHEN locked_until IS NOT NULL THEN 1 ELSE failed_attempts + 1 END)`;
  return `UPDATE users SET
  failed_attempts = CASE WHEN locked_until > ${p.at} THEN failed_attempts ELSE ${fresh} END,
  locked_until = CASE WHEN locked_until > ${p.at} THEN locked_until WHEN ${fresh} >= ${p.max} THEN ${p.at} + ${p.lock} ELSE NULL END
WHERE id = ${p.id}
RETURNING ${USER_COLUMNS}`;
}
