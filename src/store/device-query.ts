/**
 * The device query compiler, one for every SQL backend: DeviceQuery filters, sort and cursor
 * (the semantics are DeviceFilter's, concerns/devices.ts) → SQL fragments and bound values.
 * What differs between SQL dialects is a small adapter (`Dialect`): how a value is bound,
 * how text compares in byte order, and how a glob is matched. Each backend's query.ts only
 * assembles the fragments into its statement(s) and maps rows.
 *
 * Shapes chosen so a large fleet answers from indexes:
 *  - a parameter condition on a searchable path is `d.id IN (SELECT device_id FROM
 *    parameters WHERE path = '<literal>' AND …)`, which reads that path's partial index; on
 *    any other path it is a correlated EXISTS, one primary-key probe per device;
 *  - keyset paging compares the row value (sort key, id), which an index on the sort column
 *    (whose entries end with the primary key) answers directly.
 * Values are always bound; only searchable paths are inlined (as escaped literals), because a
 * partial index is used only when the query names its literal.
 */
import { createHash } from 'node:crypto';
import { isSecretPath } from '../secrets/rules.js';
import { prefixUpperBound, sectionFor } from './tree.js';
import type { DeviceFilter, DeviceQuery, DeviceSortKey, DeviceTextField, DeviceTimeField } from './types.js';

export const TEXT_COLUMNS: Readonly<Record<DeviceTextField, string>> = {
  id: 'd.id',
  manufacturer: 'd.manufacturer',
  oui: 'd.oui',
  productClass: 'd.product_class',
  serialNumber: 'd.serial_number',
};

export const TIME_COLUMNS: Readonly<Record<DeviceTimeField, string>> = {
  firstInform: 'd.first_inform',
  lastInform: 'd.last_inform',
  lastBoot: 'd.last_boot',
  lastBootstrap: 'd.last_bootstrap',
};

/** Times a device may not have yet; they sort as -1. */
export const NULLABLE_TIMES: ReadonlySet<DeviceTimeField> = new Set<DeviceTimeField>(['lastBoot', 'lastBootstrap']);

export const COMPARE = { eq: '=', ne: '<>', lt: '<', le: '<=', gt: '>', ge: '>=' } as const;

/** The decimal numbers that comparisons treat numerically (DeviceFilter). */
export const DECIMAL = /^-?\d+(\.\d+)?$/;

/**
 * A SQL string literal (single quotes doubled: SQLite, and PostgreSQL with
 * standard_conforming_strings); paths are inlined so the planner can match the partial index.
 */
export const sqlLiteral = (s: string): string => `'${s.replace(/'/g, "''")}'`;

/** The partial search index of a parameter path (both backends name it so). */
export function indexNameOf(path: string): string {
  return `parameters_search_${createHash('sha256').update(path, 'utf8').digest('hex').slice(0, 16)}`;
}

export type BindKind = 'text' | 'numeric' | 'bigint' | 'text[]';

/** What differs between SQL dialects in a device query. */
export interface Dialect {
  /** The placeholder of the `index`-th bound value (0-based), of this kind. */
  placeholder(index: number, kind: BindKind): string;
  /** A decimal operand as it is bound for a numeric comparison (`flotilla_num(expr) < ?`). */
  decimal(value: string): string | number;
  /** Appended to a bound text operand of an ordering comparison so it compares in byte order. */
  readonly byteOrder: string;
  /** `expr` matches the `*`/`?` glob bound at `placeholder` (the pattern comes from `globPattern`). */
  glob(expr: string, placeholder: string): string;
  globPattern(glob: string): string;
  /** A list of texts as it is bound (JSON text on SQLite, an array on PostgreSQL), and its kind. */
  list(values: readonly string[]): { value: unknown; kind: BindKind };
  /** `expr` is one of the list bound at `placeholder`. */
  inList(expr: string, placeholder: string): string;
  /**
   * A backend that keeps discovered trees in sections (sqlite/sections.ts): SQL for "the
   * device's section (bound at `section`) holds the parameter path bound at `path`", and that
   * entry's value (NULL when absent or not read).
   */
  readonly sections?: { exists(section: string, path: string): string; value(section: string, path: string): string };
}

/** Fragments of one device query; `values` are bound in placeholder order. */
export interface CompiledDeviceQuery {
  /** The filters' conditions (for the total). */
  filterConds: string[];
  /** The filters plus the cursor's condition (for the page). */
  pageConds: string[];
  /** The sort expression, never NULL (so row-value comparisons for cursors hold). */
  sortExpr: string;
  numericSort: boolean;
  dir: 'ASC' | 'DESC';
  /** null: no limit. */
  limit: number | null;
  offset: number;
  values: unknown[];
  /** Bind another value (projection, limit …) and get its placeholder. */
  bind(value: unknown, kind: BindKind): string;
}

/**
 * A filter or sort on a secret parameter (src/secrets/rules.ts) is refused: `^=` answers one
 * yes/no per query, which rebuilds a Wi-Fi key in a few hundred queries, and a sort leaks
 * the order of values. The NBI refuses these with 400 before they get here; this check makes
 * every other caller of the compiler obey the same rule.
 */
export class SecretQueryError extends Error {
  override readonly name = 'SecretQueryError';
  constructor(readonly path: string, readonly use: 'filter' | 'sort') {
    super(`${path} is a secret parameter: it cannot be used to ${use} devices`);
  }
}

export function assertNoSecrets(q: DeviceQuery): void {
  for (const f of q.filters ?? []) if (f.field === 'parameter' && isSecretPath(f.path)) throw new SecretQueryError(f.path, 'filter');
  const key = q.sort?.key;
  if (typeof key === 'object' && isSecretPath(key.parameter)) throw new SecretQueryError(key.parameter, 'sort');
}

export function compileDeviceQuery(q: DeviceQuery, dialect: Dialect, searchable: ReadonlySet<string>): CompiledDeviceQuery {
  assertNoSecrets(q);
  const c = new Compiler(dialect, searchable);
  const filterConds = (q.filters ?? []).map((f) => c.filter(f));
  const desc = q.sort?.descending === true;
  const sort = c.sortExpr(q.sort?.key ?? 'id');
  const pageConds = [...filterConds];
  if (q.after !== undefined) {
    const key = sort.numeric ? c.bind(Number(q.after.key), 'bigint') : `${c.bind(String(q.after.key), 'text')}${dialect.byteOrder}`;
    pageConds.push(`(${sort.expr}, d.id) ${desc ? '<' : '>'} (${key}, ${c.bind(q.after.id, 'text')})`);
  }
  return {
    filterConds,
    pageConds,
    sortExpr: sort.expr,
    numericSort: sort.numeric,
    dir: desc ? 'DESC' : 'ASC',
    limit: q.limit === undefined ? null : Math.max(0, Math.floor(q.limit)),
    offset: q.after !== undefined ? 0 : Math.max(0, Math.floor(q.offset ?? 0)),
    values: c.values,
    bind: (value, kind) => c.bind(value, kind),
  };
}

/** `WHERE a AND b`, or nothing. */
export const whereOf = (conds: readonly string[]): string => (conds.length > 0 ? `WHERE ${conds.join(' AND ')}` : '');

class Compiler {
  readonly values: unknown[] = [];
  readonly #d: Dialect;
  readonly #searchable: ReadonlySet<string>;

  constructor(dialect: Dialect, searchable: ReadonlySet<string>) {
    this.#d = dialect;
    this.#searchable = searchable;
  }

  bind(v: unknown, kind: BindKind): string {
    this.values.push(v);
    return this.#d.placeholder(this.values.length - 1, kind);
  }

  /** A condition on a text expression (identity column or parameter value). */
  text(expr: string, op: Exclude<DeviceFilter['op'], 'exists' | 'notExists' | 'in'>, value: string): string {
    const order = this.#d.byteOrder;
    switch (op) {
      case 'eq':
      case 'ne':
        return `${expr} ${COMPARE[op]} ${this.bind(value, 'text')}`;
      case 'lt':
      case 'le':
      case 'gt':
      case 'ge':
        return DECIMAL.test(value)
          ? `flotilla_num(${expr}) ${COMPARE[op]} ${this.bind(this.#d.decimal(value), 'numeric')}`
          : `${expr} ${COMPARE[op]} ${this.bind(value, 'text')}${order}`;
      case 'prefix': {
        const hi = prefixUpperBound(value);
        return hi === null
          ? `${expr} IS NOT NULL`
          : `(${expr} >= ${this.bind(value, 'text')}${order} AND ${expr} < ${this.bind(hi, 'text')}${order})`;
      }
      case 'glob':
        return this.#d.glob(expr, this.bind(this.#d.globPattern(value), 'text'));
    }
  }

  filter(f: DeviceFilter): string {
    switch (f.field) {
      case 'id':
        if (f.op === 'in') {
          const list = this.#d.list(f.values);
          return this.#d.inList(TEXT_COLUMNS.id, this.bind(list.value, list.kind));
        }
        return this.text(TEXT_COLUMNS.id, f.op, f.value);
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
        if (f.op === 'ne') return `(${col} IS NULL OR ${col} <> ${this.bind(f.value, 'bigint')})`;
        return `${col} ${COMPARE[f.op]} ${this.bind(f.value, 'bigint')}`;
      }
      case 'tag':
        if (f.op === 'ne') return `d.id NOT IN (SELECT device_id FROM device_tags WHERE tag = ${this.bind(f.value, 'text')})`;
        return `d.id IN (SELECT device_id FROM device_tags t WHERE ${this.text('t.tag', f.op, f.value)})`;
      case 'parameter':
        return this.#parameter(f);
      case 'policy': {
        // policy_compliance_by_policy (policy_id, state, …) serves both.
        const rows = `SELECT device_id FROM policy_compliance WHERE policy_id = ${this.bind(f.policyId, 'text')} AND state = ${this.bind(f.value, 'text')}`;
        return f.op === 'eq' ? `d.id IN (${rows})` : `d.id NOT IN (${rows})`;
      }
    }
  }

  #parameter(f: Extract<DeviceFilter, { field: 'parameter' }>): string {
    const indexed = this.#searchable.has(f.path);
    // Searchable paths are never in sections (the planner keeps them rows); others may be.
    const held = indexed ? null : sectionFor(f.path);
    const sections = held === null ? undefined : this.#d.sections;
    const section = (): string => this.bind(held!, 'text');
    if (!('value' in f)) {
      const not = f.op === 'notExists' ? 'NOT ' : '';
      if (indexed) return `d.id ${not}IN (SELECT device_id FROM parameters WHERE path = ${sqlLiteral(f.path)})`;
      const row = `EXISTS (SELECT 1 FROM parameters p WHERE p.device_id = d.id AND p.path = ${this.bind(f.path, 'text')})`;
      return sections === undefined ? `${not}${row}` : `${not}(${row} OR ${sections.exists(section(), this.bind(f.path, 'text'))})`;
    }
    if (f.op === 'ne') {
      // Absent counts as "not equal": the complement of eq.
      const row = `NOT EXISTS (SELECT 1 FROM parameters p WHERE p.device_id = d.id AND p.path = ${this.bind(f.path, 'text')} AND p.value = ${this.bind(f.value, 'text')})`;
      if (sections === undefined) return row;
      return `(${row} AND NOT coalesce(${sections.value(section(), this.bind(f.path, 'text'))} = ${this.bind(f.value, 'text')}, 0))`;
    }
    if (indexed) {
      return `d.id IN (SELECT device_id FROM parameters WHERE path = ${sqlLiteral(f.path)} AND ${this.text('value', f.op, f.value)})`;
    }
    const row = `EXISTS (SELECT 1 FROM parameters p WHERE p.device_id = d.id AND p.path = ${this.bind(f.path, 'text')} AND ${this.text('p.value', f.op, f.value)})`;
    if (sections === undefined) return row;
    return `(${row} OR coalesce(${this.text(sections.value(section(), this.bind(f.path, 'text')), f.op, f.value)}, 0))`;
  }

  sortExpr(key: DeviceSortKey): { expr: string; numeric: boolean } {
    if (typeof key === 'object') {
      const path = key.parameter;
      const row = `(SELECT value FROM parameters p WHERE p.device_id = d.id AND p.path = ${this.bind(path, 'text')})`;
      const section = this.#searchable.has(path) ? null : sectionFor(path);
      const sections = section === null ? undefined : this.#d.sections;
      const held = sections === undefined ? '' : `, ${sections.value(this.bind(section!, 'text'), this.bind(path, 'text'))}`;
      return { expr: `coalesce(${row}${held}, '')`, numeric: false };
    }
    if (key in TIME_COLUMNS) {
      const col = TIME_COLUMNS[key as DeviceTimeField];
      return { expr: NULLABLE_TIMES.has(key as DeviceTimeField) ? `coalesce(${col}, -1)` : col, numeric: true };
    }
    return { expr: TEXT_COLUMNS[key as DeviceTextField], numeric: false };
  }
}

/**
 * A projection (DeviceQuery.parameters, readParameters): exact paths and subtree ranges
 * [prefix, upper bound). `all` when a subtree is "" (everything).
 */
export function selectionOf(paths: readonly string[]): { exact: string[]; ranges: [string, string][]; all: boolean } {
  const exact = paths.filter((p) => !p.endsWith('.') && p !== '');
  const ranges: [string, string][] = [];
  let all = false;
  for (const subtree of paths.filter((p) => p.endsWith('.') || p === '')) {
    const hi = prefixUpperBound(subtree);
    if (hi === null) all = true;
    else ranges.push([subtree, hi]);
  }
  return { exact, ranges, all };
}
