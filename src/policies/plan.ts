/**
 * A dry run for one device from its stored rows: what the policy set would set, what it
 * would need to read first, and the conflicts. Every policy counts as active (a dry run
 * ignores triggers). The evaluation is the engine's, the one sessions run.
 */
import { sameValue, type Known, type Reader } from '../session/programs/converge.js';
import type { ComplianceFault, DeviceSummary, StoredParameter } from '../store/types.js';
import type { Conflict, PolicySet } from './engine.js';
import type { DeviceFacts } from './match.js';

export interface PlannedValue {
  path: string;
  value: string;
  /** The stored value (null: not stored; the session reads it first). */
  current: string | null;
  policyId: string;
}

export interface DevicePlan {
  id: string;
  /** Policies that match the device (from stored values). */
  policies: string[];
  set: PlannedValue[];
  /** Values the plan needs and the store does not have (read first in a session). */
  unknown: string[];
  /** Policies that could not compute a value (a script's error, an absent source), with why. */
  faults: { policyId: string; fault: ComplianceFault }[];
  /** Extension GETs scripts need (a dry run fetches nothing; a session does, first). */
  fetches: string[];
  conflicts: Conflict[];
  /** Instances the plan would add (table and the keys' reference) and delete. */
  add: { table: string; ref: string; policyId: string }[];
  remove: { path: string; policyId: string }[];
}

function factsOf(d: DeviceSummary): DeviceFacts {
  return {
    id: d.id,
    identity: d.deviceId,
    tags: d.tags,
    firstInform: d.firstInform,
    lastInform: d.lastInform,
    lastBoot: d.lastBoot,
    lastBootstrap: d.lastBootstrap,
  };
}

/** One device's plan from its stored rows: every policy active (a dry run ignores triggers). */
export function planFor(set: PolicySet, device: DeviceSummary, rows: readonly StoredParameter[], now: number): DevicePlan {
  const byPath = new Map(rows.filter((r) => !r.object && r.value !== null).map((r) => [r.path, r]));
  const read: Reader = (path) => {
    const r = byPath.get(path);
    return r === undefined ? undefined : ({ value: r.value ?? '', type: r.type ?? 'xsd:string', at: r.valueAt ?? 0 } satisfies Known);
  };
  // A table is known from the store when it holds values under it (else a session reads it).
  const tables = (table: string): string[] | undefined => {
    const under = rows.filter((r) => r.path.startsWith(table));
    if (!under.some((r) => !r.object && r.value !== null)) return undefined;
    const found = new Set<string>();
    for (const r of under) {
      const seg = r.path.slice(table.length).split('.')[0]!;
      if (/^\d+$/.test(seg) && r.path.length > table.length + seg.length) found.add(`${table}${seg}.`);
    }
    return [...found];
  };
  // No HTTP answers in a dry run: a script that needs one shows it under `fetches`.
  const e = set.evaluate(factsOf(device), read, () => true, now, { scripts: new Map(), http: () => undefined, tables });
  const set_: PlannedValue[] = [];
  for (const d of e.desired) {
    const cur = read(d.path);
    if (cur !== undefined && cur !== null && sameValue(cur.value, d.value, cur.type)) continue;
    set_.push({ path: d.path, value: d.value, current: cur === undefined || cur === null ? null : cur.value, policyId: d.policyId });
  }
  return {
    id: device.id,
    policies: [...e.matched].filter(([, m]) => m === true).map(([id]) => id),
    set: set_,
    unknown: e.unknown,
    fetches: e.fetches,
    faults: [...e.errors].map(([policyId, fault]) => ({ policyId, fault })),
    conflicts: e.conflicts,
    add: e.add,
    remove: e.remove,
  };
}
