/**
 * GenieACS's `devices` collection, as `mongoexport` writes it, read into what Flotilla stores.
 *
 * A GenieACS device document keeps its identity under `_deviceId` (`_OUI`, `_ProductClass`,
 * `_SerialNumber`, `_Manufacturer`), its times as `_registered`, `_lastInform`, `_lastBoot`,
 * `_lastBootstrap`, its tags as `_tags`, and its tree as nested objects: every node carries
 * `_object`, `_writable` and `_timestamp`; a leaf also `_value` and `_type`. mongoexport
 * writes MongoDB Extended JSON, so a date is `{"$date": "…"}` or
 * `{"$date": {"$numberLong": "…"}}` and a number may be `{"$numberInt": "…"}`.
 *
 * Pure: documents in, devices out. The CLI (src/cli/import-genieacs.ts) does the I/O.
 */
import type { ParameterInfo, ParameterValue } from '../cwmp/types.js';
import type { DeviceIdStruct } from '../cwmp/types.js';
import { deviceIdOf } from './device-id.js';
import type { Store } from './types.js';

export interface ImportedDevice {
  id: string;
  identity: DeviceIdStruct;
  registered: number | null;
  lastInform: number | null;
  lastBoot: number | null;
  lastBootstrap: number | null;
  tags: string[];
  /** Objects (paths ending in ".") and leaves, parents before children. */
  names: ParameterInfo[];
  values: ParameterValue[];
  /** Roots left out: GenieACS's own (VirtualParameters, Tags, Events, DeviceID). */
  skippedRoots: string[];
}

export class ImportError extends Error {}

/** GenieACS roots that are not the device's tree: derived by GenieACS itself. */
const GENIEACS_ROOTS = new Set(['VirtualParameters', 'Tags', 'Events', 'DeviceID', 'Downloads', 'Reboot', 'FactoryReset']);
/** Deeper than any real data model; a document nested further is refused, not recursed into. */
const MAX_DEPTH = 32;
const NAME = /^[A-Za-z_][A-Za-z0-9_-]*$|^\d+$/;

type Doc = Record<string, unknown>;
const isDoc = (x: unknown): x is Doc => typeof x === 'object' && x !== null && !Array.isArray(x);

/** An Extended JSON date (or a plain ISO string or epoch number) as epoch ms; null if absent. */
export function extendedDate(x: unknown): number | null {
  if (x === undefined || x === null) return null;
  if (typeof x === 'number') return Number.isFinite(x) ? x : null;
  if (typeof x === 'string') {
    const t = Date.parse(x);
    return Number.isNaN(t) ? null : t;
  }
  if (isDoc(x) && '$date' in x) {
    const d = x.$date;
    if (isDoc(d) && typeof d.$numberLong === 'string') return extendedDate(Number(d.$numberLong));
    return extendedDate(d);
  }
  return null;
}

/** A leaf's `_value` as CWMP text. */
function valueText(x: unknown): string | null {
  if (typeof x === 'string') return x;
  if (typeof x === 'boolean') return x ? 'true' : 'false';
  if (typeof x === 'number') return Number.isFinite(x) ? String(x) : null;
  if (isDoc(x)) {
    for (const k of ['$numberInt', '$numberLong', '$numberDouble', '$numberDecimal']) if (typeof x[k] === 'string') return x[k] as string;
    if ('$date' in x) {
      const t = extendedDate(x);
      return t === null ? null : new Date(t).toISOString();
    }
  }
  return null;
}

function text(x: unknown): string {
  return typeof x === 'string' ? x : '';
}

/** One document; throws ImportError naming what is wrong. */
export function fromGenieacsDevice(doc: unknown): ImportedDevice {
  if (!isDoc(doc)) throw new ImportError('not a JSON object');
  const d = doc._deviceId;
  if (!isDoc(d)) throw new ImportError(`${String(doc._id ?? '?')}: no _deviceId`);
  const identity: DeviceIdStruct = {
    manufacturer: text(d._Manufacturer),
    oui: text(d._OUI),
    productClass: text(d._ProductClass),
    serialNumber: text(d._SerialNumber),
  };
  if (identity.oui === '' || identity.serialNumber === '') throw new ImportError(`${String(doc._id ?? '?')}: _deviceId needs _OUI and _SerialNumber`);
  const tags = Array.isArray(doc._tags) ? doc._tags.filter((t): t is string => typeof t === 'string' && t !== '') : [];
  const names: ParameterInfo[] = [];
  const values: ParameterValue[] = [];
  const skippedRoots: string[] = [];
  const walk = (node: Doc, path: string, depth: number): void => {
    if (depth > MAX_DEPTH) throw new ImportError(`${path}: nested deeper than ${MAX_DEPTH}`);
    for (const [key, child] of Object.entries(node)) {
      if (key.startsWith('_') || !isDoc(child)) continue;
      if (!NAME.test(key)) throw new ImportError(`${path}${key}: not a parameter name`);
      const writable = child._writable === true;
      if (child._object === true || (!('_value' in child) && !('_type' in child) && Object.keys(child).some((k) => !k.startsWith('_')))) {
        const p = `${path}${key}.`;
        names.push({ name: p, writable });
        walk(child, p, depth + 1);
      } else {
        const p = `${path}${key}`;
        const type = typeof child._type === 'string' && child._type !== '' ? child._type : 'xsd:string';
        names.push({ name: p, writable });
        if ('_value' in child) {
          const v = valueText(child._value);
          if (v !== null) values.push({ name: p, value: v, type });
        }
      }
    }
  };
  for (const [root, node] of Object.entries(doc)) {
    if (root.startsWith('_') || !isDoc(node)) continue;
    if (GENIEACS_ROOTS.has(root)) {
      skippedRoots.push(root);
      continue;
    }
    if (!NAME.test(root)) throw new ImportError(`${root}: not a parameter name`);
    names.push({ name: `${root}.`, writable: false });
    walk(node, `${root}.`, 1);
  }
  return {
    id: deviceIdOf(identity),
    identity,
    registered: extendedDate(doc._registered),
    lastInform: extendedDate(doc._lastInform),
    lastBoot: extendedDate(doc._lastBoot),
    lastBootstrap: extendedDate(doc._lastBootstrap),
    tags: [...new Set(tags)],
    names,
    values,
    skippedRoots,
  };
}

export type ImportOutcome = 'imported' | 'replaced' | 'exists';

const LOCK_OWNER = 'import:genieacs';

/**
 * Writes one device through the store's own session commit, so every backend and every
 * derived row (search indexes, ancestors) is what a real session would have left. GenieACS's
 * times become one commit each, oldest first (registered → first inform, `0 BOOTSTRAP`,
 * `1 BOOT`), and the tree lands with the last inform. The session history says "imported".
 */
export async function writeImported(
  store: Store,
  dev: ImportedDevice,
  opts: { now: number; replace: boolean },
): Promise<ImportOutcome> {
  const existing = (await store.listDevices({ filters: [{ field: 'id', op: 'eq', value: dev.id }], limit: 1 })).total > 0;
  if (existing && !opts.replace) return 'exists';
  if (existing) await store.deleteDevice(dev.id);
  const last = dev.lastInform ?? dev.registered ?? opts.now;
  const marks = new Map<number, string[]>();
  const mark = (at: number | null, code: string | null): void => {
    if (at === null || at > last) return;
    const codes = marks.get(at) ?? [];
    if (code !== null) codes.push(code);
    marks.set(at, codes);
  };
  mark(dev.registered, null);
  mark(dev.lastBootstrap, '0 BOOTSTRAP');
  mark(dev.lastBoot, '1 BOOT');
  mark(last, null);
  const times = [...marks.keys()].sort((a, b) => a - b);
  for (const at of times) {
    const lock = await store.openSession({ deviceId: dev.id, lockOwner: LOCK_OWNER, lockTtlMs: 60_000, now: opts.now });
    if (lock.lock !== 'acquired') throw new ImportError(`${dev.id}: in a session right now; stop the ACS before importing`);
    const events = marks.get(at)!.map((eventCode) => ({ eventCode, commandKey: '' }));
    const isLast = at === last;
    await store.commitSession({
      deviceId: dev.id,
      lockOwner: LOCK_OWNER,
      identity: dev.identity,
      informAt: at,
      events,
      parameterOps: isLast
        ? [
            ...dev.names
              .filter((n) => !n.name.slice(0, -1).includes('.') && n.name.endsWith('.'))
              .map((root) => ({ op: 'setNames' as const, at, root: root.name, nextLevel: false, params: dev.names.filter((n) => n.name.startsWith(root.name)) })),
            { op: 'setValues', at, touch: true, params: dev.values },
          ]
        : [],
      requestOutcomes: [],
      cpeMessages: [],
      log: { deviceId: dev.id, startedAt: at, endedAt: at, events, rpcs: [], cpeRequests: [], outcome: 'imported from a GenieACS export', linkedRequests: [] },
      releaseLock: true,
    });
  }
  if (dev.tags.length > 0) await store.setTags(dev.id, dev.tags, []);
  return existing ? 'replaced' : 'imported';
}

/** Read back and compare: the stored values of every imported leaf, and the tags. */
export async function verifyImported(store: Store, dev: ImportedDevice): Promise<string[]> {
  const got = await store.getDevice(dev.id);
  if (got === null) return [`${dev.id}: not in the store`];
  const problems: string[] = [];
  const stored = new Map(got.parameters.map((p) => [p.path, p]));
  for (const n of dev.names) if (!stored.has(n.name)) problems.push(`${dev.id}: ${n.name} missing`);
  for (const v of dev.values) {
    const s = stored.get(v.name);
    if (s === undefined) continue;
    // A blank secret is not stored as a value (a read of a password tells nothing).
    if (s.value !== v.value && !(v.value === '' && s.value === null)) problems.push(`${dev.id}: ${v.name} is ${JSON.stringify(s.value)}, not ${JSON.stringify(v.value)}`);
  }
  for (const t of dev.tags) if (!got.tags.includes(t)) problems.push(`${dev.id}: tag ${t} missing`);
  return problems;
}
