/**
 * Pick and open a store backend from configuration: `--db` URL when given, else SQLite in
 * the data directory. The only place that knows which backends exist.
 *
 *   (none)                    SQLite in <dataDir>/flotilla.db
 *   sqlite:<dir>              SQLite in <dir>/flotilla.db
 *   postgres://…, postgresql://…   PostgreSQL (many ACS processes on one database)
 *
 * The PostgreSQL backend (and with it the `pg` driver) is imported only when a URL asks for it.
 */
import { redactUrl } from './redact.js';
import { createSqliteStore } from './sqlite/index.js';
import type { Store } from './types.js';

export interface StoreLocation {
  /** `postgres://…`, `postgresql://…` or `sqlite:<dir>`; undefined means SQLite in dataDir. */
  db?: string | undefined;
  dataDir: string;
  /** PostgreSQL: connections per process (default 10). */
  poolSize?: number;
  /** PostgreSQL: connection errors the store survived (server restart); default a line on stderr. */
  onError?: (err: Error) => void;
  /** Run migrations while opening (default true). */
  migrate?: boolean;
  /** SQLite: keep discovered trees in sections (sqlite/sections.ts). Refused for PostgreSQL. */
  treeSections?: boolean;
}

export type StoreKind = 'sqlite' | 'postgres';

export class UnsupportedStoreError extends Error {}

/** Which backend a location names, without opening it. */
export function storeKind(db: string | undefined): StoreKind {
  if (db === undefined || db === '' || db.startsWith('sqlite:')) return 'sqlite';
  if (/^postgres(?:ql)?:\/\//i.test(db)) return 'postgres';
  throw new UnsupportedStoreError(`store URL ${redactUrl(db)} is not supported (use postgres://…, postgresql://… or sqlite:<dir>)`);
}

export async function openStore(where: StoreLocation): Promise<Store> {
  const db = where.db;
  const migrate = where.migrate ?? true;
  switch (storeKind(db)) {
    case 'sqlite':
      return createSqliteStore({ dataDir: db?.startsWith('sqlite:') ? db.slice('sqlite:'.length) : where.dataDir, migrate, treeSections: where.treeSections === true });
    case 'postgres': {
      if (where.treeSections === true) throw new UnsupportedStoreError('--tree-sections is a SQLite option (PostgreSQL keeps a row per node)');
      const { createPostgresStore } = await import('./postgres/index.js');
      return createPostgresStore({
        url: db as string,
        migrate,
        ...(where.poolSize === undefined ? {} : { poolSize: where.poolSize }),
        ...(where.onError === undefined ? {} : { onError: where.onError }),
      });
    }
  }
}

export { redactUrl };
