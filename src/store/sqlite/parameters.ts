/**
 * ParameterOps → SQL, applied in order inside the caller's transaction.
 *
 * Each op is one or a few statement executions whatever its size: the items travel as a
 * JSON array and `json_each` turns them into rows inside SQLite (PostgreSQL: unnest or
 * jsonb_to_recordset), so a 5,000-parameter bootstrap is not 5,000 round trips through the
 * driver. Lists are de-duplicated first (last item wins), because an upsert must not touch
 * one row twice in a statement on PostgreSQL and we want the same result on both.
 */
import type { ParameterOp } from '../types.js';
import { bool, json, type Db } from './db.js';
import { ancestorsOf, lastByName, prefixUpperBound, subtreePrefix } from '../tree.js';

/**
 * Upsert values. The DO UPDATE … WHERE is what makes an idle periodic Inform cheap: a row
 * whose value and type are unchanged is not written at all (no page dirtied, value_at
 * kept), unless `touch` says the value was explicitly re-read. No ancestor rows are made
 * here: objects come from GetParameterNames (setNames) and AddObject, and an Inform must
 * stay as cheap as its list.
 */
const SET_VALUES = `
INSERT INTO parameters (device_id, path, object, value, type, value_at)
SELECT @device, j.value ->> 0, substr(j.value ->> 0, -1) = '.', j.value ->> 1, j.value ->> 2, @at
FROM json_each(@items) AS j WHERE true
ON CONFLICT (device_id, path) DO UPDATE
SET value = excluded.value, type = excluded.type, value_at = excluded.value_at
WHERE @touch OR parameters.value IS NOT excluded.value OR parameters.type IS NOT excluded.type`;

const SET_NAMES = `
INSERT INTO parameters (device_id, path, object, writable, names_at)
SELECT @device, j.value ->> 0, substr(j.value ->> 0, -1) = '.', j.value ->> 1, @at
FROM json_each(@items) AS j WHERE true
ON CONFLICT (device_id, path) DO UPDATE SET writable = excluded.writable, names_at = excluded.names_at`;

/** Ancestor objects implied by a node; existing rows are left as they are. */
const ENSURE_OBJECTS = `
INSERT INTO parameters (device_id, path, object, names_at)
SELECT @device, j.value, 1, @at FROM json_each(@items) AS j WHERE true
ON CONFLICT (device_id, path) DO NOTHING`;

const SET_ATTRIBUTES = `
INSERT INTO parameters (device_id, path, object, notification, access_list, attributes_at)
SELECT @device, j.value ->> 0, substr(j.value ->> 0, -1) = '.', j.value ->> 1, j.value ->> 2, @at
FROM json_each(@items) AS j WHERE true
ON CONFLICT (device_id, path) DO UPDATE
SET notification = excluded.notification, access_list = excluded.access_list, attributes_at = excluded.attributes_at`;

const ADD_OBJECT = `
INSERT INTO parameters (device_id, path, object, names_at) VALUES (@device, @path, 1, @at)
ON CONFLICT (device_id, path) DO UPDATE SET names_at = excluded.names_at`;

const CLEAR_TREE = 'DELETE FROM parameters WHERE device_id = @device';

// Range predicates: [lo, hi) is "starts with prefix"; hi is null only for the empty prefix.
const DELETE_RANGE = 'DELETE FROM parameters WHERE device_id = @device AND path >= @lo AND path < @hi';
const DELETE_ALL_FROM = 'DELETE FROM parameters WHERE device_id = @device AND path >= @lo';
const DELETE_EXACT = 'DELETE FROM parameters WHERE device_id = @device AND path = @path';

/** Strictly below root (path > root), minus the nodes the answer vouched for. */
const PRUNE_RANGE = `DELETE FROM parameters WHERE device_id = @device AND path > @lo AND path < @hi
  AND path NOT IN (SELECT value FROM json_each(@keep))`;
const PRUNE_ALL_FROM = `DELETE FROM parameters WHERE device_id = @device AND path > @lo
  AND path NOT IN (SELECT value FROM json_each(@keep))`;

/** Direct children of root: the rest of the path has no "." except a trailing one. */
const CHILDREN_RANGE = `SELECT path FROM parameters WHERE device_id = @device AND path > @lo AND path < @hi
  AND instr(substr(path, length(@lo) + 1), '.') IN (0, length(path) - length(@lo))`;
const CHILDREN_ALL_FROM = `SELECT path FROM parameters WHERE device_id = @device AND path > @lo
  AND instr(substr(path, length(@lo) + 1), '.') IN (0, length(path) - length(@lo))`;

export function applyParameterOps(db: Db, device: string, ops: readonly ParameterOp[]): void {
  for (const op of ops) {
    switch (op.op) {
      case 'clearTree':
        db.run(CLEAR_TREE, { device });
        break;
      case 'setValues': {
        if (op.params.length === 0) break;
        const items = lastByName(op.params).map((p) => [p.name, p.value, p.type]);
        db.run(SET_VALUES, { device, at: op.at, touch: bool(op.touch), items: json(items) });
        break;
      }
      case 'setNames':
        setNames(db, device, op);
        break;
      case 'setAttributes': {
        if (op.params.length === 0) break;
        const items = lastByName(op.params).map((p) => [p.name, p.notification, json(p.accessList)]);
        db.run(SET_ATTRIBUTES, { device, at: op.at, items: json(items) });
        break;
      }
      case 'addObject': {
        const path = subtreePrefix(op.path);
        db.run(ENSURE_OBJECTS, { device, at: op.at, items: json(ancestorsOf(path)) });
        db.run(ADD_OBJECT, { device, at: op.at, path });
        break;
      }
      case 'deleteObject':
        deleteSubtree(db, device, op.path);
        break;
      default: {
        const never: never = op;
        throw new Error(`unknown parameter op ${JSON.stringify(never)}`);
      }
    }
  }
}

function deleteSubtree(db: Db, device: string, path: string): void {
  const lo = subtreePrefix(path);
  if (lo !== path) db.run(DELETE_EXACT, { device, path });
  const hi = prefixUpperBound(lo);
  if (hi === null) db.run(DELETE_ALL_FROM, { device, lo });
  else db.run(DELETE_RANGE, { device, lo, hi });
}

/**
 * A GetParameterNames answer. Pruning comes first, then the upserts:
 *  - nextLevel false: the answer is the whole subtree, so every stored node strictly under
 *    root that is neither listed nor an ancestor of a listed node is gone.
 *  - nextLevel true: the answer lists root's direct children only, so only a direct child
 *    that is absent is gone — with its subtree, which cannot outlive it. Deeper nodes of
 *    children that are still there are not judged by this answer.
 * A root that is a parameter (no trailing ".") has nothing strictly under it.
 */
function setNames(db: Db, device: string, op: Extract<ParameterOp, { op: 'setNames' }>): void {
  const params = lastByName(op.params);
  const listed = new Set(params.map((p) => p.name));
  const ancestors = new Set<string>();
  for (const name of listed) for (const a of ancestorsOf(name)) if (!listed.has(a)) ancestors.add(a);

  if (op.root === '' || op.root.endsWith('.')) {
    const lo = op.root;
    const hi = prefixUpperBound(lo);
    if (!op.nextLevel) {
      const keep = json([...listed, ...ancestors]);
      if (hi === null) db.run(PRUNE_ALL_FROM, { device, lo, keep });
      else db.run(PRUNE_RANGE, { device, lo, hi, keep });
    } else {
      const children =
        hi === null
          ? db.all<{ path: string }>(CHILDREN_ALL_FROM, { device, lo })
          : db.all<{ path: string }>(CHILDREN_RANGE, { device, lo, hi });
      for (const { path } of children) {
        if (!listed.has(path) && !ancestors.has(path)) deleteSubtree(db, device, path);
      }
    }
  }

  if (params.length > 0) {
    const items = params.map((p) => [p.name, bool(p.writable)]);
    db.run(SET_NAMES, { device, at: op.at, items: json(items) });
  }
  if (ancestors.size > 0) db.run(ENSURE_OBJECTS, { device, at: op.at, items: json([...ancestors]) });
}
