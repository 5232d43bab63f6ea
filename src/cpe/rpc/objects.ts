/**
 * AddObject (A.3.2.6) and DeleteObject (A.3.2.7).
 */
import type { AddObject, DeleteObject } from '../../cwmp/types.js';
import type { DeviceOps, Ref } from '../model/ops.js';
import type { TObject } from '../model/template.js';
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
  const ref = ops.lookup(req.objectName);
  if (ref?.node.kind !== 'object' || !ref.node.table) return failed(9005);
  if (!ref.node.writable) return failed(9001);
  const instanceNumber = ops.addInstance(ref as Ref<TObject>);
  ops.setParameterKey(req.parameterKey);
  return ok({ method: 'AddObjectResponse', instanceNumber, status: 0 });
}

/** ObjectName must be an existing instance, "X.Y.3." (9005 otherwise); 9001 if the table is read-only. */
export function deleteObject(ops: DeviceOps, req: DeleteObject): RpcOutcome {
  const name = req.objectName;
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
