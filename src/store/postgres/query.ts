/**
 * Device queries on PostgreSQL: the shared compiler (../device-query.ts) with PostgreSQL's
 * dialect, assembled into ONE statement (hence one snapshot and one round trip): the total,
 * the page and the parameter projection. The SQL varies with the shape of the query, so it
 * is sent unprepared (no per-connection statement pile-up).
 */
import { compileDeviceQuery, selectionOf, whereOf, type BindKind, type Dialect } from '../device-query.js';
import type { DeviceCursor, DeviceFilter, DeviceListItem, DevicePage, DeviceQuery, StoredParameter } from '../types.js';
import type { PgDb } from './db.js';
import { DEVICE_JSON, PARAMETER_JSON, toDeviceSummary, type DeviceJson } from './rows.js';
import { searchableSet } from './search.js';


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

/** Positional, typed parameters; text compares in byte order under COLLATE "C". */
export const PG_DIALECT: Dialect = {
  placeholder: (i, kind) => `$${i + 1}::${kind}`,
  decimal: (v) => v,
  byteOrder: ' COLLATE "C"',
  glob: (expr, ph) => `${expr} LIKE ${ph} COLLATE "C"`,
  globPattern: likePattern,
  list: (values) => ({ value: [...values], kind: 'text[]' }),
  inList: (expr, ph) => `${expr} = ANY (${ph})`,
};

/**
 * `<column> IN (the devices these filters match)`, its values appended to `params` (numbered
 * after those already there): rows of another concern (tasks, alarms) narrowed to a scoped
 * principal's devices. `searchable`: `searchableSet(db)`, read by the caller beforehand.
 */
export function devicesMatching(column: string, filters: readonly DeviceFilter[], searchable: ReadonlySet<string>, params: unknown[]): string {
  const base = params.length;
  const dialect: Dialect = { ...PG_DIALECT, placeholder: (i, kind) => PG_DIALECT.placeholder(i + base, kind) };
  const c = compileDeviceQuery({ filters: [...filters] }, dialect, searchable);
  params.push(...c.values);
  return `${column} IN (SELECT d.id FROM devices d ${whereOf(c.filterConds)})`;
}

interface PageRow {
  total: number;
  devices: { j: DeviceJson; k: string | number }[];
  parameters: { d: string; p: StoredParameter }[] | null;
}

export async function listDevices(db: PgDb, q: DeviceQuery = {}): Promise<DevicePage> {
  const c = compileDeviceQuery(q, PG_DIALECT, await searchableSet(db));
  const order = `${c.sortExpr} ${c.dir}, d.id ${c.dir}`;
  const page = `SELECT d.id, ${DEVICE_JSON} AS j, ${c.sortExpr} AS k, row_number() OVER (ORDER BY ${order}) AS n
FROM devices d ${whereOf(c.pageConds)} ORDER BY ${order} LIMIT ${c.bind(c.limit, 'bigint')} OFFSET ${c.bind(c.offset, 'bigint')}`;
  const projection = q.parameters === undefined ? 'NULL::json' : `(${projectionSql(c.bind, q.parameters, 'SELECT id FROM page')})`;
  const sql = `WITH page AS (${page})
SELECT (SELECT count(*) FROM devices d ${whereOf(c.filterConds)}) AS total,
  (SELECT coalesce(json_agg(json_build_object('j', page.j, 'k', page.k) ORDER BY page.n), '[]'::json) FROM page) AS devices,
  ${projection} AS parameters`;
  const limit = c.limit;

  const [row] = await db.queryUnprepared<PageRow>(sql, c.values);
  const rows = row?.devices ?? [];
  const devices: DeviceListItem[] = rows.map((r) => toDeviceSummary(r.j));
  if (q.parameters !== undefined) attach(devices, row?.parameters ?? []);
  const last = rows.at(-1);
  const next: DeviceCursor | null =
    last !== undefined && limit !== null && limit > 0 && rows.length === limit ? { key: last.k, id: last.j.id } : null;
  return { total: row?.total ?? 0, devices, next };
}

/** The selected rows of some devices (`ids`: a subquery): exact paths and subtree ranges. */
function projectionSql(bind: (v: unknown, kind: BindKind) => string, selection: readonly string[], ids: string): string {
  const { exact, ranges, all } = selectionOf(selection);
  const arms: string[] = [];
  if (all) arms.push('true');
  if (exact.length > 0) arms.push(`p.path = ANY (${bind(exact, 'text[]')})`);
  for (const [lo, hi] of ranges) arms.push(`(p.path >= ${bind(lo, 'text')} AND p.path < ${bind(hi, 'text')})`);
  if (arms.length === 0) return `SELECT '[]'::json`;
  return `SELECT coalesce(json_agg(json_build_object('d', p.device_id, 'p', ${PARAMETER_JSON}) ORDER BY p.device_id, p.path), '[]'::json)
FROM parameters p WHERE p.device_id IN (${ids}) AND (${arms.join(' OR ')})`;
}

/** The stored rows of `paths` (exact, or subtrees ending in ".") of one device, in path order: one statement. */
export async function readParameters(db: PgDb, deviceId: string, paths: readonly string[]): Promise<StoredParameter[]> {
  if (paths.length === 0) return [];
  const values: unknown[] = [deviceId];
  const bind = (v: unknown, kind: BindKind): string => {
    values.push(v);
    return PG_DIALECT.placeholder(values.length - 1, kind);
  };
  const sql = projectionSql(bind, paths, '$1::text');
  const [row] = await db.queryUnprepared<{ rows: { d: string; p: StoredParameter }[] }>(`SELECT (${sql}) AS rows`, values);
  return (row?.rows ?? []).map((r) => r.p);
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
