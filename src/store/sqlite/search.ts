/**
 * Search indexes: a partial index per searchable parameter path,
 *   CREATE INDEX … ON parameters (value) WHERE path = '<path>'
 * so "devices whose <path> has value v" reads only that path's entries, while writes of the
 * thousands of other paths of a tree pay nothing (a fleet-wide (path, value) index made a
 * bootstrap 3-4x slower: migration 2). The set lives in search_paths; PostgreSQL does the same.
 */
import { indexNameOf, sqlLiteral } from '../device-query.js';
import { sectionFor } from '../tree.js';
import type { Db } from './db.js';
import { entryExists, materializeSections } from './sections.js';

const cache = new WeakMap<Db, Set<string>>();
const HOLDING = `SELECT t.device_id FROM tree_docs t WHERE ${entryExists('t', '@section', '@path')}`;


export function searchableSet(db: Db): ReadonlySet<string> {
  let set = cache.get(db);
  if (set === undefined) {
    set = new Set(db.all<{ path: string }>('SELECT path FROM search_paths').map((r) => r.path));
    cache.set(db, set);
  }
  return set;
}

export function setSearchablePaths(db: Db, paths: readonly string[]): void {
  const wanted = new Set(paths);
  db.immediate(() => {
    const current = db.all<{ path: string; index_name: string }>('SELECT path, index_name FROM search_paths');
    for (const row of current) {
      if (wanted.has(row.path)) continue;
      db.raw.exec(`DROP INDEX IF EXISTS ${row.index_name}`);
      db.run('DELETE FROM search_paths WHERE path = @path', { path: row.path });
    }
    const have = new Set(current.map((r) => r.path));
    for (const path of wanted) {
      if (have.has(path)) continue;
      const name = indexNameOf(path);
      // A searchable path is a row (its index reads rows): the sections holding it become rows.
      const section = sectionFor(path);
      if (section !== null) {
        for (const { device_id } of db.all<{ device_id: string }>(HOLDING, { section, path })) materializeSections(db, device_id, [section]);
      }
      db.raw.exec(`CREATE INDEX IF NOT EXISTS ${name} ON parameters (value) WHERE path = ${sqlLiteral(path)}`);
      db.run('INSERT INTO search_paths (path, index_name) VALUES (@path, @name)', { path, name });
    }
  });
  cache.set(db, new Set(wanted));
}

/** The searchable paths, sorted (DeviceStore.searchablePaths). */
export function searchablePaths(db: Db): string[] {
  return [...searchableSet(db)].sort();
}
