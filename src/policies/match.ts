/**
 * A device filter (the NBI's filter language, parsed into the store's DeviceFilter) evaluated
 * in memory against one device in a session, with the semantics every store backend
 * implements (src/store/concerns/devices.ts, DeviceFilter). A parameter the session does not
 * know yet makes the answer `undefined`: the caller reads it and asks again.
 */
import type { DeviceIdStruct } from '../cwmp/types.js';
import type { CompareOp, DeviceFilter } from '../store/types.js';

export interface DeviceFacts {
  id: string;
  identity: DeviceIdStruct;
  tags: readonly string[];
  firstInform: number;
  lastInform: number;
  lastBoot: number | null;
  lastBootstrap: number | null;
  /** The data model's root ("Device." or "InternetGatewayDevice."), when known. */
  root?: string;
}

/** A parameter's value: undefined unknown, null absent. */
export type ValueOf = (path: string) => string | null | undefined;

const DECIMAL = /^-?\d+(\.\d+)?$/;

/** True, false, or undefined when a parameter it needs is unknown. */
export function matchesAll(filters: readonly DeviceFilter[], device: DeviceFacts, valueOf: ValueOf): boolean | undefined {
  let unknown = false;
  for (const f of filters) {
    const m = matches(f, device, valueOf);
    if (m === false) return false;
    if (m === undefined) unknown = true;
  }
  return unknown ? undefined : true;
}

export function matches(f: DeviceFilter, device: DeviceFacts, valueOf: ValueOf): boolean | undefined {
  switch (f.field) {
    case 'id':
      return f.op === 'in' ? f.values.includes(device.id) : compareText(device.id, f.op, f.value);
    case 'manufacturer':
    case 'oui':
    case 'productClass':
    case 'serialNumber':
      return compareText(device.identity[f.field], f.op, f.value);
    case 'firstInform':
    case 'lastInform':
    case 'lastBoot':
    case 'lastBootstrap': {
      const t = device[f.field];
      if (!('value' in f)) return f.op === 'exists' ? t !== null : t === null;
      if (t === null) return f.op === 'ne';
      return compareNumber(t, f.op, f.value);
    }
    case 'tag':
      switch (f.op) {
        case 'eq':
          return device.tags.includes(f.value);
        case 'ne':
          return !device.tags.includes(f.value);
        case 'prefix':
          return device.tags.some((t) => t.startsWith(f.value));
        case 'glob':
          return device.tags.some((t) => globMatch(t, f.value));
      }
      return false;
    case 'parameter': {
      const v = valueOf(f.path);
      if (v === undefined) return undefined;
      if (!('value' in f)) return f.op === 'exists' ? v !== null : v === null;
      if (v === null) return f.op === 'ne';
      return compareText(v, f.op, f.value);
    }
    case 'policy':
      // Compliance is the engine's output, not its input: policy filters refuse it (./validate.ts).
      return false;
  }
}

function compareText(have: string, op: CompareOp | 'prefix' | 'glob', want: string): boolean {
  switch (op) {
    case 'eq':
      return have === want;
    case 'ne':
      return have !== want;
    case 'prefix':
      return have.startsWith(want);
    case 'glob':
      return globMatch(have, want);
    default:
      if (DECIMAL.test(want)) return DECIMAL.test(have) && compareNumber(Number(have), op, Number(want));
      return compareOrder(have < want ? -1 : have > want ? 1 : 0, op);
  }
}

function compareNumber(have: number, op: CompareOp, want: number): boolean {
  return compareOrder(have < want ? -1 : have > want ? 1 : 0, op);
}

function compareOrder(c: number, op: CompareOp): boolean {
  switch (op) {
    case 'eq':
      return c === 0;
    case 'ne':
      return c !== 0;
    case 'lt':
      return c < 0;
    case 'le':
      return c <= 0;
    case 'gt':
      return c > 0;
    case 'ge':
      return c >= 0;
  }
}

/** `*` any run, `?` one character, everything else literal; case-sensitive. */
export function globMatch(text: string, pattern: string): boolean {
  const chars = [...text];
  const pat = [...pattern];
  let t = 0;
  let p = 0;
  let star = -1;
  let mark = 0;
  while (t < chars.length) {
    if (p < pat.length && (pat[p] === '?' || pat[p] === chars[t])) {
      t++;
      p++;
    } else if (p < pat.length && pat[p] === '*') {
      star = p++;
      mark = t;
    } else if (star >= 0) {
      p = star + 1;
      t = ++mark;
    } else return false;
  }
  while (p < pat.length && pat[p] === '*') p++;
  return p === pat.length;
}

/** The parameter paths a filter list reads. */
export function filterPaths(filters: readonly DeviceFilter[]): string[] {
  return filters.flatMap((f) => (f.field === 'parameter' ? [f.path] : []));
}
