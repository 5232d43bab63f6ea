/**
 * Search indexes: a partial index per searchable parameter path,
 *   CREATE INDEX CONCURRENTLY … ON parameters (value, device_id) WHERE path = '<path>'
 * so "devices whose <path> has value v" reads only that path's entries (device_id in the
 * key makes it an index-only scan), while writes of the thousands of other paths of a tree
 * pay nothing. The set lives in search_paths, as in sqlite/search.ts.
 *
 * CONCURRENTLY builds without blocking the sessions that write parameters, which matters on
 * a live fleet; it cannot run in a transaction, so one connection does the work step by
 * step under a session-level advisory lock (two processes changing the set take turns), and
 * an index left invalid by an interrupted build is dropped and built again. Every process
 * declares the set when it starts (src/nbi), so an unchanged set costs one read and no lock.
 *
 * Each process caches the set for a few seconds. A stale cache never changes an answer, only
 * its speed: a query names a path's literal (so the planner may use the index) or binds it.
 */
import { indexNameOf, sqlLiteral } from '../device-query.js';
import type { PgDb } from './db.js';

const CACHE_MS = 5_000;
const SEARCH_LOCK = 0x466c5365; // "FlSe"
const cache = new WeakMap<PgDb, { paths: Set<string>; at: number }>();

export async function searchableSet(db: PgDb): Promise<Set<string>> {
  const hit = cache.get(db);
  if (hit !== undefined && Date.now() - hit.at < CACHE_MS) return hit.paths;
  const paths = new Set((await db.query<{ path: string }>('SELECT path FROM search_paths')).map((r) => r.path));
  cache.set(db, { paths, at: Date.now() });
  return paths;
}

/** The set as it stands, and whether every index of it is built and valid. */
async function current(q: (sql: string, params?: unknown[]) => Promise<{ rows: Record<string, unknown>[] }>): Promise<Map<string, boolean>> {
  const rows = (
    await q(`SELECT s.path, coalesce(i.indisvalid, false) AS valid FROM search_paths s
      LEFT JOIN pg_index i ON i.indexrelid = to_regclass(s.index_name)`)
  ).rows as { path: string; valid: boolean }[];
  return new Map(rows.map((r) => [r.path, r.valid]));
}

const same = (have: Map<string, boolean>, wanted: Set<string>): boolean =>
  have.size === wanted.size && [...wanted].every((p) => have.get(p) === true);

export async function setSearchablePaths(db: PgDb, paths: readonly string[]): Promise<void> {
  const wanted = new Set(paths);
  // Every process declares the set when it starts: nothing to do is the common case.
  if (same(await current((sql, params) => db.pool.query(sql, params)), wanted)) {
    cache.set(db, { paths: new Set(wanted), at: Date.now() });
    return;
  }
  const held = await db.checkout();
  const client = held.client;
  let broken: Error | undefined;
  try {
    // Poll for the lock rather than wait in a statement: CREATE INDEX CONCURRENTLY waits for
    // every open transaction, so a process blocked inside pg_advisory_lock would deadlock it.
    for (let i = 0; ; i++) {
      const got = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [SEARCH_LOCK]);
      if (got.rows[0]?.ok === true) break;
      if (i > 3000) throw new Error('timed out waiting for another process to change the search indexes');
      await new Promise((r) => setTimeout(r, 100));
    }
    try {
      const have = await current((sql, params) => client.query(sql, params));
      for (const path of have.keys()) {
        if (wanted.has(path)) continue;
        await client.query('DELETE FROM search_paths WHERE path = $1', [path]);
        await client.query(`DROP INDEX CONCURRENTLY IF EXISTS ${indexNameOf(path)}`);
      }
      for (const path of wanted) {
        if (have.get(path) === true) continue;
        const name = indexNameOf(path);
        // An index left invalid by an interrupted build is dropped and built again.
        await client.query(`DROP INDEX CONCURRENTLY IF EXISTS ${name}`);
        await client.query(`CREATE INDEX CONCURRENTLY ${name} ON parameters (value, device_id) WHERE path = ${sqlLiteral(path)}`);
        await client.query('INSERT INTO search_paths (path, index_name) VALUES ($1, $2) ON CONFLICT (path) DO NOTHING', [path, name]);
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [SEARCH_LOCK]);
    }
  } catch (e) {
    broken = e instanceof Error ? e : new Error(String(e));
    throw e;
  } finally {
    held.release(broken);
  }
  cache.set(db, { paths: new Set(wanted), at: Date.now() });
}

/** The searchable paths, sorted (DeviceStore.searchablePaths). */
export async function searchablePaths(db: PgDb): Promise<string[]> {
  return [...(await searchableSet(db))].sort();
}
