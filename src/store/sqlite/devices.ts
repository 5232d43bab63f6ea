/**
 * The sessions-and-devices concern (../concerns/devices.ts) on SQLite: the session's two
 * round trips and the lock (sessions.ts), listing (query.ts), search indexes (search.ts),
 * and here the reads of one device, tags and deletion. Exports the concern's methods by
 * their interface names (../compose.ts).
 */
import { prefixUpperBound, subtreePrefix } from '../tree.js';
import type { DeviceRecord } from '../types.js';
import type { Db } from './db.js';
import { PARAMETER_COLUMNS, byPath, getSummary, toStoredParameter, type ParameterRow } from './rows.js';
import { sectionParameters } from './sections.js';

export { listDevices, readParameters } from './query.js';
export { searchablePaths, setSearchablePaths } from './search.js';
export { commitSession, extendLock, openSession, releaseLock } from './sessions.js';

const PARAMS_ALL = `SELECT ${PARAMETER_COLUMNS} FROM parameters WHERE device_id = @id ORDER BY path`;
/** [path, hi) bounds the index range; the OR only drops look-alikes such as "X.a-b" for "X.a". */
const PARAMS_RANGE = `SELECT ${PARAMETER_COLUMNS} FROM parameters
WHERE device_id = @id AND path >= @path AND path < @hi AND (path = @path OR path >= @lo) ORDER BY path`;

const DELETE_DEVICE = 'DELETE FROM devices WHERE id = @id';
/** Everything keyed by device, besides the device row itself. */
const DEPENDENTS = [
  'device_tags',
  'parameters',
  'tree_docs',
  'cpe_credentials',
  'session_locks',
  'tasks',
  'session_log',
  'cpe_messages',
  'policy_compliance',
  'device_policy',
  'samples',
  'sample_hours',
  'alarm_counts',
  'campaign_devices',
]
  .map((table) => `DELETE FROM ${table} WHERE device_id = @id`)
  // The device's own files (backups, logs: their bytes are chunk rows), chunks before their rows.
  .concat(['DELETE FROM file_chunks WHERE file_id IN (SELECT id FROM files WHERE device_id = @id)', 'DELETE FROM files WHERE device_id = @id']);
/** A device's alarms go with it, history first (it is keyed by alarm). */
const DELETE_ALARMS = ['DELETE FROM alarm_history WHERE alarm_id IN (SELECT id FROM alarms WHERE device_id = @id)', 'DELETE FROM alarms WHERE device_id = @id'];

const DEVICE_EXISTS = 'SELECT 1 AS x FROM devices WHERE id = @id';
const ADD_TAG = 'INSERT INTO device_tags (device_id, tag) VALUES (@id, @tag) ON CONFLICT DO NOTHING';
const REMOVE_TAG = 'DELETE FROM device_tags WHERE device_id = @id AND tag = @tag';

/**
 * `subtree` "X.Y." selects that object and everything under it; a parameter path selects
 * that parameter. Rows come in byte order of path.
 */
export function getDevice(db: Db, id: string, opts: { subtree?: string } = {}): DeviceRecord | null {
  // One snapshot for the summary and the rows (a read transaction in WAL mode).
  return db.read(() => {
      const summary = getSummary(db, id);
      if (summary === null) return null;
      const subtree = opts.subtree;
      let rows: ParameterRow[];
      const lo = subtree === undefined ? '' : subtreePrefix(subtree);
      const hi = prefixUpperBound(lo);
      if (hi === null) rows = db.all<ParameterRow>(PARAMS_ALL, { id });
      else rows = db.all<ParameterRow>(PARAMS_RANGE, { id, path: subtree ?? lo, lo, hi });
      const parameters = rows.map(toStoredParameter);
      // A discovered tree's sections (sections.ts) hold paths no row has: added, then sorted.
      const path = subtree ?? lo;
      const held = sectionParameters(db, id, hi === null ? null : { lo: path, hi }, (p) => hi === null || p === path || (p >= lo && p < hi));
      if (held.length === 0) return { ...summary, parameters };
      return { ...summary, parameters: parameters.concat(held).sort(byPath) };
  });
}

// Listing (filters, sort, paging, projection) is query.ts.

export function deleteDevice(db: Db, id: string): boolean {
  return db.immediate(() => {
    const existed = db.run(DELETE_DEVICE, { id }) > 0;
    for (const sql of DELETE_ALARMS) db.run(sql, { id });
    for (const sql of DEPENDENTS) db.run(sql, { id });
    return existed;
  });
}

export function setTags(db: Db, id: string, add: readonly string[], remove: readonly string[]): boolean {
  return db.immediate(() => {
    if (db.get(DEVICE_EXISTS, { id }) === undefined) return false;
    for (const tag of remove) db.run(REMOVE_TAG, { id, tag });
    for (const tag of add) db.run(ADD_TAG, { id, tag });
    return true;
  });
}
