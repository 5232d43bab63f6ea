/**
 * Device queries: filters, sort, offset or keyset paging, a total, and a parameter
 * projection — the semantics of DeviceFilter (src/store/types.ts), turned into ONE
 * statement (hence one snapshot and one round trip) the way sqlite/query.ts does it:
 *  - a parameter condition on a searchable path (search.ts) is `d.id IN (SELECT device_id
 *    FROM parameters WHERE path = '<literal>' AND …)`, which reads that path's partial
 *    index; on any other path it is a correlated EXISTS, one primary-key probe per device;
 *  - keyset paging compares the row value (sort key, id), which an index on the sort column
 *    answers directly;
 *  - text compares in byte order: the columns are COLLATE "C", and so is every expression
 *    compared here;
 *  - globs become LIKE patterns (`*` → `%`, `?` → `_`, everything else literal).
 * Values are always bound; only searchable paths are inlined (as escaped literals), because
 * a partial index is used only when the query names its literal. The SQL varies with the
 * shape of the query, so it is sent unprepared (no per-connection statement pile-up).
 */
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
import type { PgDb } from './db.js';
import { DEVICE_JSON, PARAMETER_JSON, toDeviceSummary, type DeviceJson } from './rows.js';
import { searchablePaths, sqlLiteral } from './search.js';


/** A `*`/`?` glob as a LIKE pattern with `\` as the escape character. */
export function likePattern(glob: string): string {
  let out = '';
  for (const ch of glob) {
    if (ch === '*') out += '%';
    else if (ch === '?') out += '_';
    else if (ch === '%' || ch === '_' || ch === '\\') out += `\\${ch}`;
    else out += ch;
  }
  return out;
}

class Builder {
  readonly params: unknown[] = [];
  readonly #searchable: Set<string>;

  constructor(searchable: Set<string>) {
    this.#searchable = searchable;
  }

  bind(v: unknown, cast = ''): string {
    this.params.push(v);
    return `$${this.params.length}${cast}`;
  }

  /** A condition on a text expression (identity column or parameter value). */
  text(expr: string, op: Exclude<DeviceFilter['op'], 'exists' | 'notExists'>, value: string): string {
    switch (op) {
      case 'eq':
      case 'ne':
        return `${expr} ${COMPARE[op]} ${this.bind(value, '::text')}`;
      case 'lt':
      case 'le':
      case 'gt':
      case 'ge':
        return DECIMAL.test(value)
          ? `flotilla_num(${expr}) ${COMPARE[op]} ${this.bind(value, '::numeric')}`
          : `${expr} ${COMPARE[op]} ${this.bind(value, '::text')} COLLATE "C"`;
      case 'prefix': {
        const hi = prefixUpperBound(value);
        return hi === null
          ? `${expr} IS NOT NULL`
          : `(${expr} >= ${this.bind(value, '::text')} COLLATE "C" AND ${expr} < ${this.bind(hi, '::text')} COLLATE "C")`;
      }
      case 'glob':
        return `${expr} LIKE ${this.bind(likePattern(value), '::text')} COLLATE "C"`;
    }
  }

  filter(f: DeviceFilter): string {
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
        if (f.op === 'ne') return `(${col} IS NULL OR ${col} <> ${this.bind(f.value, '::bigint')})`;
        return `${col} ${COMPARE[f.op]} ${this.bind(f.value, '::bigint')}`;
      }
      case 'tag':
        if (f.op === 'ne') return `d.id NOT IN (SELECT device_id FROM device_tags WHERE tag = ${this.bind(f.value, '::text')})`;
        return `d.id IN (SELECT device_id FROM device_tags t WHERE ${this.text('t.tag', f.op, f.value)})`;
      case 'parameter':
        return this.#parameter(f);
    }
  }

  #parameter(f: Extract<DeviceFilter, { field: 'parameter' }>): string {
    const indexed = this.#searchable.has(f.path);
    if (!('value' in f)) {
      const not = f.op === 'notExists' ? 'NOT ' : '';
      return indexed
        ? `d.id ${not}IN (SELECT device_id FROM parameters WHERE path = ${sqlLiteral(f.path)})`
        : `${not}EXISTS (SELECT 1 FROM parameters p WHERE p.device_id = d.id AND p.path = ${this.bind(f.path, '::text')})`;
    }
    if (f.op === 'ne') {
      // Absent counts as "not equal": the complement of eq.
      return `NOT EXISTS (SELECT 1 FROM parameters p WHERE p.device_id = d.id AND p.path = ${this.bind(f.path, '::text')} AND p.value = ${this.bind(f.value, '::text')})`;
    }
    if (indexed) {
      return `d.id IN (SELECT device_id FROM parameters WHERE path = ${sqlLiteral(f.path)} AND ${this.text('value', f.op, f.value)})`;
    }
    return `EXISTS (SELECT 1 FROM parameters p WHERE p.device_id = d.id AND p.path = ${this.bind(f.path, '::text')} AND ${this.text('p.value', f.op, f.value)})`;
  }

  /** The sort expression, never NULL (so row-value comparisons for cursors hold). */
  sortExpr(key: DeviceSortKey): { expr: string; numeric: boolean } {
    if (typeof key === 'object') {
      return {
        expr: `coalesce((SELECT value FROM parameters p WHERE p.device_id = d.id AND p.path = ${this.bind(key.parameter, '::text')}), '')`,
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

interface PageRow {
  total: number;
  devices: { j: DeviceJson; k: string | number }[];
  parameters: { d: string; p: StoredParameter }[] | null;
}

export async function queryDevices(db: PgDb, q: DeviceQuery = {}): Promise<DevicePage> {
  const b = new Builder(await searchablePaths(db));
  const conds = (q.filters ?? []).map((f) => b.filter(f));
  const countWhere = conds.length > 0 ? `WHERE ${conds.join(' AND ')}` : '';

  const sortKey = q.sort?.key ?? 'id';
  const desc = q.sort?.descending === true;
  const sort = b.sortExpr(sortKey);
  const pageConds = [...conds];
  if (q.after !== undefined) {
    const key = sort.numeric ? b.bind(Number(q.after.key), '::bigint') : `${b.bind(String(q.after.key), '::text')} COLLATE "C"`;
    pageConds.push(`(${sort.expr}, d.id) ${desc ? '<' : '>'} (${key}, ${b.bind(q.after.id, '::text')})`);
  }
  const where = pageConds.length > 0 ? `WHERE ${pageConds.join(' AND ')}` : '';
  const dir = desc ? 'DESC' : 'ASC';
  const limit = q.limit === undefined ? null : Math.max(0, Math.floor(q.limit));
  const offset = q.after !== undefined ? 0 : Math.max(0, Math.floor(q.offset ?? 0));
  const order = `${sort.expr} ${dir}, d.id ${dir}`;
  const page = `SELECT d.id, ${DEVICE_JSON} AS j, ${sort.expr} AS k, row_number() OVER (ORDER BY ${order}) AS n
FROM devices d ${where} ORDER BY ${order} LIMIT ${b.bind(limit, '::bigint')} OFFSET ${b.bind(offset, '::bigint')}`;
  const projection = q.parameters === undefined ? 'NULL::json' : `(${projectionSql(b, q.parameters)})`;
  const sql = `WITH page AS (${page})
SELECT (SELECT count(*) FROM devices d ${countWhere}) AS total,
  (SELECT coalesce(json_agg(json_build_object('j', page.j, 'k', page.k) ORDER BY page.n), '[]'::json) FROM page) AS devices,
  ${projection} AS parameters`;

  const [row] = await db.queryUnprepared<PageRow>(sql, b.params);
  const rows = row?.devices ?? [];
  const devices: DeviceListItem[] = rows.map((r) => toDeviceSummary(r.j));
  if (q.parameters !== undefined) attach(devices, row?.parameters ?? []);
  const last = rows.at(-1);
  const next: DeviceCursor | null =
    last !== undefined && limit !== null && limit > 0 && rows.length === limit ? { key: last.k, id: last.j.id } : null;
  return { total: row?.total ?? 0, devices, next };
}

/** The selected rows of the page's devices: exact paths and subtree ranges. */
function projectionSql(b: Builder, selection: readonly string[]): string {
  const arms: string[] = [];
  const exact = selection.filter((p) => !p.endsWith('.') && p !== '');
  if (exact.length > 0) arms.push(`p.path = ANY (${b.bind(exact, '::text[]')})`);
  for (const subtree of selection.filter((p) => p.endsWith('.') || p === '')) {
    const hi = prefixUpperBound(subtree);
    arms.push(hi === null ? 'true' : `(p.path >= ${b.bind(subtree, '::text')} AND p.path < ${b.bind(hi, '::text')})`);
  }
  if (arms.length === 0) return `SELECT '[]'::json`;
  return `SELECT coalesce(json_agg(json_build_object('d', p.device_id, 'p', ${PARAMETER_JSON}) ORDER BY p.device_id, p.path), '[]'::json)
FROM parameters p WHERE p.device_id IN (SELECT id FROM page) AND (${arms.join(' OR ')})`;
}

/** Attach the selected parameter rows to each device (path order, no duplicates). */
function attach(devices: DeviceListItem[], rows: readonly { d: string; p: StoredParameter }[]): void {
  const byDevice = new Map<string, StoredParameter[]>();
  for (const r of rows) {
    let list = byDevice.get(r.d);
    if (list === undefined) byDevice.set(r.d, (list = []));
    list.push(r.p);
  }
  for (const d of devices) d.parameters = byDevice.get(d.id) ?? [];
}
