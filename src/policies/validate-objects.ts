/**
 * The parser's part for object declarations (./objects.ts): a table written "X.Y.{i}", keys
 * and values named relative to an instance, literal values (numbers and booleans kept as the
 * text CWMP sends). Errors name the member and, in a path, the column of the bad character.
 * Also schedule triggers (./schedule.ts): a cron expression croner accepts, a window
 * "HH:MM-HH:MM", a zone ("device" or an IANA name).
 */
import { checkCron, isTimeZone } from '../campaigns/definition.js';
import type { ObjectDeclaration, OnlyDeclaration, PolicySchedule } from '../store/types.js';
import { fail, obj, only, str } from './input.js';
import { windowMinutes } from './schedule.js';

export const OBJECT_LIMITS = { path: 256, value: 4096, names: 64, only: 256 } as const;

/** A table ending in ".{i}": no other placeholder, instance numbers allowed above it. */
const TABLE = /^[A-Za-z_][A-Za-z0-9_-]*(\.([A-Za-z_][A-Za-z0-9_-]*|\d+))*\.\{i\}\.?$/;
/** A parameter under an instance: "ExternalPort", "Stats.BytesSent". */
const RELATIVE = /^[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z_][A-Za-z0-9_-]*|\.\d+)*$/;

export function objectDeclaration(d: Record<string, unknown>, field: string): ObjectDeclaration | OnlyDeclaration {
  const object = table(d.object, `${field}.object`);
  if ('only' in d) {
    only(d, ['object', 'only'], field);
    if (!Array.isArray(d.only)) fail(`${field}.only`, 'must be an array of keys (objects of parameter values)');
    if (d.only.length > OBJECT_LIMITS.only) fail(`${field}.only`, `at most ${OBJECT_LIMITS.only} entries`);
    return { object, only: d.only.map((k, i) => names(k, `${field}.only[${i}]`, { empty: false })) };
  }
  if (!('key' in d)) fail(field, 'an object declaration needs "key" (exactly one instance with these keys) or "only" (no instance but these)');
  only(d, ['object', 'key', 'values'], field);
  const key = names(d.key, `${field}.key`, { empty: false });
  if (d.values === undefined) return { object, key };
  const values = names(d.values, `${field}.values`, { empty: true });
  for (const k of Object.keys(values)) if (Object.hasOwn(key, k)) fail(`${field}.values.${k}`, 'is a key already (a key is set with the key\'s value)');
  return { object, key, values };
}

function table(v: unknown, field: string): string {
  const p = str(v, field, OBJECT_LIMITS.path);
  if (!TABLE.test(p)) {
    const bad = [...p].findIndex((c) => !/[A-Za-z0-9_.{}-]/.test(c));
    const extra = p.indexOf('{i}') >= 0 && p.indexOf('{i}') < p.lastIndexOf('{i}') ? p.indexOf('{i}') : -1;
    const column = bad >= 0 ? bad + 1 : extra >= 0 ? extra + 1 : undefined;
    fail(field, `"${p}" is not a table: write it "X.Y.{i}" (one {i}, last; instance numbers allowed above it)`, column);
  }
  return p.endsWith('.') ? p.slice(0, -1) : p;
}

/** Relative parameter names → text values. */
function names(v: unknown, field: string, opts: { empty: boolean }): Record<string, string> {
  const o = obj(v, field);
  const keys = Object.keys(o);
  if (keys.length === 0 && !opts.empty) fail(field, 'needs at least one parameter');
  if (keys.length > OBJECT_LIMITS.names) fail(field, `at most ${OBJECT_LIMITS.names} parameters`);
  const out: [string, string][] = [];
  for (const k of keys) {
    const at = `${field}.${k}`;
    if (k.length > OBJECT_LIMITS.path || !RELATIVE.test(k)) {
      const bad = [...k].findIndex((c) => !/[A-Za-z0-9_.-]/.test(c));
      fail(at, `"${k.slice(0, 80)}" is not a parameter name relative to the instance`, bad >= 0 ? bad + 1 : undefined);
    }
    const value = o[k];
    out.push([k, typeof value === 'number' && Number.isFinite(value) ? String(value) : typeof value === 'boolean' ? String(value) : str(value, at, OBJECT_LIMITS.value)]);
  }
  // fromEntries defines own members: a "__proto__" name stays a name.
  return Object.fromEntries(out);
}

export function scheduleTrigger(t: Record<string, unknown>, field: string): PolicySchedule {
  only(t, ['cron', 'window', 'timeZone'], field);
  const cron = str(t.cron, `${field}.cron`, 120).trim();
  try {
    checkCron(cron, `${field}.cron`);
  } catch (e) {
    fail(`${field}.cron`, e instanceof Error ? e.message.replace(/^[^:]*: /, '') : 'not a cron expression');
  }
  const out: PolicySchedule = { cron };
  if (t.window !== undefined) {
    const window = str(t.window, `${field}.window`, 32).trim();
    if (windowMinutes(window) === null) fail(`${field}.window`, `"${window}" is not a window: write it "HH:MM-HH:MM" (24-hour clock)`);
    out.window = window;
  }
  if (t.timeZone !== undefined) {
    const zone = str(t.timeZone, `${field}.timeZone`, 64).trim();
    if (zone !== 'device' && !isTimeZone(zone)) fail(`${field}.timeZone`, `"${zone}" is not a time zone: "device" (the device's own) or an IANA name such as "Europe/Paris"`);
    out.timeZone = zone;
  }
  return out;
}
