/**
 * Device queries: filters, sort, offset or keyset paging, a total, and a parameter
 * projection. The semantics are DeviceFilter's (src/store/types.ts); this file only turns
 * them into SQL that a large fleet answers from indexes:
 *  - a parameter condition on a searchable path (search.ts) is `d.id IN (SELECT device_id
 *    FROM parameters WHERE path = '<literal>' AND …)`, which reads that path's partial
 *    index; on any other path it is a correlated EXISTS, one primary-key probe per device.
 *  - keyset paging compares the row value (sort key, id), which an index on the sort column
 *    (whose entries end with the primary key) answers directly.
 * Values are always bound; only searchable paths are inlined (as escaped literals), because
 * a partial index is used only when the query names its literal.
 */
import type Database from 'better-sqlite3';
import { COMPARE, DECIMAL, NULLABLE_TIMES, TEXT_COLUMNS, TIME_COLUMNS } from '../query-columns.js';
import { prefixUpperBound } from '../tree.js';
import type {
  DeviceCursor,
  DeviceFilter,
  DeviceListItem,
  DevicePage,
  DeviceQuery,
  DeviceSortKey,
  DeviceTextField,
  DeviceTimeField,
  StoredParameter,
} from '../types.js';
import { json, type Db, type Params } from './db.js';
import { DEVICE_COLUMNS, PARAMETER_COLUMNS, toDeviceSummary, toStoredParameter, type DeviceRow, type ParameterRow } from './rows.js';
import { searchablePaths, sqlLiteral } from './search.js';


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

class Builder {
  readonly params: Params = {};
  #n = 0;
  bind(v: string | number): string {
    const name = `p${this.#n++}`;
    this.params[name] = v;
    return `@${name}`;
  }

  /** A condition on a text expression (identity column or parameter value). */
  text(expr: string, op: Exclude<DeviceFilter['op'], 'exists' | 'notExists'>, value: string): string {
    switch (op) {
      case 'eq':
      case 'ne':
        return `${expr} ${COMPARE[op]} ${this.bind(value)}`;
      case 'lt':
      case 'le':
      case 'gt':
      case 'ge':
        return DECIMAL.test(value)
          ? `flotilla_num(${expr}) ${COMPARE[op]} ${this.bind(Number(value))}`
          : `${expr} ${COMPARE[op]} ${this.bind(value)}`;
      case 'prefix': {
        const hi = prefixUpperBound(value);
        return hi === null ? `${expr} IS NOT NULL` : `(${expr} >= ${this.bind(value)} AND ${expr} < ${this.bind(hi)})`;
      }
      case 'glob':
        return `${expr} GLOB ${this.bind(globPattern(value))}`;
    }
  }

  filter(db: Db, f: DeviceFilter): string {
    switch (f.field) {
      case 'id':
      case 'manufacturer':
      case 'oui':
      case 'productClass':
      case 'serialNumber':
        return this.text(TEXT_COLUMNS[f.field], f.op, f.value);
      case 'firstInform':
      case 'lastInform':
      case 'lastBoot':
      case 'lastBootstrap': {
        const col = TIME_COLUMNS[f.field];
        if (!('value' in f)) return f.op === 'exists' ? `${col} IS NOT NULL` : `${col} IS NULL`;
        if (f.op === 'ne') return `(${col} IS NULL OR ${col} <> ${this.bind(f.value)})`;
        return `${col} ${COMPARE[f.op]} ${this.bind(f.value)}`;
      }
      case 'tag': {
        if (f.op === 'ne') return `d.id NOT IN (SELECT device_id FROM device_tags WHERE tag = ${this.bind(f.value)})`;
        return `d.id IN (SELECT device_id FROM device_tags t WHERE ${this.text('t.tag', f.op, f.value)})`;
      }
      case 'parameter':
        return this.#parameter(db, f);
    }
  }

  #parameter(db: Db, f: Extract<DeviceFilter, { field: 'parameter' }>): string {
    const indexed = searchablePaths(db).has(f.path);
    if (!('value' in f)) {
      const not = f.op === 'notExists' ? 'NOT ' : '';
      return indexed
        ? `d.id ${not}IN (SELECT device_id FROM parameters WHERE path = ${sqlLiteral(f.path)})`
        : `${not}EXISTS (SELECT 1 FROM parameters p WHERE p.device_id = d.id AND p.path = ${this.bind(f.path)})`;
    }
    if (f.op === 'ne') {
      // Absent counts as "not equal": the complement of eq.
      return `NOT EXISTS (SELECT 1 FROM parameters p WHERE p.device_id = d.id AND p.path = ${this.bind(f.path)} AND p.value = ${this.bind(f.value)})`;
    }
    if (indexed) {
      return `d.id IN (SELECT device_id FROM parameters WHERE path = ${sqlLiteral(f.path)} AND ${this.text('value', f.op, f.value)})`;
    }
    return `EXISTS (SELECT 1 FROM parameters p WHERE p.device_id = d.id AND p.path = ${this.bind(f.path)} AND ${this.text('p.value', f.op, f.value)})`;
  }

  /** The sort expression, never NULL (so row-value comparisons for cursors hold). */
  sortExpr(key: DeviceSortKey): { expr: string; numeric: boolean } {
    if (typeof key === 'object') {
      return {
        expr: `coalesce((SELECT value FROM parameters p WHERE p.device_id = d.id AND p.path = ${this.bind(key.parameter)}), '')`,
        numeric: false,
      };
    }
    if (key in TIME_COLUMNS) {
      const col = TIME_COLUMNS[key as DeviceTimeField];
      return { expr: NULLABLE_TIMES.has(key as DeviceTimeField) ? `coalesce(${col}, -1)` : col, numeric: true };
    }
    return { expr: TEXT_COLUMNS[key as DeviceTextField], numeric: false };
  }
}

export function queryDevices(db: Db, q: DeviceQuery = {}): DevicePage {
  ensureFunctions(db);
  const b = new Builder();
  const conds = (q.filters ?? []).map((f) => b.filter(db, f));
  const countWhere = conds.length > 0 ? `WHERE ${conds.join(' AND ')}` : '';
  const countParams = { ...b.params };

  const sortKey = q.sort?.key ?? 'id';
  const desc = q.sort?.descending === true;
  const sort = b.sortExpr(sortKey);
  const pageConds = [...conds];
  if (q.after !== undefined) {
    const key = sort.numeric ? Number(q.after.key) : String(q.after.key);
    pageConds.push(`(${sort.expr}, d.id) ${desc ? '<' : '>'} (${b.bind(key)}, ${b.bind(q.after.id)})`);
  }
  const where = pageConds.length > 0 ? `WHERE ${pageConds.join(' AND ')}` : '';
  const dir = desc ? 'DESC' : 'ASC';
  const limit = q.limit === undefined ? -1 : Math.max(0, Math.floor(q.limit));
  const offset = q.after !== undefined ? 0 : Math.max(0, Math.floor(q.offset ?? 0));
  const pageSql = `SELECT ${DEVICE_COLUMNS}, ${sort.expr} AS sort_key FROM devices d ${where}
ORDER BY sort_key ${dir}, d.id ${dir} LIMIT ${b.bind(limit)} OFFSET ${b.bind(offset)}`;
  const countSql = `SELECT count(*) AS n FROM devices d ${countWhere}`;

  return db.read(() => {
    const total = (prepare(db, countSql).get(countParams) as { n: number }).n;
    const rows = prepare(db, pageSql).all(b.params) as (DeviceRow & { sort_key: string | number })[];
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

/** Attach the selected parameter rows to each device (path order, no duplicates). */
function project(db: Db, devices: DeviceListItem[], selection: readonly string[]): void {
  for (const d of devices) d.parameters = [];
  if (devices.length === 0 || selection.length === 0) return;
  const ids = json(devices.map((d) => d.id));
  const rows: (ParameterRow & { device_id: string })[] = [];
  const exact = selection.filter((p) => !p.endsWith('.') && p !== '');
  if (exact.length > 0) rows.push(...db.all<ParameterRow & { device_id: string }>(PROJECT_EXACT, { ids, paths: json(exact) }));
  for (const subtree of selection.filter((p) => p.endsWith('.') || p === '')) {
    const hi = prefixUpperBound(subtree);
    rows.push(
      ...(hi === null
        ? db.all<ParameterRow & { device_id: string }>(PROJECT_ALL, { ids })
        : db.all<ParameterRow & { device_id: string }>(PROJECT_RANGE, { ids, lo: subtree, hi })),
    );
  }
  const byDevice = new Map<string, Map<string, StoredParameter>>();
  for (const r of rows) {
    let m = byDevice.get(r.device_id);
    if (m === undefined) byDevice.set(r.device_id, (m = new Map()));
    m.set(r.path, toStoredParameter(r));
  }
  for (const d of devices) {
    const m = byDevice.get(d.id);
    if (m !== undefined) d.parameters = [...m.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }
}
