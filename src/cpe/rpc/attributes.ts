/**
 * GetParameterAttributes (A.3.2.5) and SetParameterAttributes (A.3.2.4).
 */
import type { GetParameterAttributes, ParameterAttribute, SetParameterAttributes } from '../../cwmp/types.js';
import type { Attributes, DeviceOps, Ref } from '../model/ops.js';
import type { TParam } from '../model/template.js';
import type { RpcOutcome } from '../types.js';
import { failed, ok } from './faults.js';
import { parametersOf } from './walk.js';

export function getParameterAttributes(ops: DeviceOps, req: GetParameterAttributes): RpcOutcome {
  const list: ParameterAttribute[] = [];
  for (const name of req.parameterNames) {
    const params = parametersOf(ops, name, { wildcards: true });
    if (!params) return failed(9005);
    for (const p of params) {
      const a = ops.attributesOf(p);
      list.push({ name: p.path, notification: a.notification, accessList: [...a.accessList] });
    }
  }
  return ok({ method: 'GetParameterAttributesResponse', parameterList: list });
}

/** Active (2) and active lightweight (5, 6) notification: what a canDeny parameter may refuse. */
const ACTIVE: ReadonlySet<number> = new Set([2, 5, 6]);

/**
 * Atomic like SetParameterValues: all entries are checked first. A partial path applies to
 * every parameter below it. Active notification on a parameter the model marks canDeny
 * (counters, clocks: they would start a session on every tick) is refused with 9009, also
 * when it comes through a partial path. A forceEnabled parameter stays active whatever is
 * asked (the BBF models say the ACS cannot turn it off); the request is not refused for it.
 */
export function setParameterAttributes(ops: DeviceOps, req: SetParameterAttributes): RpcOutcome {
  const updates = new Map<string, [Ref<TParam>, Attributes]>();
  for (const e of req.parameterList) {
    if (e.notificationChange && !(Number.isInteger(e.notification) && e.notification >= 0 && e.notification <= 6)) return failed(9003);
    const params = parametersOf(ops, e.name);
    if (!params) return failed(9005);
    for (const p of params) {
      if (e.notificationChange && ACTIVE.has(e.notification) && p.node.activeNotify === 'canDeny') return failed(9009);
      // Entries apply in order, so a later one sees an earlier one's change.
      const prev = updates.get(p.path)?.[1] ?? ops.attributesOf(p);
      const forced = p.node.activeNotify === 'forceEnabled';
      updates.set(p.path, [
        p,
        {
          notification: e.notificationChange && !forced ? e.notification : prev.notification,
          accessList: e.accessListChange ? [...e.accessList] : prev.accessList,
        },
      ]);
    }
  }
  for (const [p, a] of updates.values()) ops.setAttributes(p, a);
  return ok({ method: 'SetParameterAttributesResponse' });
}
