/**
 * The tokens concern (../concerns/tokens.ts) on PostgreSQL: NBI bearer tokens, hashes only.
 */
import { TOKEN_COLUMNS, TOKEN_READ_COLUMNS, toToken, type TokenRow } from '../token-rows.js';
import type { ApiTokenRecord } from '../types.js';
import type { PgDb } from './db.js';

export async function createApiToken(db: PgDb, t: ApiTokenRecord): Promise<void> {
  await db.run(`INSERT INTO api_tokens (${TOKEN_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, [
    t.id,
    t.name,
    t.role,
    t.lookup,
    t.hash,
    t.createdAt,
    t.scope == null ? null : JSON.stringify(t.scope),
    JSON.stringify(t.capabilities ?? []),
  ]);
}

export async function findApiToken(db: PgDb, lookup: string): Promise<ApiTokenRecord | null> {
  const [row] = await db.query<TokenRow>(`SELECT ${TOKEN_READ_COLUMNS} FROM api_tokens WHERE lookup = $1`, [lookup]);
  return row ? toToken(row) : null;
}

export async function listApiTokens(db: PgDb): Promise<ApiTokenRecord[]> {
  return (await db.query<TokenRow>(`SELECT ${TOKEN_READ_COLUMNS} FROM api_tokens ORDER BY created_at, id`)).map(toToken);
}

export async function deleteApiToken(db: PgDb, id: string): Promise<boolean> {
  return (await db.run('DELETE FROM api_tokens WHERE id = $1', [id])) > 0;
}

export async function touchApiToken(db: PgDb, id: string, at: number): Promise<void> {
  await db.run('UPDATE api_tokens SET last_used_at = $2 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $2)', [id, at]);
}
