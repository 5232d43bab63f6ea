/**
 * Path expansion shared by the RPC handlers: a name is a complete parameter path, a partial
 * path ending in "." (the object and everything below it), or "" (the whole tree, TR-069
 * A.3.2.2: an empty string is the top of the hierarchy).
 *
 * CWMP 1.4 adds two kinds of instance segment (TR-069 3.6.1, A.2.2.1), each only where the
 * device declares it in ManagementServer:
 *  - `*`, every instance of a table (InstanceWildcardsSupported; GPV, GPN and GPA only);
 *  - `[alias]`, the instance whose Alias is `alias` (AliasBasedAddressing).
 * Paths in answers always carry instance numbers (InstanceMode InstanceNumber).
 */
import type { DeviceOps, Ref } from '../model/ops.js';
import type { TObject, TParam } from '../model/template.js';
import { TemplateRefLists } from '../model/template-refs.js';

const ALIAS = /^\[([^\]]+)\]$/;

export function resolveName(ops: DeviceOps, name: string): Ref | undefined {
  return ops.lookup(name === '' ? ops.template.root : name);
}

/**
 * Everything below `obj` in depth-first order (objects before their contents), not `obj` itself.
 * An array built with an explicit stack: a recursive generator resumes every level of the
 * tree for each node it yields, and a bootstrap walks 5,000 nodes twice.
 */
export function descendants(ops: DeviceOps, obj: Ref<TObject>): readonly Ref[] {
  // A device whose tree still has the template's shape walks what every such device walks:
  // one frozen list per template object (GetParameterNames and GetParameterValues "" walk
  // all 5,000 nodes in every bootstrap).
  if (!ops.pristine() || ops.template.index.get(obj.path) !== obj.node) return walk(ops, obj);
  return WALKS.get(ops.template, obj.path, () => walk(ops, obj));
}

const WALKS = new TemplateRefLists();

function walk(ops: DeviceOps, obj: Ref<TObject>): Ref[] {
  const out: Ref[] = [];
  // Frames of (children, next index); a child object's frame is pushed right after the child.
  const lists: (readonly Ref[])[] = [ops.children(obj)];
  const at: number[] = [0];
  while (lists.length > 0) {
    const top = lists.length - 1;
    const list = lists[top]!;
    const i = at[top]!;
    if (i === list.length) {
      lists.pop();
      at.pop();
      continue;
    }
    at[top] = i + 1;
    const c = list[i]!;
    out.push(c);
    if (c.node.kind === 'object') {
      lists.push(ops.children(c as Ref<TObject>));
      at.push(0);
    }
  }
  return out;
}

/** A ManagementServer capability flag of the device ("true"/"1"). */
export function declares(ops: DeviceOps, name: 'InstanceWildcardsSupported' | 'AliasBasedAddressing' | 'AutoCreateInstances'): boolean {
  const ref = ops.lookup(`${ops.template.root}ManagementServer.${name}`);
  return ref?.node.kind === 'param' && /^(1|true)$/i.test(ops.valueOf(ref as Ref<TParam>));
}

/** True when a name has instance wildcards or alias segments. */
export function hasSelectors(name: string): boolean {
  return name.includes('*') || name.includes('[');
}

/** An instance's Alias ('' when the table has none). */
export function aliasOf(ops: DeviceOps, instance: Ref): string {
  const a = ops.lookup(`${instance.path}Alias`);
  return a?.node.kind === 'param' ? ops.valueOf(a as Ref<TParam>) : '';
}

/**
 * The nodes a name with `*` / `[alias]` segments stands for, with instance numbers; [] when a
 * wildcard matches no instance or an alias no instance. Undefined: not a valid name for this
 * device (a selector it does not declare, or one on something that is not a table).
 */
export function expand(ops: DeviceOps, name: string, opts: { wildcards: boolean }): Ref[] | undefined {
  const root = ops.template.root;
  if (!name.startsWith(root)) return undefined;
  const isObject = name.endsWith('.');
  const rest = name.slice(root.length, isObject ? -1 : undefined);
  const segs = rest === '' ? [] : rest.split('.');
  const wildcards = opts.wildcards && declares(ops, 'InstanceWildcardsSupported');
  const aliases = declares(ops, 'AliasBasedAddressing');
  const top = ops.lookup(root);
  if (top === undefined) return undefined;
  let current: Ref[] = [top];
  for (let i = 0; i < segs.length; i++) {
    const seg = segs[i]!;
    const last = i === segs.length - 1;
    const alias = ALIAS.exec(seg)?.[1];
    if (seg === '*' && !wildcards) return undefined;
    if (alias !== undefined && !aliases) return undefined;
    const next: Ref[] = [];
    for (const ref of current) {
      if (ref.node.kind !== 'object') continue;
      const obj = ref as Ref<TObject>;
      if (seg === '*' || alias !== undefined) {
        if (!obj.node.table) return undefined;
        for (const inst of ops.children(obj)) if (seg === '*' || aliasOf(ops, inst) === alias) next.push(inst);
      } else {
        const r = ops.lookup(`${ref.path}${seg}${last && !isObject ? '' : '.'}`);
        if (r !== undefined) next.push(r);
      }
    }
    current = next;
  }
  return current.filter((r) => (r.node.kind === 'object') === isObject);
}

/**
 * The parameters a name stands for, or undefined when it names nothing (fault 9005).
 * `wildcards`: `*` segments allowed (GPV, GPA), where the device declares them.
 */
export function parametersOf(ops: DeviceOps, name: string, opts: { wildcards: boolean } = { wildcards: false }): Ref<TParam>[] | undefined {
  let refs: Ref[];
  if (hasSelectors(name)) {
    const found = expand(ops, name, opts);
    // A wildcard over an empty table reads nothing; an alias nobody has is an invalid name.
    if (found === undefined || (found.length === 0 && !name.includes('*'))) return undefined;
    refs = found;
  } else {
    const ref = resolveName(ops, name);
    if (!ref) return undefined;
    refs = [ref];
  }
  const out: Ref<TParam>[] = [];
  for (const ref of refs) {
    if (ref.node.kind === 'param') out.push(ref as Ref<TParam>);
    else for (const d of descendants(ops, ref as Ref<TObject>)) if (d.node.kind === 'param') out.push(d as Ref<TParam>);
  }
  return out;
}
