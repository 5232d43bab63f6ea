/**
 * The tokens concern (../concerns/tokens.ts) on SQLite: NBI bearer tokens, hashes only.
 */
import { TOKEN_COLUMNS, TOKEN_READ_COLUMNS, toToken, type TokenRow } from '../token-rows.js';
import type { ApiTokenRecord } from '../types.js';
import type { Db } from './db.js';

export function createApiToken(db: Db, t: ApiTokenRecord): void {
  db.run(`INSERT INTO api_tokens (${TOKEN_COLUMNS}) VALUES (@id, @name, @role, @lookup, @hash, @createdAt, @scope, @capabilities)`, {
    id: t.id,
    name: t.name,
    role: t.role,
    lookup: t.lookup,
    hash: t.hash,
    createdAt: t.createdAt,
    scope: t.scope == null ? null : JSON.stringify(t.scope),
    capabilities: JSON.stringify(t.capabilities ?? []),
  });
}

export function findApiToken(db: Db, lookup: string): ApiTokenRecord | null {
  const row = db.get<TokenRow>(`SELECT ${TOKEN_READ_COLUMNS} FROM api_tokens WHERE lookup = @lookup`, { lookup });
  return row ? toToken(row) : null;
}

export function listApiTokens(db: Db): ApiTokenRecord[] {
  return db.all<TokenRow>(`SELECT ${TOKEN_READ_COLUMNS} FROM api_tokens ORDER BY created_at, id`).map(toToken);
}

export function deleteApiToken(db: Db, id: string): boolean {
  return db.run('DELETE FROM api_tokens WHERE id = @id', { id }) > 0;
}

export function touchApiToken(db: Db, id: string, at: number): void {
  db.run('UPDATE api_tokens SET last_used_at = @at WHERE id = @id AND (last_used_at IS NULL OR last_used_at < @at)', { id, at });
}
