/**
 * The quirks concern (../concerns/quirks.ts) on SQLite.
 */
import { QUIRK_COLUMNS, toQuirk, type QuirkRow } from '../quirk-rows.js';
import type { QuirkProfile } from '../types.js';
import type { Db } from './db.js';

export function listQuirkProfiles(db: Db): QuirkProfile[] {
  return db.all<QuirkRow>(`SELECT ${QUIRK_COLUMNS} FROM quirk_profiles ORDER BY id`).map(toQuirk);
}

export function putQuirkProfile(db: Db, p: QuirkProfile): void {
  db.run(
    `INSERT INTO quirk_profiles (${QUIRK_COLUMNS}) VALUES (@id, @name, @source, @match, @settings, @evidence, @enabled, @createdAt, @updatedAt)
     ON CONFLICT (id) DO UPDATE SET name = excluded.name, source = excluded.source, match = excluded.match, settings = excluded.settings,
       evidence = excluded.evidence, enabled = excluded.enabled, updated_at = excluded.updated_at`,
    {
      id: p.id,
      name: p.name,
      source: p.source,
      match: JSON.stringify(p.match),
      settings: JSON.stringify(p.settings),
      evidence: JSON.stringify(p.evidence),
      enabled: p.enabled ? 1 : 0,
      createdAt: p.createdAt,
      updatedAt: p.updatedAt,
    },
  );
}

export function deleteQuirkProfile(db: Db, id: string): boolean {
  return db.run('DELETE FROM quirk_profiles WHERE id = @id', { id }) > 0;
}
