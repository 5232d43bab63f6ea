/**
 * A policy as an operator writes it (JSON from the API or a file) → a PolicyDefinition, or
 * an error that says where: `position.field` names the member ("triggers[1]",
 * "declarations[0].path", "filter[2]") and, for text that failed to parse, `column` (1-based).
 * Nothing about a policy is accepted loosely: an unknown member is an error too.
 */
import type { Declaration, DeviceFilter, ObjectDeclaration, OnlyDeclaration, PolicyDefinition, PolicySchedule, PolicyTrigger, ValueSource } from '../store/types.js';
import { fail, obj, only, PolicyInputError, str } from './input.js';
import { refOf, tableOf } from './objects.js';
import { objectDeclaration, scheduleTrigger } from './validate-objects.js';
import { policyBackups } from './validate-backups.js';

export { PolicyInputError, type InputPosition } from './input.js';

export const TRIGGERS: readonly PolicyTrigger[] = ['0 BOOTSTRAP', '1 BOOT', '2 PERIODIC', '4 VALUE CHANGE', '6 CONNECTION REQUEST', '7 TRANSFER COMPLETE'];
const IDENTITY = ['id', 'manufacturer', 'oui', 'productClass', 'serialNumber'] as const;

export const POLICY_LIMITS = { declarations: 512, filters: 32, name: 200, description: 2000, path: 256, value: 4096, priority: 1_000_000 } as const;

/** Parses one filter expression; throws with a message (and, when it knows, a column). */
export type FilterParser = (expression: string) => DeviceFilter;

/** Compiles a script without running it: its syntax error with the position, or null. */
export type ScriptChecker = (source: string) => { message: string; line: number; column: number } | null;

const MAX_SCRIPT = 16_384;

function script(v: unknown, field: string, check: ScriptChecker | undefined): string {
  const text = str(v, field, MAX_SCRIPT);
  if (text.trim() === '') fail(field, 'must not be empty');
  // Without a checker (a caller with no sandbox) the script is taken as written; the API always checks.
  const bad = check?.(text) ?? null;
  if (bad !== null) throw new PolicyInputError(bad.message, { field, line: bad.line, column: bad.column });
  return text;
}

const PATH = /^[A-Za-z_][A-Za-z0-9_-]*(\.([A-Za-z_][A-Za-z0-9_-]*|\d+|\{i\}))*\.?$/;

function path(v: unknown, field: string, opts: { object?: boolean } = {}): string {
  const p = str(v, field, POLICY_LIMITS.path);
  if (!PATH.test(p) || p.includes('{i}')) {
    const bad = [...p].findIndex((c) => !/[A-Za-z0-9_.-]/.test(c));
    fail(field, `"${p}" is not a parameter path`, bad >= 0 ? bad + 1 : undefined);
  }
  if (p.endsWith('.') && opts.object !== true) fail(field, 'a parameter path, not an object (no trailing ".")');
  return p;
}

/** `parseFilter` turns a filter expression into the store's DeviceFilter (the NBI's language). */
export function parsePolicyDefinition(input: unknown, parseFilter: FilterParser, opts: { checkScript?: ScriptChecker } = {}): PolicyDefinition {
  const o = obj(input, 'body');
  only(o, ['name', 'description', 'filter', 'triggers', 'priority', 'enabled', 'declarations', 'script', 'backups'], '');
  const name = str(o.name, 'name', POLICY_LIMITS.name).trim();
  if (name === '') fail('name', 'must not be empty');
  const description = o.description === undefined ? undefined : str(o.description, 'description', POLICY_LIMITS.description);

  const filterList = o.filter === undefined ? [] : typeof o.filter === 'string' ? [o.filter] : o.filter;
  if (!Array.isArray(filterList)) fail('filter', 'must be a string or an array of strings');
  if (filterList.length > POLICY_LIMITS.filters) fail('filter', `at most ${POLICY_LIMITS.filters} expressions`);
  const filter: string[] = [];
  const filters: DeviceFilter[] = [];
  filterList.forEach((f, i) => {
    const field = `filter[${i}]`;
    const text = str(f, field, 2048);
    try {
      const parsed = parseFilter(text);
      // Compliance is what policies produce: a policy that depends on it could chase itself.
      if (parsed.field === 'policy') throw new Error('a policy cannot be filtered on compliance');
      filters.push(parsed);
    } catch (e) {
      const column = (e as { column?: unknown }).column;
      fail(field, e instanceof Error ? e.message : String(e), typeof column === 'number' ? column : undefined);
    }
    filter.push(text);
  });

  const triggerList = o.triggers ?? [];
  if (!Array.isArray(triggerList)) fail('triggers', 'must be an array');
  if (triggerList.length > 16) fail('triggers', 'at most 16');
  const triggers: (PolicyTrigger | PolicySchedule)[] = [];
  triggerList.forEach((t, i) => {
    if (typeof t === 'object' && t !== null && !Array.isArray(t)) {
      triggers.push(scheduleTrigger(t as Record<string, unknown>, `triggers[${i}]`));
      return;
    }
    const text = str(t, `triggers[${i}]`, 64);
    const known = TRIGGERS.find((k) => k === text.trim().toUpperCase());
    if (known === undefined) fail(`triggers[${i}]`, `unknown trigger "${text}" (one of: ${TRIGGERS.join(', ')})`);
    if (!triggers.includes(known)) triggers.push(known);
  });

  let priority = 0;
  if (o.priority !== undefined) {
    if (typeof o.priority !== 'number' || !Number.isInteger(o.priority) || Math.abs(o.priority) > POLICY_LIMITS.priority) {
      fail('priority', `must be an integer between -${POLICY_LIMITS.priority} and ${POLICY_LIMITS.priority}`);
    }
    priority = o.priority;
  }
  if (o.enabled !== undefined && typeof o.enabled !== 'boolean') fail('enabled', 'must be true or false');

  if (!Array.isArray(o.declarations)) fail('declarations', 'must be an array');
  if (o.declarations.length > POLICY_LIMITS.declarations) fail('declarations', `at most ${POLICY_LIMITS.declarations}`);
  const seen = new Set<string>();
  const declarations = o.declarations.map((d, i) => {
    const field = `declarations[${i}]`;
    if (typeof d === 'object' && d !== null && 'object' in d) {
      const decl = objectDeclaration(d as Record<string, unknown>, field);
      const key = 'only' in decl ? `o:${tableOf(decl.object)}` : `k:${refOf(tableOf(decl.object), decl.key)}`;
      if (seen.has(key)) fail(`${field}.${'only' in decl ? 'only' : 'key'}`, `"${decl.object}" with ${'only' in decl ? 'an "only" list' : 'these keys'} is declared twice`);
      seen.add(key);
      return decl;
    }
    const decl = declaration(d, field, opts.checkScript);
    const key = `${'notification' in decl ? 'n' : 'maxAge' in decl ? 'a' : 'v'}:${decl.path}`;
    if (seen.has(key)) fail(`${field}.path`, `"${decl.path}" is declared twice`);
    seen.add(key);
    return decl;
  });

  return {
    name,
    ...(description !== undefined ? { description } : {}),
    filter,
    filters,
    triggers,
    priority,
    enabled: o.enabled !== false,
    declarations,
    ...(o.script !== undefined ? { script: script(o.script, 'script', opts.checkScript) } : {}),
    ...(o.backups !== undefined ? { backups: policyBackups(o.backups, 'backups') } : {}),
  };
}

function declaration(input: unknown, field: string, check: ScriptChecker | undefined): Exclude<Declaration, ObjectDeclaration | OnlyDeclaration> {
  const d = obj(input, field);
  if ('maxAge' in d) {
    only(d, ['path', 'maxAge'], field);
    const p = path(d.path, `${field}.path`, { object: true });
    if (typeof d.maxAge !== 'number' || !Number.isInteger(d.maxAge) || d.maxAge < 0) fail(`${field}.maxAge`, 'must be a whole number of seconds');
    return { path: p, maxAge: d.maxAge };
  }
  if ('notification' in d) {
    only(d, ['path', 'notification'], field);
    const p = path(d.path, `${field}.path`);
    if (d.notification !== 0 && d.notification !== 1 && d.notification !== 2) fail(`${field}.notification`, 'must be 0, 1 or 2');
    return { path: p, notification: d.notification };
  }
  const p = path(d.path, `${field}.path`);
  const type = d.type === undefined ? undefined : str(d.type, `${field}.type`, 64);
  if (type !== undefined && !/^xsd:[A-Za-z]+$/.test(type)) fail(`${field}.type`, `"${type}" is not an xsd type`);
  const typed = type !== undefined ? { type } : {};
  if ('value' in d) {
    only(d, ['path', 'value', 'type'], field);
    const v = d.value;
    // Numbers and booleans are accepted as JSON and kept as the text CWMP sends.
    if (typeof v === 'number' || typeof v === 'boolean') return { path: p, value: String(v), ...typed };
    return { path: p, value: str(v, `${field}.value`, POLICY_LIMITS.value), ...typed };
  }
  if ('from' in d) {
    only(d, ['path', 'from', 'type'], field);
    return { path: p, from: source(d.from, `${field}.from`, check), ...typed };
  }
  fail(field, 'needs one of "value", "from", "maxAge" or "notification"');
}

function source(input: unknown, field: string, check: ScriptChecker | undefined): ValueSource {
  const s = obj(input, field);
  if ('script' in s) {
    only(s, ['script'], field);
    return { script: script(s.script, `${field}.script`, check) };
  }
  if ('parameter' in s) {
    only(s, ['parameter'], field);
    return { parameter: path(s.parameter, `${field}.parameter`) };
  }
  if ('identity' in s) {
    only(s, ['identity'], field);
    const id = IDENTITY.find((k) => k === s.identity);
    if (id === undefined) fail(`${field}.identity`, `one of ${IDENTITY.join(', ')}`);
    return { identity: id };
  }
  if ('secret' in s) {
    only(s, ['secret'], field);
    const sec = obj(s.secret, `${field}.secret`);
    only(sec, ['length'], `${field}.secret`);
    const length = sec.length ?? 16;
    if (typeof length !== 'number' || !Number.isInteger(length) || length < 8 || length > 64) fail(`${field}.secret.length`, 'between 8 and 64');
    return { secret: { length } };
  }
  fail(field, 'needs one of "parameter", "identity", "secret" or "script"');
}
