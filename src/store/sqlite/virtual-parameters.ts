/**
 * The virtual parameters concern (../concerns/virtual-parameters.ts) on SQLite.
 */
import { VIRTUAL_PARAMETER_COLUMNS, toVirtualParameter, virtualDefinitionOf, type VirtualParameterRow } from '../virtual-parameter-rows.js';
import type { VirtualParameterRecord } from '../types.js';
import { json, type Db } from './db.js';

const params = (v: VirtualParameterRecord): Record<string, string | number> => ({
  name: v.name,
  revision: v.revision,
  definition: json(virtualDefinitionOf(v)),
  author: v.author,
  createdAt: v.createdAt,
  updatedAt: v.updatedAt,
});

export function createVirtualParameter(db: Db, v: VirtualParameterRecord): boolean {
  return (
    db.run(
      `INSERT INTO virtual_parameters (name, revision, definition, author, created_at, updated_at)
       VALUES (@name, @revision, @definition, @author, @createdAt, @updatedAt) ON CONFLICT (name) DO NOTHING`,
      params(v),
    ) > 0
  );
}

export function updateVirtualParameter(db: Db, v: VirtualParameterRecord): boolean {
  return (
    db.run(
      `UPDATE virtual_parameters SET revision = @revision, definition = @definition, author = @author, updated_at = @updatedAt
       WHERE name = @name AND revision = @revision - 1`,
      params(v),
    ) > 0
  );
}

export function getVirtualParameter(db: Db, name: string): VirtualParameterRecord | null {
  const row = db.get<VirtualParameterRow>(`SELECT ${VIRTUAL_PARAMETER_COLUMNS} FROM virtual_parameters WHERE name = @name`, { name });
  return row ? toVirtualParameter(row) : null;
}

export function listVirtualParameters(db: Db): VirtualParameterRecord[] {
  return db.all<VirtualParameterRow>(`SELECT ${VIRTUAL_PARAMETER_COLUMNS} FROM virtual_parameters ORDER BY name`).map(toVirtualParameter);
}

export function deleteVirtualParameter(db: Db, name: string): boolean {
  return db.run('DELETE FROM virtual_parameters WHERE name = @name', { name }) > 0;
}
