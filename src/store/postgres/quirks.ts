/**
 * The quirks concern (../concerns/quirks.ts) on PostgreSQL.
 */
import { QUIRK_COLUMNS, toQuirk, type QuirkRow } from '../quirk-rows.js';
import type { QuirkProfile } from '../types.js';
import type { PgDb } from './db.js';

export async function listQuirkProfiles(db: PgDb): Promise<QuirkProfile[]> {
  return (await db.query<QuirkRow>(`SELECT ${QUIRK_COLUMNS} FROM quirk_profiles ORDER BY id COLLATE "C"`)).map(toQuirk);
}

export async function putQuirkProfile(db: PgDb, p: QuirkProfile): Promise<void> {
  await db.run(
    `INSERT INTO quirk_profiles (${QUIRK_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
     ON CONFLICT (id) DO UPDATE SET name = excluded.name, source = excluded.source, match = excluded.match, settings = excluded.settings,
       evidence = excluded.evidence, enabled = excluded.enabled, updated_at = excluded.updated_at`,
    [p.id, p.name, p.source, JSON.stringify(p.match), JSON.stringify(p.settings), JSON.stringify(p.evidence), p.enabled, p.createdAt, p.updatedAt],
  );
}

export async function deleteQuirkProfile(db: PgDb, id: string): Promise<boolean> {
  return (await db.run('DELETE FROM quirk_profiles WHERE id = $1', [id])) > 0;
}
