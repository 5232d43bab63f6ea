/**
 * API tokens as rows: the same columns and mapping in every SQL backend.
 */
import type { ApiRole, ApiTokenRecord, Capability, PrincipalScope } from './types.js';

export interface TokenRow {
  id: string;
  name: string;
  role: ApiRole;
  lookup: string;
  hash: string;
  created_at: number;
  last_used_at?: number | string | null;
  scope?: string | null;
  capabilities?: string | null;
}

/** The capabilities column (a JSON array of names) read back; anything unreadable reads as none. */
export function capabilitiesOf(text: string | null | undefined): Capability[] {
  if (text === null || text === undefined) return [];
  try {
    const v = JSON.parse(text) as unknown;
    return Array.isArray(v) ? v.filter((c): c is Capability => c === 'provision') : [];
  } catch {
    return [];
  }
}

export const TOKEN_COLUMNS = 'id, name, role, lookup, hash, created_at, scope, capabilities';
/** What reads return: the written columns and when the token was last used. */
export const TOKEN_READ_COLUMNS = `${TOKEN_COLUMNS}, last_used_at`;

export const toToken = (r: TokenRow): ApiTokenRecord => ({
  id: r.id,
  name: r.name,
  role: r.role,
  lookup: r.lookup,
  hash: r.hash,
  createdAt: r.created_at,
  lastUsedAt: r.last_used_at === null || r.last_used_at === undefined ? null : Number(r.last_used_at),
  scope: r.scope === null || r.scope === undefined ? null : (JSON.parse(r.scope) as PrincipalScope),
  capabilities: capabilitiesOf(r.capabilities),
});
