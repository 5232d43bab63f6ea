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
import { descendants, parametersOf, resolveName } from './walk.js';

const info = (r: Ref): ParameterInfo => ({ name: r.path, writable: r.node.writable });

/**
 * ParameterPath "" with NextLevel true lists the root object only; a partial path with
 * NextLevel false lists the object itself and everything below; NextLevel true lists its
 * direct children. NextLevel true on a complete parameter path is invalid (9003).
 */
export function getParameterNames(ops: DeviceOps, req: GetParameterNames): RpcOutcome {
  const ref = resolveName(ops, req.parameterPath);
  if (!ref) return failed(9005);
  let list: ParameterInfo[];
  if (ref.node.kind === 'param') {
    if (req.nextLevel) return failed(9003);
    list = [info(ref)];
  } else if (req.parameterPath === '' && req.nextLevel) {
    list = [info(ref)];
  } else if (req.nextLevel) {
    list = ops.children(ref as Ref<TObject>).map(info);
  } else {
    list = [info(ref)];
    for (const d of descendants(ops, ref as Ref<TObject>)) list.push(info(d));
  }
  return ok({ method: 'GetParameterNamesResponse', parameterList: list });
}

/** Any name that matches nothing fails the whole request with 9005. */
export function getParameterValues(ops: DeviceOps, req: GetParameterValues): RpcOutcome {
  const list: ParameterValue[] = [];
  for (const name of req.parameterNames) {
    const params = parametersOf(ops, name);
    if (!params) return failed(9005);
    for (const p of params) list.push({ name: p.path, value: p.node.hidden ? '' : ops.valueOf(p), type: p.node.type });
  }
  return ok({ method: 'GetParameterValuesResponse', parameterList: list });
}

/** 0 when `value` may be written to `p`, else the per-parameter fault code. */
function validate(p: TParam, declaredType: string, value: string): number {
  if (!p.writable) return 9008;
  if (!declaredTypeCompatible(declaredType, p.type)) return 9006;
  return checkValue(p.type, value, p);
}

const DIAG_STATE = 'DiagnosticsState';

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
  for (const pv of req.parameterList) {
    const ref = pv.name.endsWith('.') ? undefined : ops.lookup(pv.name);
    if (ref?.node.kind !== 'param') {
      faults.push(spvFault(pv.name, 9005));
      continue;
    }
    const code = validate(ref.node, pv.type, pv.value);
    if (code) faults.push(spvFault(pv.name, code));
    else writes.push([ref as Ref<TParam>, pv.value]);
  }
  if (faults.length) return failed(9003, faults);

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
