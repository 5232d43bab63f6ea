/**
 * Tasks whose paths carry CWMP 1.4 instance selectors (src/datamodel/instance-paths.ts), made
 * fit for one device before planning. Pure.
 *
 *  - `[alias]` segments: kept for a device that declares AliasBasedAddressing; otherwise
 *    replaced by instance numbers from the device's stored Alias values. An alias nobody has
 *    faults the task (9005), except an addObject of "Table.[alias]." which becomes an
 *    AddObject of "Table." with Alias set among its values.
 *  - `*` wildcards: left to the planner (sent as they are, or expanded by listing the table).
 */
import { aliasResolver, aliasTables, hasAlias, hasWildcard } from '../datamodel/instance-paths.js';
import type { Task } from './types.js';

export interface DeviceAddressing {
  /** ManagementServer.AliasBasedAddressing: the device resolves `[alias]` itself. */
  aliases: boolean;
}

/** A task's paths with selectors, for what the session must read beforehand. */
function pathsOf(task: Task): string[] {
  switch (task.type) {
    case 'getParameterValues':
    case 'getParameterAttributes':
      return task.parameterNames;
    case 'setParameterValues':
      return task.parameterValues.map((v) => v[0]);
    case 'setParameterAttributes':
      return task.parameterAttributes.map((a) => a.name);
    case 'addObject':
    case 'deleteObject':
    case 'refresh':
      return [task.objectName];
    case 'getParameterNames':
      return [task.parameterPath];
    default:
      return [];
  }
}

export function usesAliases(task: Task): boolean {
  return pathsOf(task).some(hasAlias);
}

export function usesWildcards(task: Task): boolean {
  return pathsOf(task).some(hasWildcard);
}

/** Stored subtrees whose Alias rows resolve a task's alias paths ("Device.NAT.PortMapping."). */
export function aliasPrefixes(task: Task): string[] {
  return [...new Set(pathsOf(task).filter(hasAlias).map((p) => aliasTables(p)[0]!))];
}

export type Rewritten = { ok: true; task: Task } | { ok: false; path: string };

/**
 * The task as this device is sent it. `rows`: the device's stored rows under the alias
 * prefixes (path, value). A path whose alias is unknown comes back as `{ ok: false, path }`.
 */
export function forDevice(task: Task, device: DeviceAddressing, rows: Iterable<{ path: string; value: string | null }>): Rewritten {
  if (device.aliases || !usesAliases(task)) return { ok: true, task };
  const resolve = aliasResolver(rows);
  let bad: string | null = null;
  const r = (p: string): string => {
    const out = resolve(p);
    if (out === null) bad ??= p;
    return out ?? p;
  };
  let out: Task;
  switch (task.type) {
    case 'getParameterValues':
    case 'getParameterAttributes':
      out = { ...task, parameterNames: task.parameterNames.map(r) };
      break;
    case 'setParameterValues':
      out = { ...task, parameterValues: task.parameterValues.map(([n, v, t]) => [r(n), v, t]) };
      break;
    case 'setParameterAttributes':
      out = { ...task, parameterAttributes: task.parameterAttributes.map((a) => ({ ...a, name: r(a.name) })) };
      break;
    case 'addObject': {
      // "Table.[web].": a new instance named "web", on a device that cannot name it itself.
      const m = /^(.*\.)\[([^\]]+)\]\.$/.exec(task.objectName);
      if (m !== null && resolve(task.objectName) === null) {
        const table = r(m[1]!);
        const values = task.parameterValues.filter(([n]) => n !== 'Alias');
        out = { ...task, objectName: table, parameterValues: [['Alias', m[2]!, 'xsd:string'], ...values] };
        break;
      }
      if (m !== null) return { ok: false, path: task.objectName }; // that alias exists already
      out = { ...task, objectName: r(task.objectName) };
      break;
    }
    case 'deleteObject':
    case 'refresh':
      out = { ...task, objectName: r(task.objectName) };
      break;
    case 'getParameterNames':
      out = { ...task, parameterPath: r(task.parameterPath) };
      break;
    default:
      out = task;
  }
  return bad === null ? { ok: true, task: out } : { ok: false, path: bad };
}
