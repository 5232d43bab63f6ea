/**
 * AddObject (A.3.2.6) and DeleteObject (A.3.2.7).
 */
import type { AddObject, DeleteObject } from '../../cwmp/types.js';
import type { DeviceOps, Ref } from '../model/ops.js';
import type { TObject, TParam } from '../model/template.js';
import { aliasOf, declares, expand, hasSelectors } from './walk.js';
import type { RpcOutcome } from '../types.js';
import { failed, ok } from './faults.js';

/**
 * ObjectName must be a table's path ending in "." ("Device.NAT.PortMapping."), else 9005.
 * A read-only table (the device manages its instances itself) answers 9001 request denied.
 * The new instance gets the highest number ever used in that table + 1 (never reused, also
 * after DeleteObject, until FactoryReset) and the template's defaults.
 */
export function addObject(ops: DeviceOps, req: AddObject): RpcOutcome {
  if (!req.objectName.endsWith('.')) return failed(9005);
  // CWMP 1.4 (A.3.2.6): "Table.[alias]." adds an instance with that Alias, where the device
  // declares alias-based addressing; an alias in use is refused.
  const named = /^(.*\.)\[([^\]]+)\]\.$/.exec(req.objectName);
  const tablePath = named === null ? req.objectName : named[1]!;
  if (named !== null && !declares(ops, 'AliasBasedAddressing')) return failed(9005);
  const found = hasSelectors(tablePath) ? expand(ops, tablePath, { wildcards: false }) : [ops.lookup(tablePath)].filter((r): r is Ref => r !== undefined);
  const ref = found?.length === 1 ? found[0] : undefined;
  if (ref?.node.kind !== 'object' || !ref.node.table) return failed(9005);
  if (!ref.node.writable) return failed(9001);
  if (named !== null && ops.children(ref as Ref<TObject>).some((i) => aliasOf(ops, i) === named[2])) return failed(9003);
  const instanceNumber = ops.addInstance(ref as Ref<TObject>);
  // TR-181: an instance the Controller did not name gets an Alias of the Agent's, "cpe-" prefixed.
  const aliasRef = ops.lookup(`${ref.path}${instanceNumber}.Alias`);
  if (aliasRef?.node.kind === 'param') ops.commitValues([[aliasRef as Ref<TParam>, named !== null ? named[2]! : `cpe-${instanceNumber}`]]);
  ops.setParameterKey(req.parameterKey);
  return ok({ method: 'AddObjectResponse', instanceNumber, status: 0 });
}

/** ObjectName must be an existing instance, "X.Y.3." (9005 otherwise); 9001 if the table is read-only. */
export function deleteObject(ops: DeviceOps, req: DeleteObject): RpcOutcome {
  let name = req.objectName;
  if (hasSelectors(name) && !name.includes('*')) {
    // "Table.[alias].": the instance with that Alias (CWMP 1.4).
    const found = expand(ops, name, { wildcards: false });
    if (found?.length !== 1) return failed(9005);
    name = found[0]!.path;
  }
  const m = /^(.*\.)(\d+)\.$/.exec(name);
  if (!m) return failed(9005);
  const table = ops.lookup(m[1]!);
  const ref = ops.lookup(name);
  if (table?.node.kind !== 'object' || !table.node.table || ref?.node.kind !== 'object') return failed(9005);
  if (!ref.node.writable) return failed(9001);
  ops.deleteInstance(ref as Ref<TObject>);
  ops.setParameterKey(req.parameterKey);
  return ok({ method: 'DeleteObjectResponse', status: 0 });
}
