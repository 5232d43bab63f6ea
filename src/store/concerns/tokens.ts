/**
 * Store concern: NBI bearer tokens (hashes only).
 * Backends: sqlite/tokens.ts, postgres/tokens.ts; suite: test/store/conformance/tokens.ts.
 */
// Users (users.ts) and tokens both carry a scope; it lives here so users.ts imports tokens.ts, not both ways.
/** What a principal may see of the fleet (issue 10: tenants, regions); null: everything. */
export interface PrincipalScope {
  /** A device filter in the NBI's filter language (src/nbi/query.ts). */
  filter?: string;
  /** Devices carrying this tag. */
  tag?: string;
}

export type ApiRole = 'read-only' | 'operator' | 'admin';

/**
 * Rights granted beside the role (src/auth/tokens.ts): `provision` lets an operator change
 * provisioning policies and virtual parameters. Admin implies every capability; read-only
 * takes none. Roles stay one ordered line; capabilities are the exceptions to it.
 */
export type Capability = 'provision';

/** A NBI bearer token. Only a hash is stored; the token itself is shown once, at creation. */
export interface ApiTokenRecord {
  id: string;
  name: string;
  role: ApiRole;
  /** A short, unique prefix of the token's hash, to find the row (src/nbi/auth.ts). */
  lookup: string;
  /** SHA-256 of the token (hex); compared in constant time. */
  hash: string;
  createdAt: number;
  /** When it last opened an API request (to the minute: touches are throttled); null: never. */
  lastUsedAt?: number | null;
  /** The part of the fleet it may see (src/nbi/scope.ts); null or absent: all of it. */
  scope?: PrincipalScope | null;
  /** Granted beside the role (Capability); absent: none. */
  capabilities?: Capability[];
}

export interface TokenStore {
  createApiToken(token: ApiTokenRecord): Promise<void>;
  findApiToken(lookup: string): Promise<ApiTokenRecord | null>;
  listApiTokens(): Promise<ApiTokenRecord[]>;
  deleteApiToken(id: string): Promise<boolean>;
  /** Record a use (only moves forward). */
  touchApiToken(id: string, at: number): Promise<void>;
}
