/**
 * The device-query language of the NBI: filter expressions, sort, fields and cursors, parsed
 * into the store's DeviceQuery. The same filter strings serve `GET /devices?filter=…` and the
 * `filter` array of a bulk task.
 *
 *   filter=<lhs> <op> <value>        ops: =  !=  <  <=  >  >=  ^= (starts with)  ~= (glob: * ?)
 *   filter=exists(<lhs>)  filter=!exists(<lhs>)
 *
 * lhs: id, manufacturer, oui, productClass, serialNumber; firstInform, lastInform, lastBoot,
 * lastBootstrap (value: ISO 8601, epoch ms, or relative "-15m", "-2h", "-7d"); tag; or a
 * parameter path (anything with a dot); policy.<id> (= or != compliant, pending, faulted: the
 * device's compliance row for that policy). A value may be "double-quoted" (JSON string rules) to
 * keep blanks. Repeated filters all hold.
 */
import type { CompareOp, DeviceCursor, DeviceFilter, DeviceSortKey, DeviceTextField, DeviceTimeField } from '../store/types.js';
import { isSecretPath } from '../secrets/rules.js';
import { badRequest } from './errors.js';

const TEXT_FIELDS = new Set<string>(['id', 'manufacturer', 'oui', 'productClass', 'serialNumber']);
const TIME_FIELDS = new Set<string>(['firstInform', 'lastInform', 'lastBoot', 'lastBootstrap']);
const OPS: Record<string, CompareOp | 'prefix' | 'glob'> = {
  '=': 'eq',
  '!=': 'ne',
  '<': 'lt',
  '<=': 'le',
  '>': 'gt',
  '>=': 'ge',
  '^=': 'prefix',
  '~=': 'glob',
};

const EXPRESSION = /^\s*([^\s=<>!^~()]+)\s*(!=|<=|>=|\^=|~=|=|<|>)\s*(.*?)\s*$/s;
const EXISTS = /^\s*(!?)exists\(\s*([^\s()]+)\s*\)\s*$/;
const RELATIVE = /^-(\d+)(s|m|h|d)$/;
const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

function isPath(lhs: string): boolean {
  return lhs.includes('.');
}

/** Secret parameters are never filtered or sorted on (store/device-query.ts says why). */
function refuseSecret(path: string, where: string): void {
  if (isSecretPath(path)) throw badRequest(`${where}: ${path} is a secret parameter; it cannot be filtered or sorted on`, 'INVALID_FILTER');
}

function unquote(raw: string, expr: string): string {
  if (!raw.startsWith('"')) return raw;
  try {
    const v: unknown = JSON.parse(raw);
    if (typeof v === 'string') return v;
  } catch {
    // fall through
  }
  throw badRequest(`filter "${expr}": bad quoted value`, 'INVALID_FILTER');
}

export function parseTime(value: string, now: number, where: string): number {
  const rel = RELATIVE.exec(value);
  if (rel !== null) return now - Number(rel[1]) * UNIT_MS[rel[2]!]!;
  if (/^\d+$/.test(value)) return Number(value);
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw badRequest(`${where}: "${value}" is not a time (ISO 8601, epoch ms, or -15m/-2h/-7d)`, 'INVALID_FILTER');
  return t;
}

/** "policy.<id> = faulted": the device's compliance with one policy (no data model has a "policy." root). */
const POLICY_PREFIX = 'policy.';
const COMPLIANCE_STATES = ['compliant', 'pending', 'faulted'] as const;

function policyFilter(expr: string, policyId: string, op: CompareOp | 'prefix' | 'glob', value: string): DeviceFilter {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(policyId)) throw badRequest(`filter "${expr}": "${policyId.slice(0, 80)}" is not a policy id`, 'INVALID_FILTER');
  if (op !== 'eq' && op !== 'ne') throw badRequest(`filter "${expr}": a policy's compliance takes = or !=`, 'INVALID_FILTER');
  const state = COMPLIANCE_STATES.find((s) => s === value);
  if (state === undefined) throw badRequest(`filter "${expr}": compliance is one of ${COMPLIANCE_STATES.join(', ')}`, 'INVALID_FILTER');
  return { field: 'policy', policyId, op, value: state };
}

export function parseFilter(expr: string, now = Date.now()): DeviceFilter {
  if (expr.length > 2048) throw badRequest('filter too long', 'INVALID_FILTER');
  const ex = EXISTS.exec(expr);
  if (ex !== null) {
    const op = ex[1] === '!' ? 'notExists' : 'exists';
    const lhs = ex[2]!;
    if (TIME_FIELDS.has(lhs)) return { field: lhs as DeviceTimeField, op };
    if (isPath(lhs)) {
      refuseSecret(lhs, 'filter');
      return { field: 'parameter', path: lhs, op };
    }
    throw badRequest(`filter "${expr}": exists() takes a time field or a parameter path`, 'INVALID_FILTER');
  }
  const m = EXPRESSION.exec(expr);
  if (m === null) throw badRequest(`filter "${expr}": expected <field> <op> <value> or exists(<path>)`, 'INVALID_FILTER');
  const lhs = m[1]!;
  const op = OPS[m[2]!]!;
  const value = unquote(m[3]!, expr);
  if (TEXT_FIELDS.has(lhs)) return { field: lhs as DeviceTextField, op, value };
  if (TIME_FIELDS.has(lhs)) {
    if (op === 'prefix' || op === 'glob') throw badRequest(`filter "${expr}": ${m[2]} does not apply to a time`, 'INVALID_FILTER');
    return { field: lhs as DeviceTimeField, op, value: parseTime(value, now, `filter "${expr}"`) };
  }
  if (lhs === 'tag') {
    if (op !== 'eq' && op !== 'ne' && op !== 'prefix' && op !== 'glob') {
      throw badRequest(`filter "${expr}": tags take =, !=, ^= or ~=`, 'INVALID_FILTER');
    }
    return { field: 'tag', op, value };
  }
  if (lhs.startsWith(POLICY_PREFIX)) return policyFilter(expr, lhs.slice(POLICY_PREFIX.length), op, value);
  if (isPath(lhs)) {
    if (lhs.includes('..')) throw badRequest(`filter "${expr}": not a parameter path`, 'INVALID_FILTER');
    refuseSecret(lhs, 'filter');
    return { field: 'parameter', path: lhs, op, value };
  }
  throw badRequest(`filter "${expr}": unknown field "${lhs}"`, 'INVALID_FILTER');
}

export function parseFilters(list: string | string[] | undefined, now = Date.now()): DeviceFilter[] {
  if (list === undefined) return [];
  const items = Array.isArray(list) ? list : [list];
  if (items.length > 32) throw badRequest('at most 32 filters', 'INVALID_FILTER');
  return items.map((f) => parseFilter(f, now));
}

/** "lastInform", "-lastInform" (descending), or a parameter path. */
export function parseSort(sort: string | undefined): { key: DeviceSortKey; descending: boolean } {
  if (sort === undefined || sort === '') return { key: 'id', descending: false };
  const descending = sort.startsWith('-');
  const name = descending ? sort.slice(1) : sort;
  if (TEXT_FIELDS.has(name) || TIME_FIELDS.has(name)) return { key: name as DeviceTextField | DeviceTimeField, descending };
  if (isPath(name) && !name.endsWith('.') && !name.includes('..')) {
    refuseSecret(name, 'sort');
    return { key: { parameter: name }, descending };
  }
  throw badRequest(`sort: unknown field "${name}"`, 'INVALID_FILTER');
}

/** Opaque to clients: base64url of the sort it belongs to and the store's cursor. */
export function encodeCursor(sort: string, c: DeviceCursor): string {
  return Buffer.from(JSON.stringify({ s: sort, k: c.key, i: c.id }), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string, sort: string): DeviceCursor {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { s?: unknown; k?: unknown; i?: unknown };
    if (v.s === sort && (typeof v.k === 'string' || typeof v.k === 'number') && typeof v.i === 'string') return { key: v.k, id: v.i };
  } catch {
    // fall through
  }
  throw badRequest('cursor: not a cursor of this sort (pass the same sort and filters as the page it came from)');
}

/** Summary fields a `fields` projection may name; anything with a dot is a parameter (or subtree). */
export const SUMMARY_FIELDS = ['id', 'deviceId', 'firstInform', 'lastInform', 'lastBoot', 'lastBootstrap', 'lastEvents', 'tags'] as const;
export type SummaryField = (typeof SUMMARY_FIELDS)[number];

export function parseFields(fields: string | undefined): { summary: Set<SummaryField> | null; parameters: string[] | undefined } {
  if (fields === undefined || fields.trim() === '') return { summary: null, parameters: undefined };
  const summary = new Set<SummaryField>(['id']);
  const parameters: string[] = [];
  for (const raw of fields.split(',')) {
    const f = raw.trim();
    if (f === '') continue;
    if ((SUMMARY_FIELDS as readonly string[]).includes(f)) summary.add(f as SummaryField);
    else if (isPath(f) && !f.includes('..')) parameters.push(f);
    else throw badRequest(`fields: unknown field "${f}"`);
  }
  if (parameters.length > 64) throw badRequest('fields: at most 64 parameters');
  return { summary, parameters: parameters.length > 0 ? parameters : undefined };
}
