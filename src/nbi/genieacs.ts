/**
 * GenieACS's NBI shapes, where they overlap Flotilla's, translated to the native ones so an
 * integration written for GenieACS keeps working (docs/from-genieacs.md has the table):
 *
 *  - task bodies named by `name` instead of `type` (getParameterValues, setParameterValues,
 *    refreshObject, reboot, factoryReset, download, addObject, deleteObject);
 *  - `?connection_request` and `?timeout=<ms>` on POST /devices/{id}/tasks;
 *  - `GET /devices/?query=<MongoDB-style JSON>` with $eq $ne $gt $gte $lt $lte $regex $exists,
 *    $and, on `_id`, `_deviceId._*`, `_tags`, `_lastInform`, `_registered`, `_lastBoot`,
 *    `_lastBootstrap` and parameter paths (with or without `._value`).
 *
 * Answers stay in Flotilla's shapes. Only the request side is translated, here, before
 * validation; what cannot be translated faithfully is a 400 that says why (never a guess).
 */
import type { DeviceFilter, DeviceTextField, DeviceTimeField } from '../store/types.js';
import { badRequest } from './errors.js';

/** GenieACS task names and the Flotilla type each becomes. */
export const GENIEACS_TASK_NAMES: Readonly<Record<string, string>> = {
  getParameterValues: 'getParameterValues',
  setParameterValues: 'setParameterValues',
  refreshObject: 'refresh',
  reboot: 'reboot',
  factoryReset: 'factoryReset',
  download: 'download',
  addObject: 'addObject',
  deleteObject: 'deleteObject',
};

const asObjectPath = (p: unknown): unknown => (typeof p === 'string' && p !== '' && !p.endsWith('.') ? `${p}.` : p);

/**
 * A task body as sent: a native one (with `type`) comes back untouched; a GenieACS one (with
 * `name` and no `type`) comes back in the native shape, for the schema to validate as usual.
 */
export function fromGenieTaskBody(body: unknown): unknown {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return body;
  const b = body as Record<string, unknown>;
  if ('type' in b || !('name' in b)) return body;
  const { name, ...rest } = b;
  const type = typeof name === 'string' && Object.hasOwn(GENIEACS_TASK_NAMES, name) ? GENIEACS_TASK_NAMES[name]! : undefined;
  if (type === undefined) {
    throw badRequest(`task "name": ${JSON.stringify(name)} is not a GenieACS task Flotilla takes (${Object.keys(GENIEACS_TASK_NAMES).join(', ')}); native tasks use "type"`, 'INVALID_TASK');
  }
  switch (name) {
    case 'refreshObject': {
      // GenieACS names the object without the final dot; "" (everything) has no one root here.
      if (rest.objectName === '' || rest.objectName === undefined) {
        throw badRequest('refreshObject: give objectName (e.g. "Device." or "InternetGatewayDevice."); Flotilla does not guess the root', 'INVALID_TASK');
      }
      return { type, ...rest, objectName: asObjectPath(rest.objectName) };
    }
    case 'addObject':
    case 'deleteObject':
      return { type, ...rest, objectName: asObjectPath(rest.objectName) };
    case 'download': {
      if (rest.url === undefined) {
        throw badRequest(
          'download: give "url" (and "fileType"); GenieACS\'s "file" names a file in its own file server, which Flotilla does not emulate (see docs/from-genieacs.md)',
          'INVALID_TASK',
        );
      }
      const { fileName, ...others } = rest;
      // GenieACS's fileName is what the CPE saves the file as: TR-069's TargetFileName.
      return { type, ...others, ...(fileName !== undefined && others.targetFileName === undefined ? { targetFileName: fileName } : {}) };
    }
    default:
      return { type, ...rest };
  }
}

/** `?connection_request` and `?timeout=<ms>` as the native connectionRequest and wait (seconds). */
export function fromGenieTaskQuery<Q extends { connection_request?: boolean; timeout?: number; connectionRequest?: boolean; wait?: number }>(
  q: Q,
): { connectionRequest: boolean; wait: number | undefined } {
  return {
    connectionRequest: q.connectionRequest === true || q.connection_request === true,
    wait: q.wait ?? (q.timeout !== undefined ? q.timeout / 1000 : undefined),
  };
}

const IDENTITY: Record<string, DeviceTextField> = {
  _id: 'id',
  '_deviceId._Manufacturer': 'manufacturer',
  '_deviceId._OUI': 'oui',
  '_deviceId._ProductClass': 'productClass',
  '_deviceId._SerialNumber': 'serialNumber',
};
const TIMES: Record<string, DeviceTimeField> = {
  _lastInform: 'lastInform',
  _registered: 'firstInform',
  _lastBoot: 'lastBoot',
  _lastBootstrap: 'lastBootstrap',
};
const COMPARE: Record<string, 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge'> = { $eq: 'eq', $ne: 'ne', $lt: 'lt', $lte: 'le', $gt: 'gt', $gte: 'ge' };

const MAX_CONDITIONS = 32;

function invalid(message: string): Error {
  return badRequest(`query: ${message}`, 'INVALID_FILTER');
}

function scalarText(v: unknown, key: string): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  throw invalid(`"${key}": expected a string, number or boolean`);
}

function timeValue(v: unknown, key: string): number {
  const raw = v !== null && typeof v === 'object' && '$date' in v ? (v as { $date: unknown }).$date : v;
  if (typeof raw === 'number' && Number.isFinite(raw)) return raw;
  if (typeof raw === 'string') {
    const t = Date.parse(raw);
    if (!Number.isNaN(t)) return t;
  }
  throw invalid(`"${key}": expected a date (ISO 8601 or epoch ms)`);
}

/**
 * A regular expression as one of the store's text matches: a literal with ^/$ anchors is
 * eq or prefix; `.` and `.*` become glob `?` and `*`. Anything richer (classes, groups,
 * alternation, repetition, flags) has no faithful equivalent and is refused.
 */
export function regexToMatch(source: string): { op: 'eq' | 'prefix' | 'glob'; value: string } {
  let s = source;
  const anchoredStart = s.startsWith('^');
  if (anchoredStart) s = s.slice(1);
  let anchoredEnd = false;
  if (s.endsWith('$') && !s.endsWith('\\$')) {
    anchoredEnd = true;
    s = s.slice(0, -1);
  }
  let out = '';
  let wild = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\') {
      const next = s[i + 1];
      if (next === undefined || /[A-Za-z0-9]/.test(next)) throw invalid(`$regex /${source}/: escapes like \\${next ?? ''} are not supported (literal text, ^, $, . and .* are)`);
      if (next === '*' || next === '?') throw invalid(`$regex /${source}/: a literal ${next} cannot be matched (use a plain filter)`);
      out += next;
      i++;
    } else if (c === '.') {
      if (s[i + 1] === '*') {
        out += '*';
        i++;
      } else out += '?';
      wild = true;
    } else if ('[](){}|+?*^$'.includes(c)) {
      throw invalid(`$regex /${source}/: "${c}" is not supported (literal text, ^, $, . and .* are)`);
    } else out += c;
  }
  if (!wild && anchoredStart && anchoredEnd) return { op: 'eq', value: out };
  if (!wild && anchoredStart) return { op: 'prefix', value: out };
  return { op: 'glob', value: `${anchoredStart ? '' : '*'}${out}${anchoredEnd ? '' : '*'}` };
}

type Target = { kind: 'text'; field: DeviceTextField } | { kind: 'time'; field: DeviceTimeField } | { kind: 'tag' } | { kind: 'parameter'; path: string };

function targetOf(key: string): Target {
  if (Object.hasOwn(IDENTITY, key)) return { kind: 'text', field: IDENTITY[key]! };
  if (Object.hasOwn(TIMES, key)) return { kind: 'time', field: TIMES[key]! };
  if (key === '_tags') return { kind: 'tag' };
  if (key.startsWith('_') || key.startsWith('$')) throw invalid(`"${key}" is not supported (see docs/from-genieacs.md)`);
  const path = key.endsWith('._value') ? key.slice(0, -'._value'.length) : key;
  if (!path.includes('.') || path.includes('..') || /\s/.test(path) || path.endsWith('.') || /\._[A-Za-z]/.test(path)) {
    throw invalid(`"${key}" is not a parameter path`);
  }
  return { kind: 'parameter', path };
}

function condition(t: Target, op: string, v: unknown, key: string): DeviceFilter {
  if (op === '$exists') {
    if (typeof v !== 'boolean') throw invalid(`"${key}": $exists takes true or false`);
    if (t.kind === 'time') return { field: t.field, op: v ? 'exists' : 'notExists' };
    if (t.kind === 'parameter') return { field: 'parameter', path: t.path, op: v ? 'exists' : 'notExists' };
    throw invalid(`"${key}": $exists applies to parameters and times`);
  }
  if (op === '$regex') {
    if (typeof v !== 'string' || v.length > 1024) throw invalid(`"${key}": $regex takes a string`);
    const m = regexToMatch(v);
    if (t.kind === 'text') return { field: t.field, ...m };
    if (t.kind === 'tag') return { field: 'tag', ...m };
    if (t.kind === 'parameter') return { field: 'parameter', path: t.path, ...m };
    throw invalid(`"${key}": $regex does not apply to a time`);
  }
  const cmp = COMPARE[op];
  if (cmp === undefined) throw invalid(`"${key}": operator ${op} is not supported ($eq $ne $gt $gte $lt $lte $regex $exists are)`);
  if (t.kind === 'time') return { field: t.field, op: cmp, value: timeValue(v, key) };
  if (t.kind === 'tag') {
    if (cmp !== 'eq' && cmp !== 'ne') throw invalid(`"${key}": tags take $eq, $ne or $regex`);
    return { field: 'tag', op: cmp, value: scalarText(v, key) };
  }
  if (t.kind === 'text') return { field: t.field, op: cmp, value: scalarText(v, key) };
  return { field: 'parameter', path: t.path, op: cmp, value: scalarText(v, key) };
}

function collect(q: unknown, out: DeviceFilter[], depth: number): void {
  if (q === null || typeof q !== 'object' || Array.isArray(q)) throw invalid('expected a JSON object');
  if (depth > 4) throw invalid('nested too deeply');
  for (const [key, v] of Object.entries(q as Record<string, unknown>)) {
    if (key === '$and') {
      if (!Array.isArray(v)) throw invalid('$and takes an array');
      for (const item of v) collect(item, out, depth + 1);
      continue;
    }
    if (key === '$or' || key === '$nor' || key === '$not') throw invalid(`${key} is not supported: every condition must hold (AND)`);
    const t = targetOf(key);
    const isOperators = v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length > 0 && Object.keys(v).every((k) => k.startsWith('$'));
    if (isOperators && !('$date' in (v as object))) {
      const ops = v as Record<string, unknown>;
      if ('$options' in ops) throw invalid(`"${key}": $options (regex flags) are not supported`);
      for (const [op, arg] of Object.entries(ops)) out.push(condition(t, op, arg, key));
    } else {
      out.push(condition(t, '$eq', v, key));
    }
    if (out.length > MAX_CONDITIONS) throw invalid(`at most ${MAX_CONDITIONS} conditions`);
  }
}

/** `?query=` of GenieACS's GET /devices/ as the store's filters (all hold). */
export function fromGenieQuery(json: string): DeviceFilter[] {
  if (json.length > 8192) throw invalid('too long');
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw invalid('not valid JSON');
  }
  const out: DeviceFilter[] = [];
  collect(parsed, out, 0);
  return out;
}
