/**
 * Path expansion shared by the RPC handlers: a name is a complete parameter path, a partial
 * path ending in "." (the object and everything below it), or "" (the whole tree, TR-069
 * A.3.2.2: an empty string is the top of the hierarchy).
 */
import type { DeviceOps, Ref } from '../model/ops.js';
import type { TObject, TParam } from '../model/template.js';

export function resolveName(ops: DeviceOps, name: string): Ref | undefined {
  return ops.lookup(name === '' ? ops.template.root : name);
}

/** Everything below `obj` in depth-first order (objects before their contents), not `obj` itself. */
export function* descendants(ops: DeviceOps, obj: Ref<TObject>): Generator<Ref> {
  for (const c of ops.children(obj)) {
    yield c;
    if (c.node.kind === 'object') yield* descendants(ops, c as Ref<TObject>);
  }
}

/** The parameters a name stands for, or undefined when it names nothing (fault 9005). */
export function parametersOf(ops: DeviceOps, name: string): Ref<TParam>[] | undefined {
  const ref = resolveName(ops, name);
  if (!ref) return undefined;
  if (ref.node.kind === 'param') return [ref as Ref<TParam>];
  const out: Ref<TParam>[] = [];
  for (const d of descendants(ops, ref as Ref<TObject>)) if (d.node.kind === 'param') out.push(d as Ref<TParam>);
  return out;
}
