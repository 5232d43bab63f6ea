/**
 * Device queries on SQLite: the shared compiler (../device-query.ts) with SQLite's dialect,
 * assembled into a count and a page read in one snapshot, plus the parameter projection.
 */
import type Database from 'better-sqlite3';
import { compileDeviceQuery, DECIMAL, selectionOf, whereOf, type Dialect } from '../device-query.js';
import type { DeviceCursor, DeviceFilter, DeviceListItem, DevicePage, DeviceQuery, StoredParameter } from '../types.js';
import { json, type Db, type Params } from './db.js';
import { byPath, DEVICE_COLUMNS, PARAMETER_COLUMNS, toDeviceSummary, toStoredParameter, type DeviceRow, type ParameterRow } from './rows.js';
import { searchableSet } from './search.js';
import { entryExists, entryValue, exactSectionParameters, sectionParameters } from './sections.js';


/** flotilla_num(text): the number a decimal string denotes, else NULL (so it never compares true). */
const withFunctions = new WeakSet<Db>();
function ensureFunctions(db: Db): void {
  if (withFunctions.has(db)) return;
  db.raw.function('flotilla_num', { deterministic: true }, (v: unknown) =>
    typeof v === 'string' && DECIMAL.test(v) ? Number(v) : null,
  );
  withFunctions.add(db);
}

/** Statements for dynamic SQL, bounded (filters are endless; the cache must not be). */
const LRU_SIZE = 256;
const statementCache = new WeakMap<Db, Map<string, Database.Statement>>();
function prepare(db: Db, sql: string): Database.Statement {
  let cache = statementCache.get(db);
  if (cache === undefined) statementCache.set(db, (cache = new Map()));
  let s = cache.get(sql);
  if (s !== undefined) {
    cache.delete(sql);
  } else {
    s = db.raw.prepare(sql);
    if (cache.size >= LRU_SIZE) cache.delete(cache.keys().next().value as string);
  }
  cache.set(sql, s);
  return s;
}

/** A `*`/`?` glob as SQLite GLOB: `[` is the only other GLOB metacharacter that needs escaping. */
export function globPattern(glob: string): string {
  return glob.replace(/\[/g, '[[]');
}

/** Named parameters (@p0, @p1 …): fragments are assembled out of binding order. */
export const SQLITE_DIALECT: Dialect = {
  placeholder: (i) => `@p${i}`,
  decimal: (v) => Number(v),
  byteOrder: '',
  glob: (expr, ph) => `${expr} GLOB ${ph}`,
  globPattern,
  list: (values) => ({ value: JSON.stringify(values), kind: 'text' }),
  inList: (expr, ph) => `${expr} IN (SELECT value FROM json_each(${ph}))`,
  sections: {
    exists: (section, path) => `EXISTS (SELECT 1 FROM tree_docs t WHERE t.device_id = d.id AND ${entryExists('t', section, path)})`,
    value: (section, path) => `(SELECT ${entryValue('t', section, path)} FROM tree_docs t WHERE t.device_id = d.id)`,
  },
};

/**
 * `<column> IN (the devices these filters match)`, its values added to `params` (as @dev0 …,
 * names no other statement uses): rows of another concern (tasks, alarms) narrowed to a
 * scoped principal's devices. The SQL text varies only with the filters' shape, and a scoped
 * principal's filters are its scope's, so the statement cache stays small.
 */
export function devicesMatching(db: Db, column: string, filters: readonly DeviceFilter[], params: Params): string {
  ensureFunctions(db);
  const dialect: Dialect = { ...SQLITE_DIALECT, placeholder: (i) => `@dev${i}` };
  const c = compileDeviceQuery({ filters: [...filters] }, dialect, searchableSet(db));
  c.values.forEach((v, i) => (params[`dev${i}`] = v as Params[string]));
  return `${column} IN (SELECT d.id FROM devices d ${whereOf(c.filterConds)})`;
}

const named = (values: readonly unknown[]): Params =>
  Object.fromEntries(values.map((v, i) => [`p${i}`, v as Params[string]]));

export function listDevices(db: Db, q: DeviceQuery = {}): DevicePage {
  ensureFunctions(db);
  const c = compileDeviceQuery(q, SQLITE_DIALECT, searchableSet(db));
  const countSql = `SELECT count(*) AS n FROM devices d ${whereOf(c.filterConds)}`;
  const countParams = named(c.values);
  const limit = c.limit ?? -1;
  const pageSql = `SELECT ${DEVICE_COLUMNS}, ${c.sortExpr} AS sort_key FROM devices d ${whereOf(c.pageConds)}
ORDER BY sort_key ${c.dir}, d.id ${c.dir} LIMIT ${c.bind(limit, 'bigint')} OFFSET ${c.bind(c.offset, 'bigint')}`;
  const pageParams = named(c.values);

  return db.read(() => {
    const total = (prepare(db, countSql).get(countParams) as { n: number }).n;
    const rows = prepare(db, pageSql).all(pageParams) as (DeviceRow & { sort_key: string | number })[];
    const devices: DeviceListItem[] = rows.map(toDeviceSummary);
    if (q.parameters !== undefined) project(db, devices, q.parameters);
    const last = rows.at(-1);
    const next: DeviceCursor | null =
      last !== undefined && limit > 0 && rows.length === limit ? { key: last.sort_key, id: last.id } : null;
    return { total, devices, next };
  });
}

const PROJECT_EXACT = `SELECT device_id, ${PARAMETER_COLUMNS} FROM parameters
WHERE device_id IN (SELECT value FROM json_each(@ids)) AND path IN (SELECT value FROM json_each(@paths))`;
const PROJECT_RANGE = `SELECT device_id, ${PARAMETER_COLUMNS} FROM parameters
WHERE device_id IN (SELECT value FROM json_each(@ids)) AND path >= @lo AND path < @hi`;
const PROJECT_ALL = `SELECT device_id, ${PARAMETER_COLUMNS} FROM parameters WHERE device_id IN (SELECT value FROM json_each(@ids))`;

const WITH_SECTIONS = 'SELECT device_id FROM tree_docs WHERE device_id IN (SELECT value FROM json_each(@ids))';

/** The stored rows of `paths` (exact, or subtrees ending in ".") of one device, in path order. */
export function readParameters(db: Db, deviceId: string, paths: readonly string[]): StoredParameter[] {
  return db.read(() => {
    const one: DeviceListItem[] = [{ id: deviceId } as DeviceListItem];
    project(db, one, paths);
    return one[0]!.parameters ?? [];
  });
}

/** Attach the selected parameter rows to each device (path order, no duplicates). */
function project(db: Db, devices: DeviceListItem[], selection: readonly string[]): void {
  for (const d of devices) d.parameters = [];
  if (devices.length === 0 || selection.length === 0) return;
  const ids = json(devices.map((d) => d.id));
  const rows: (ParameterRow & { device_id: string })[] = [];
  const { exact, ranges, all } = selectionOf(selection);
  if (all) rows.push(...db.all<ParameterRow & { device_id: string }>(PROJECT_ALL, { ids }));
  else {
    if (exact.length > 0) rows.push(...db.all<ParameterRow & { device_id: string }>(PROJECT_EXACT, { ids, paths: json(exact) }));
    for (const [lo, hi] of ranges) rows.push(...db.all<ParameterRow & { device_id: string }>(PROJECT_RANGE, { ids, lo, hi }));
  }
  const byDevice = new Map<string, Map<string, StoredParameter>>();
  for (const r of rows) {
    let m = byDevice.get(r.device_id);
    if (m === undefined) byDevice.set(r.device_id, (m = new Map()));
    m.set(r.path, toStoredParameter(r));
  }
  // The devices with tree sections (sections.ts) add the entries the selection takes: exact
  // paths looked up by key, subtrees from the sections they can reach.
  const sectioned = db.all<{ device_id: string }>(WITH_SECTIONS, { ids }).map((r) => r.device_id);
  if (sectioned.length > 0) {
    const add = (id: string, p: StoredParameter): void => {
      let m = byDevice.get(id);
      if (m === undefined) byDevice.set(id, (m = new Map()));
      m.set(p.path, p);
    };
    if (all) {
      for (const id of sectioned) for (const p of sectionParameters(db, id, null, () => true)) add(id, p);
    } else {
      for (const { deviceId, parameter } of exactSectionParameters(db, sectioned, exact)) add(deviceId, parameter);
      for (const [lo, hi] of ranges) {
        for (const id of sectioned) for (const p of sectionParameters(db, id, { lo, hi }, (path) => path >= lo && path < hi)) add(id, p);
      }
    }
  }
  for (const d of devices) {
    const m = byDevice.get(d.id);
    if (m !== undefined) d.parameters = [...m.values()].sort(byPath);
  }
}
