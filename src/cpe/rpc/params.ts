/**
 * GetParameterNames (A.3.2.3), GetParameterValues (A.3.2.2), SetParameterValues (A.3.2.1).
 */
import type {
  GetParameterNames,
  GetParameterValues,
  ParameterInfo,
  ParameterValue,
  SetParameterValues,
  SetParameterValuesFault,
} from '../../cwmp/types.js';
import { checkValue, declaredTypeCompatible } from '../../datamodel/values.js';
import type { DeviceOps, Ref } from '../model/ops.js';
import type { TObject, TParam } from '../model/template.js';
import type { CpeEffect, RpcOutcome } from '../types.js';
import { failed, ok, spvFault } from './faults.js';
import { aliasOf, declares, descendants, expand, hasSelectors, parametersOf, resolveName } from './walk.js';

const info = (r: Ref): ParameterInfo => ({ name: r.path, writable: r.node.writable });

/**
 * ParameterPath "" with NextLevel true lists the root object only; a partial path with
 * NextLevel false lists the object itself and everything below; NextLevel true lists its
 * direct children. NextLevel true on a complete parameter path is invalid (9003).
 */
export function getParameterNames(ops: DeviceOps, req: GetParameterNames): RpcOutcome {
  if (hasSelectors(req.parameterPath)) {
    // CWMP 1.4: every object a wildcard or alias path stands for, each listed as below.
    const refs = expand(ops, req.parameterPath, { wildcards: true });
    if (refs === undefined || (refs.length === 0 && !req.parameterPath.includes('*'))) return failed(9005);
    const list: ParameterInfo[] = [];
    for (const ref of refs) {
      const one = namesOf(ops, ref, req.nextLevel, false);
      if (one === null) return failed(9003);
      list.push(...one);
    }
    return ok({ method: 'GetParameterNamesResponse', parameterList: list });
  }
  const ref = resolveName(ops, req.parameterPath);
  if (!ref) return failed(9005);
  const list = namesOf(ops, ref, req.nextLevel, req.parameterPath === '');
  if (list === null) return failed(9003);
  // A shared listing is frozen: nothing downstream writes an answer's list, and a write would throw.
  return ok({ method: 'GetParameterNamesResponse', parameterList: list as ParameterInfo[] });
}

/** One node's GetParameterNames list; null for NextLevel true on a parameter (9003). */
function namesOf(ops: DeviceOps, ref: Ref, nextLevel: boolean, top: boolean): readonly ParameterInfo[] | null {
  let list: ParameterInfo[];
  if (ref.node.kind === 'param') {
    if (nextLevel) return null;
    list = [info(ref)];
  } else if (top && nextLevel) {
    list = [info(ref)];
  } else if (nextLevel) {
    list = ops.children(ref as Ref<TObject>).map(info);
  } else {
    const walked = descendants(ops, ref as Ref<TObject>);
    // A walk every pristine device of the template shares (frozen) lists the same names:
    // built once, frozen, so its answer is also serialised once (buildEnvelopePieces).
    if (Object.isFrozen(walked)) return SHARED_LISTINGS.get(walked) ?? shareListing(walked, ref);
    list = [info(ref)];
    for (const d of walked) list.push(info(d));
  }
  return list;
}

const SHARED_LISTINGS = new WeakMap<readonly Ref[], readonly ParameterInfo[]>();

function shareListing(walked: readonly Ref[], ref: Ref): readonly ParameterInfo[] {
  const list = Object.freeze([ref, ...walked].map((r) => Object.freeze(info(r))));
  SHARED_LISTINGS.set(walked, list);
  return list;
}

/** Any name that matches nothing fails the whole request with 9005. */
export function getParameterValues(ops: DeviceOps, req: GetParameterValues): RpcOutcome {
  if (req.parameterNames.length === 1) {
    const whole = subtreeValues(ops, req.parameterNames[0]!);
    if (whole !== null) return ok({ method: 'GetParameterValuesResponse', parameterList: whole });
  }
  const list: ParameterValue[] = [];
  for (const name of req.parameterNames) {
    const params = parametersOf(ops, name, { wildcards: true });
    if (!params) return failed(9005);
    for (const p of params) list.push(valueStruct(p, p.node.hidden ? '' : ops.valueOf(p)));
  }
  return ok({ method: 'GetParameterValuesResponse', parameterList: list });
}

/**
 * The parameters of a template object's subtree, each with the struct of its template value (null
 * where the value is worked out per device: \${serialNumber} and the like), and their positions.
 */
interface SubtreeValues {
  readonly params: readonly Ref<TParam>[];
  readonly structs: readonly (ParameterValue | null)[];
  /** Positions whose value is worked out per device. */
  readonly computed: readonly number[];
  readonly position: ReadonlyMap<string, number>;
}

const SUBTREE_VALUES = new WeakMap<readonly Ref[], SubtreeValues>();

/**
 * A read of a whole object on a device that still has the template's shape, answered from the
 * subtree's structs: the ones per device worked out, the device's own values (what it was set
 * to, its overrides) put in their place. Every bootstrap reads the whole tree: asking each of
 * 5,000 parameters its value (map lookups, a struct lookup) was most of the simulator's CPU per
 * discovery. Null where the ordinary read applies: a device model that cannot say which values
 * are its own, selectors, a parameter, a tree of another shape.
 */
function subtreeValues(ops: DeviceOps, name: string): ParameterValue[] | null {
  if (ops.ownValuePaths === undefined || hasSelectors(name) || !ops.pristine()) return null;
  const ref = resolveName(ops, name);
  if (ref === undefined || ref.node.kind !== 'object') return null;
  const walked = descendants(ops, ref as Ref<TObject>);
  if (!Object.isFrozen(walked)) return null;
  let sub = SUBTREE_VALUES.get(walked);
  if (sub === undefined) SUBTREE_VALUES.set(walked, (sub = subtreeOf(walked)));
  const list = sub.structs.slice() as ParameterValue[];
  for (const k of sub.computed) list[k] = valueStruct(sub.params[k]!, ops.valueOf(sub.params[k]!));
  for (const path of ops.ownValuePaths()) {
    const k = sub.position.get(path);
    if (k === undefined) continue;
    const p = sub.params[k]!;
    list[k] = valueStruct(p, p.node.hidden ? '' : ops.valueOf(p));
  }
  return list;
}

function subtreeOf(walked: readonly Ref[]): SubtreeValues {
  const params: Ref<TParam>[] = [];
  const structs: (ParameterValue | null)[] = [];
  const computed: number[] = [];
  const position = new Map<string, number>();
  for (const r of walked) {
    if (r.node.kind !== 'param') continue;
    const p = r as Ref<TParam>;
    position.set(p.path, params.length);
    if (p.node.expand && !p.node.hidden) {
      computed.push(params.length);
      structs.push(null);
    } else {
      const s = valueStruct(p, p.node.hidden ? '' : p.node.value);
      structs.push(Object.isFrozen(s) ? s : Object.freeze(s));
    }
    params.push(p);
  }
  return { params, structs, computed, position };
}

/**
 * A template parameter's struct (frozen, one per shared Ref), for every device whose value is
 * the one it was first made with: most of a model's parameters hold the template's value on
 * every device, so a GetParameterValues of the whole tree is mostly shared structs, whose text
 * buildEnvelopePieces writes once (src/cwmp/envelope.ts). A value of the device's own (its
 * serial number, a MAC address worked out from it) gets a struct of its own.
 */
const SHARED_VALUES = new WeakMap<Ref, ParameterValue>();

function valueStruct(p: Ref<TParam>, value: string): ParameterValue {
  const shared = SHARED_VALUES.get(p);
  if (shared !== undefined && shared.value === value) return shared;
  const made: ParameterValue = { name: p.path, value, type: p.node.type };
  // Only a template's Refs are frozen and shared: a device's own (an added instance) would
  // hold its struct alive for nothing.
  if (shared === undefined && Object.isFrozen(p)) SHARED_VALUES.set(p, Object.freeze(made));
  return made;
}

/** 0 when `value` may be written to `p`, else the per-parameter fault code. */
function validate(p: TParam, declaredType: string, value: string): number {
  if (!p.writable) return 9008;
  if (!declaredTypeCompatible(declaredType, p.type)) return 9006;
  return checkValue(p.type, value, p);
}

const DIAG_STATE = 'DiagnosticsState';

/**
 * "X.Table.[web].Param" where no instance of X.Table has Alias "web" and the device
 * auto-creates instances: the writable table, the alias, the rest of the path, and the
 * parameter node of the new instance (for the checks). Only the last alias segment may be
 * new, after a path that exists.
 */
function autoCreation(ops: DeviceOps, name: string): { table: Ref<TObject>; alias: string; rest: string; param: TParam } | null {
  if (!declares(ops, 'AliasBasedAddressing') || !declares(ops, 'AutoCreateInstances')) return null;
  const m = /^(.*\.)\[([^\]]+)\]\.([^[\]*]+)$/.exec(name);
  if (m === null) return null;
  const tablePath = m[1]!;
  const found = hasSelectors(tablePath) ? expand(ops, tablePath, { wildcards: false }) : [ops.lookup(tablePath)].filter((r): r is Ref => r !== undefined);
  if (found === undefined || found.length !== 1) return null;
  const table = found[0]!;
  if (table.node.kind !== 'object' || !table.node.table || !table.node.writable) return null;
  if (ops.children(table as Ref<TObject>).some((i) => aliasOf(ops, i) === m[2])) return null;
  // The new instance's parameter, looked up on the table's template.
  let node = table.node.instanceTemplate as TObject | TParam | undefined;
  for (const seg of m[3]!.split('.')) node = node?.kind === 'object' ? (node.children.get(seg) as TObject | TParam | undefined) : undefined;
  if (node?.kind !== 'param') return null;
  return { table: table as Ref<TObject>, alias: m[2]!, rest: m[3]!, param: node };
}

/**
 * Atomic: every entry is checked before anything is written; any failure answers fault
 * 9003 with one SetParameterValuesFault per failing parameter and leaves the device as it
 * was. On success ParameterKey takes the request's value and the status is 0 (applied).
 */
export function setParameterValues(ops: DeviceOps, req: SetParameterValues): RpcOutcome {
  const seen = new Set<string>();
  for (const pv of req.parameterList) {
    if (seen.has(pv.name)) return failed(9003); // A.3.2.1: a name must not appear twice
    seen.add(pv.name);
  }
  const faults: SetParameterValuesFault[] = [];
  const writes: [Ref<TParam>, string][] = [];
  // Alias paths (CWMP 1.4) naming no instance yet: created with that Alias when the device
  // auto-creates (AutoCreateInstances), only once every entry has been checked.
  const creations: { pv: (typeof req.parameterList)[number]; table: Ref<TObject>; alias: string; rest: string }[] = [];
  for (const pv of req.parameterList) {
    let ref: Ref | undefined;
    if (pv.name.endsWith('.') || pv.name.includes('*')) ref = undefined;
    else if (hasSelectors(pv.name)) {
      const found = expand(ops, pv.name, { wildcards: false });
      if (found !== undefined && found.length === 1) ref = found[0];
      else if (found !== undefined && found.length === 0) {
        const create = autoCreation(ops, pv.name);
        if (create !== null) {
          const code = validate(create.param, pv.type, pv.value);
          if (code) faults.push(spvFault(pv.name, code));
          else creations.push({ pv, table: create.table, alias: create.alias, rest: create.rest });
          continue;
        }
      }
    } else ref = ops.lookup(pv.name);
    if (ref?.node.kind !== 'param') {
      faults.push(spvFault(pv.name, 9005));
      continue;
    }
    const code = validate(ref.node, pv.type, pv.value);
    if (code) faults.push(spvFault(pv.name, code));
    else writes.push([ref as Ref<TParam>, pv.value]);
  }
  if (faults.length) return failed(9003, faults);
  const made = new Map<string, string>();
  for (const c of creations) {
    const key = `${c.table.path}[${c.alias}]`;
    let base = made.get(key);
    if (base === undefined) {
      base = `${c.table.path}${ops.addInstance(c.table)}.`;
      made.set(key, base);
      const aliasRef = ops.lookup(`${base}Alias`);
      if (aliasRef?.node.kind === 'param') ops.commitValues([[aliasRef as Ref<TParam>, c.alias]]);
    }
    const ref = ops.lookup(base + c.rest);
    if (ref?.node.kind === 'param') writes.push([ref as Ref<TParam>, c.pv.value]);
  }

  const effects: CpeEffect[] = [];
  const root = ops.template.root;
  // TR-143: changing a test's parameters without requesting it resets its DiagnosticsState to None.
  const requested = new Set<string>();
  const touched = new Set<string>();
  for (const [ref, value] of writes) {
    const obj = ref.path.slice(0, ref.path.lastIndexOf('.') + 1);
    if (ref.node.name === DIAG_STATE) {
      if (value === 'Requested') {
        requested.add(obj);
        effects.push({ kind: 'diagnostics', objectPath: obj });
      }
    } else touched.add(obj);
  }
  for (const obj of touched) {
    const state = ops.lookup(obj + DIAG_STATE);
    if (state?.node.kind === 'param' && !seen.has(state.path) && !requested.has(obj)) writes.push([state as Ref<TParam>, 'None']);
  }
  ops.commitValues(writes);
  ops.setParameterKey(req.parameterKey);
  if (req.parameterList.some((pv) => pv.name.startsWith(`${root}ManagementServer.`))) effects.push({ kind: 'managementServerChanged' });
  return ok({ method: 'SetParameterValuesResponse', status: 0 }, effects);
}
