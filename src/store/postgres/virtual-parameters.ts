/**
 * The virtual parameters concern (../concerns/virtual-parameters.ts) on PostgreSQL: every
 * call one statement.
 */
import { VIRTUAL_PARAMETER_COLUMNS, toVirtualParameter, virtualDefinitionOf, type VirtualParameterRow } from '../virtual-parameter-rows.js';
import type { VirtualParameterRecord } from '../types.js';
import type { PgDb } from './db.js';

export async function createVirtualParameter(db: PgDb, v: VirtualParameterRecord): Promise<boolean> {
  const n = await db.run(
    `INSERT INTO virtual_parameters (name, revision, definition, author, created_at, updated_at)
     VALUES ($1, $2, $3::json, $4, $5, $6) ON CONFLICT (name) DO NOTHING`,
    [v.name, v.revision, JSON.stringify(virtualDefinitionOf(v)), v.author, v.createdAt, v.updatedAt],
  );
  return n > 0;
}

export async function updateVirtualParameter(db: PgDb, v: VirtualParameterRecord): Promise<boolean> {
  const n = await db.run(
    `UPDATE virtual_parameters SET revision = $2, definition = $3::json, author = $4, updated_at = $5
     WHERE name = $1 AND revision = $2 - 1`,
    [v.name, v.revision, JSON.stringify(virtualDefinitionOf(v)), v.author, v.updatedAt],
  );
  return n > 0;
}

export async function getVirtualParameter(db: PgDb, name: string): Promise<VirtualParameterRecord | null> {
  const [row] = await db.query<VirtualParameterRow>(`SELECT ${VIRTUAL_PARAMETER_COLUMNS} FROM virtual_parameters WHERE name = $1`, [name]);
  return row ? toVirtualParameter(row) : null;
}

export async function listVirtualParameters(db: PgDb): Promise<VirtualParameterRecord[]> {
  return (await db.query<VirtualParameterRow>(`SELECT ${VIRTUAL_PARAMETER_COLUMNS} FROM virtual_parameters ORDER BY name`)).map(toVirtualParameter);
}

export async function deleteVirtualParameter(db: PgDb, name: string): Promise<boolean> {
  return (await db.run('DELETE FROM virtual_parameters WHERE name = $1', [name])) > 0;
}
