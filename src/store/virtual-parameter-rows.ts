/**
 * Virtual parameter rows: the same columns and mapping in every SQL backend. The definition
 * is JSON (text on SQLite, json on PostgreSQL, which arrives parsed).
 */
import type { VirtualParameterDefinition, VirtualParameterRecord } from './types.js';

export interface VirtualParameterRow {
  name: string;
  revision: number | string;
  definition: string | VirtualParameterDefinition;
  author: string;
  created_at: number | string;
  updated_at: number | string;
}

export const VIRTUAL_PARAMETER_COLUMNS = 'name, revision, definition, author, created_at, updated_at';

/** Only the definition's own fields (the name and bookkeeping have their columns). */
export function virtualDefinitionOf(v: VirtualParameterDefinition): Omit<VirtualParameterDefinition, 'name'> {
  return {
    ...(v.description !== undefined ? { description: v.description } : {}),
    read: v.read,
    ...(v.write !== undefined ? { write: v.write } : {}),
  };
}

export function toVirtualParameter(r: VirtualParameterRow): VirtualParameterRecord {
  const d = (typeof r.definition === 'string' ? JSON.parse(r.definition) : r.definition) as Omit<VirtualParameterDefinition, 'name'>;
  return {
    name: r.name,
    ...virtualDefinitionOf({ name: r.name, ...d }),
    revision: Number(r.revision),
    author: r.author,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}
