/**
 * Multi-instance objects in policies, pure: instances of a table are named by their key
 * parameters, never by instance number (numbers differ between devices and change after a
 * factory reset). Two declarations (src/store/concerns/policies.ts):
 *
 *   { object: "Device.NAT.PortMapping.{i}", key: {...}, values: {...} }
 *       exactly one instance whose keys are these, with these values: added when missing,
 *       duplicates (more instances with the same keys) deleted, the lowest number kept;
 *   { object: "Device.NAT.PortMapping.{i}", only: [{...}, …] }
 *       no instance whose keys are none of these: the rest deleted.
 *
 * An instance this ACS added and has not finished setting up (its keys not set yet, the
 * session died) is remembered by reference (`made`, kept in the device's policy memo) and
 * set up rather than added again, so AddObject never repeats for one declaration.
 *
 * An exactly-one claim of any matching policy protects its instance from every `only` list:
 * one policy deleting what another adds would loop; the deletion is reported as overruled.
 */
import type { Reader, TableReader } from '../session/programs/converge.js';
import type { ComplianceFault, ObjectDeclaration, OnlyDeclaration } from '../store/types.js';

export type { TableReader };

/** An object declaration of a matching policy. `rank`: the policy's place in priority order. */
export interface ObjectClaim {
  policyId: string;
  rank: number;
  active: boolean;
  decl: ObjectDeclaration | OnlyDeclaration;
}

export interface ValueClaim {
  policyId: string;
  rank: number;
  active: boolean;
  path: string;
  value: string;
}

export interface AddWant {
  /** The table ("Device.NAT.PortMapping."). */
  table: string;
  /** Names the instance across sessions: the table and its keys. */
  ref: string;
  policyId: string;
  /**
   * The instance's Alias when its key names one: a device that declares AliasBasedAddressing
   * is sent AddObject "Table.[alias]." and names the instance itself, in the same message
   * (TR-069 A.3.2.6), so an instance never exists without its key Alias.
   */
  alias?: string;
}

export interface RemoveWant {
  /** The instance ("Device.NAT.PortMapping.3."). */
  path: string;
  policyId: string;
}

export interface ObjectPlan {
  /** Tables and instances to read (subtrees). */
  unknown: string[];
  /** Values of chosen instances (keys and values), as claims like any declaration's. */
  values: ValueClaim[];
  add: AddWant[];
  remove: RemoveWant[];
  /** Per active policy: object work not done yet (refs to add, instances to delete, tables to read). */
  open: Map<string, string[]>;
  errors: Map<string, ComplianceFault>;
  /** Instances an `only` list would delete but another policy's exactly-one claim keeps. */
  overruled: { path: string; keptBy: string; policyId: string }[];
}

/** "Device.NAT.PortMapping.{i}" (or with a trailing ".") → "Device.NAT.PortMapping.". */
export function tableOf(object: string): string {
  return object.replace(/\{i\}\.?$/, '');
}

/** The table's name for a key: stable whatever the order the keys were written in. */
export function refOf(table: string, key: Readonly<Record<string, string>>): string {
  return `${table}${JSON.stringify(Object.keys(key).sort().map((k) => [k, key[k]]))}`;
}

/** The parameters an object declaration reads: its table (a subtree). */
export function objectPaths(d: ObjectDeclaration | OnlyDeclaration): string[] {
  return [tableOf(d.object)];
}

const byNumber = (a: string, b: string): number => instanceNumber(a) - instanceNumber(b);

function instanceNumber(path: string): number {
  const parts = path.split('.');
  return Number(parts[parts.length - 2]);
}

/** Does the instance have these keys: true, false, or undefined (a key value is unknown). */
function keysMatch(instance: string, key: Readonly<Record<string, string>>, read: Reader): boolean | undefined {
  let unknown = false;
  for (const [k, want] of Object.entries(key)) {
    const have = read(`${instance}${k}`);
    if (have === undefined) unknown = true;
    else if ((have?.value ?? '') !== want) return false;
  }
  return unknown ? undefined : true;
}

/** A key's Alias, when it has one that can stand in a path segment. */
function aliasOf(key: Readonly<Record<string, string>>): { alias?: string } {
  const a = key.Alias;
  return a !== undefined && a !== '' && !/[[\].{}*]/.test(a) ? { alias: a } : {};
}

export function resolveObjects(claims: readonly ObjectClaim[], read: Reader, tables: TableReader, made: (ref: string) => string | undefined): ObjectPlan {
  const plan: ObjectPlan = { unknown: [], values: [], add: [], remove: [], open: new Map(), errors: new Map(), overruled: [] };
  const open = (policyId: string, key: string): void => {
    plan.open.set(policyId, [...(plan.open.get(policyId) ?? []), key]);
  };
  const byTable = new Map<string, ObjectClaim[]>();
  for (const c of claims) {
    const t = tableOf(c.decl.object);
    byTable.set(t, [...(byTable.get(t) ?? []), c]);
  }
  for (const [table, list] of byTable) {
    const instances = tables(table);
    if (instances === undefined) {
      if (list.some((c) => c.active)) plan.unknown.push(table);
      for (const c of list) if (c.active) open(c.policyId, table);
      continue;
    }
    if (instances === null) {
      for (const c of list) if (c.active && !plan.errors.has(c.policyId)) plan.errors.set(c.policyId, { faultCode: 9005, faultString: `the device has no table ${table}{i}`, path: table });
      continue;
    }
    const sorted = [...instances].sort(byNumber);
    /** Instance → the policy whose exactly-one claim keeps it. */
    const kept = new Map<string, string>();
    const removing = new Set<string>();
    const needRead = (instance: string): void => {
      if (!plan.unknown.includes(instance)) plan.unknown.push(instance);
    };
    // Exactly-one claims first: what they keep no `only` list deletes. Claims of one ref
    // (two policies agreeing on the keys) share the instance; the first (highest) decides.
    const done = new Set<string>();
    for (const c of list) {
      if (!('key' in c.decl)) continue;
      const ref = refOf(table, c.decl.key);
      const mine = made(ref);
      const matching: string[] = [];
      let unknown = false;
      for (const i of sorted) {
        const m = i === mine ? true : keysMatch(i, c.decl.key, read);
        if (m === true) matching.push(i);
        else if (m === undefined) {
          unknown = true;
          if (c.active) needRead(i);
        }
      }
      // A made instance first (its keys may not be set yet), then the lowest number.
      const chosen = mine !== undefined && sorted.includes(mine) ? mine : matching[0];
      if (chosen === undefined) {
        if (unknown) {
          if (c.active) open(c.policyId, ref);
          continue;
        }
        if (c.active) {
          if (!done.has(ref)) plan.add.push({ table, ref, policyId: c.policyId, ...aliasOf(c.decl.key) });
          open(c.policyId, ref);
        }
        done.add(ref);
        continue;
      }
      kept.set(chosen, kept.get(chosen) ?? c.policyId);
      if (mine === chosen && keysMatch(chosen, c.decl.key, read) === undefined) {
        // Our own new instance: read it once for its parameters' types, then set it up.
        if (c.active) {
          needRead(chosen);
          open(c.policyId, ref);
        }
        continue;
      }
      const vals = { ...c.decl.key, ...(c.decl.values ?? {}) };
      for (const [k, value] of Object.entries(vals)) plan.values.push({ policyId: c.policyId, rank: c.rank, active: c.active, path: `${chosen}${k}`, value });
      if (c.active && !done.has(ref)) {
        for (const dup of matching) {
          if (dup === chosen || removing.has(dup)) continue;
          removing.add(dup);
          plan.remove.push({ path: dup, policyId: c.policyId });
          open(c.policyId, dup);
        }
      }
      done.add(ref);
    }
    for (const c of list) {
      if (!('only' in c.decl) || !c.active) continue;
      const entries = c.decl.only;
      for (const i of sorted) {
        if (removing.has(i)) continue;
        const results = entries.map((e) => keysMatch(i, e, read));
        if (results.includes(true)) continue;
        if (results.includes(undefined)) {
          needRead(i);
          open(c.policyId, i);
          continue;
        }
        const keeper = kept.get(i);
        if (keeper !== undefined) {
          plan.overruled.push({ path: i, keptBy: keeper, policyId: c.policyId });
          continue;
        }
        removing.add(i);
        plan.remove.push({ path: i, policyId: c.policyId });
        open(c.policyId, i);
      }
    }
  }
  return plan;
}
