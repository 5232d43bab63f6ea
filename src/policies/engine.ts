/**
 * The policy engine, pure: a set of policies compiled once per change (PolicySet), and the
 * evaluation of that set against one device given what is known of it. The same evaluation
 * serves a session (src/policies/program.ts, driving src/session/programs/converge.ts) and a
 * dry run from stored state (src/services/policies.ts), so what the API previews is what a
 * session does.
 *
 * Conflicts: two matching policies declaring different values for one path. The policy with
 * the higher priority (then the smaller id, so the answer never depends on order) owns the
 * path; the other is told, and the path does not count against its compliance. Ownership is
 * decided among every matching policy, active in this session or not, so a policy triggered
 * only at boot and an every-session policy never take turns on one path.
 */
import { createHash } from 'node:crypto';
import type { Known, Reader, Want } from '../session/programs/converge.js';
import type { ComplianceFault, Declaration, PolicyRecord, VirtualParameterRecord } from '../store/types.js';
import { filterPaths, matchesAll, type DeviceFacts } from './match.js';
import { isSchedule, ZONE_PATHS } from './schedule.js';
import { objectPaths, resolveObjects, type AddWant, type ObjectClaim, type RemoveWant, type TableReader } from './objects.js';
import { sandboxHost, type FetchState, type ScriptHost, type ScriptInput, type ScriptResult } from './sandbox.js';

export interface Desired extends Want {
  policyId: string;
}

export interface Conflict {
  path: string;
  winner: { policyId: string; value: string };
  overruled: { policyId: string; value: string }[];
}

export interface PolicyEvaluation {
  unknown: string[];
  stale: string[];
  /** What active policies want set (owners only). */
  desired: Desired[];
  /** Per enabled policy: matches (undefined: a value it needs is unknown). */
  matched: Map<string, boolean | undefined>;
  conflicts: Conflict[];
  /** Per active policy, the paths it owns. */
  owned: Map<string, string[]>;
  /** Per policy, a value it could not compute (a source parameter the device lacks …). */
  errors: Map<string, ComplianceFault>;
  /** Notification attributes active policies want (the highest-priority policy per path). */
  notifications: { path: string; notification: 0 | 1 | 2; policyId: string }[];
  /** Extension GETs scripts of active policies need before they can give a value (./extensions.ts). */
  fetches: string[];
  /** Active policies with a script still waiting for a value (a parameter, a GET): not compliant yet. */
  waiting: Set<string>;
  /** Virtual parameters computed (all of them with `allVirtual`): value, null absent, undefined waiting. */
  virtual: Map<string, Known | null | undefined>;
  /** Virtual parameters whose read script failed, with its error. */
  virtualErrors: Map<string, string>;
  /** Instances of tables to add and delete (object declarations, ./objects.ts). */
  add: AddWant[];
  remove: RemoveWant[];
  /** Per active policy, object work not done yet: keys into the session's faults (a ref, an instance). */
  objectWork: Map<string, string[]>;
}

/**
 * What an evaluation may use besides the device's values: a memo of script runs (one per
 * session, so a script runs again only when something it read changed), and the HTTP
 * extension's answers (absent: not configured).
 */
export interface EvaluationContext {
  scripts?: ScriptMemo;
  http?: (path: string) => FetchState;
  /** Compute every virtual parameter too (a session records them in the tree), reading what they need. */
  allVirtual?: boolean;
  /** Tables' instances as known (default: none known, every table is read first). */
  tables?: TableReader;
  /** Instances this ACS added for a reference and has not seen set up (./objects.ts). */
  made?: (ref: string) => string | undefined;
}

/** Script runs of one session, by policy and declaration, with what each read. */
export type ScriptMemo = Map<string, { source: string; reads: [string, string][]; result: ScriptResult }>;

export interface PolicySetOptions {
  /** Runs scripts (default: the process's sandbox, when loaded). */
  scripts?: ScriptHost | null;
  /** Virtual parameters (`VirtualParameters.<name>`) filters and declarations may name. */
  virtual?: readonly VirtualParameterRecord[];
}

export const VIRTUAL_ROOT = 'VirtualParameters.';
export const isVirtual = (path: string): boolean => path.startsWith(VIRTUAL_ROOT);

const SCRIPT_PATH = /^[A-Za-z_][A-Za-z0-9_-]*(\.([A-Za-z_][A-Za-z0-9_-]*|\d+))*$/;

/** No table is known: every object declaration reads its table first. */
const NO_TABLES: TableReader = () => undefined;
const NOTHING_MADE = (): undefined => undefined;

/** Which policies a session runs: every-session ones, and those triggered by its events. */
export type ActiveFilter = (policy: PolicyRecord) => boolean;

export class PolicySet {
  /** Enabled policies, highest priority first, then id. */
  readonly policies: readonly PolicyRecord[];
  /** Changes whenever any enabled policy changes (id and revision of each). */
  readonly key: string;
  /** Every parameter path the set reads: filters, declarations, value sources. */
  readonly paths: readonly string[];
  /** Some enabled policy runs a script, or a virtual parameter is defined. */
  readonly hasScripts: boolean;
  /** Virtual parameters by name. */
  readonly virtual: ReadonlyMap<string, VirtualParameterRecord>;
  readonly #host: ScriptHost | null;

  constructor(records: readonly PolicyRecord[], opts: PolicySetOptions = {}) {
    this.#host = opts.scripts === undefined ? sandboxHost() : opts.scripts;
    this.virtual = new Map((opts.virtual ?? []).map((v) => [v.name, v]));
    this.policies = records
      .filter((p) => p.enabled)
      .slice()
      .sort((a, b) => b.priority - a.priority || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    this.key = createHash('sha256')
      .update([...this.policies.map((p) => `${p.id}@${p.revision}`), ...[...this.virtual.values()].map((v) => `${VIRTUAL_ROOT}${v.name}@${v.revision}`)].join(','))
      .digest('base64url')
      .slice(0, 22);
    // A schedule in the device's zone needs the zone: fetched with the stored values, never read from the device.
    const zoned = this.policies.some((p) => p.triggers.some((t) => isSchedule(t) && (t.timeZone === undefined || t.timeZone === 'device')));
    this.paths = [...new Set([...this.policies.flatMap(referencedPaths), ...(zoned ? ZONE_PATHS : [])])].sort();
    this.hasScripts = this.virtual.size > 0 || this.policies.some((p) => p.script !== undefined || p.declarations.some((d) => 'from' in d && 'script' in d.from));
  }

  get size(): number {
    return this.policies.length;
  }

  /**
   * What the set wants of one device, given what is known. `active` picks the policies whose
   * declarations are enforced now; `now` judges staleness.
   */
  evaluate(device: DeviceFacts, readReal: Reader, active: ActiveFilter, now: number, ctx: EvaluationContext = {}): PolicyEvaluation {
    const unknown = new Set<string>();
    const fetches = new Set<string>();
    const waiting = new Set<string>();
    /** Virtual parameters computed in this evaluation (undefined: waiting for a value). */
    const virtualValues = new Map<string, Known | null | undefined>();
    const virtualErrors = new Map<string, string>();
    const realValueOf = (path: string): string | null | undefined => {
      // A virtual parameter's script reads real parameters only (no cycles), and none under
      // another data model's root (a TR-181 device has no InternetGatewayDevice.: no read).
      if (isVirtual(path)) return null;
      if (device.root !== undefined && !path.startsWith(device.root)) return null;
      const k = readReal(path);
      return k === undefined ? undefined : k === null ? null : k.value;
    };
    const read: Reader = (path) => {
      if (!isVirtual(path)) return readReal(path);
      if (virtualValues.has(path)) return virtualValues.get(path);
      const def = this.virtual.get(path.slice(VIRTUAL_ROOT.length));
      let k: Known | null | undefined = null;
      if (def !== undefined) {
        const r = this.#run(`${path}@${def.revision}`, def.read, device, realValueOf, ctx);
        if (r.kind === 'needs') {
          for (const q of r.params) unknown.add(q);
          for (const f of r.fetches) fetches.add(f);
          k = undefined;
        } else if (r.kind === 'error') virtualErrors.set(path, r.error);
        else if (r.value !== null) k = { value: r.value, type: 'xsd:string', at: now };
      }
      virtualValues.set(path, k);
      return k;
    };
    const stale = new Set<string>();
    const matched = new Map<string, boolean | undefined>();
    const errors = new Map<string, ComplianceFault>();
    const valueOf = (path: string): string | null | undefined => {
      const k = read(path);
      return k === undefined ? undefined : k === null ? null : k.value;
    };
    const notifications = new Map<string, { path: string; notification: 0 | 1 | 2; policyId: string }>();
    /** path → claims, in priority order. */
    const claims = new Map<string, { policyId: string; value: string; type?: string; active: boolean; rank: number }[]>();
    const objectClaims: ObjectClaim[] = [];
    const rankOf = new Map(this.policies.map((p, i) => [p.id, i]));
    const claim = (policyId: string, path: string, value: string, type: string | undefined, isActive: boolean): void => {
      if (isVirtual(path)) {
        claimVirtual(policyId, path, value, isActive);
        return;
      }
      const list = claims.get(path) ?? [];
      // A script may declare one path twice: its last word counts.
      const own = list.findIndex((c) => c.policyId === policyId);
      const entry = { policyId, value, ...(type !== undefined ? { type } : {}), active: isActive, rank: rankOf.get(policyId) ?? 0 };
      if (own >= 0) list[own] = entry;
      else list.push(entry);
      claims.set(path, list);
      // Its current value is needed to know whether it differs.
      if (isActive && read(path) === undefined) unknown.add(path);
    };
    const needs = (policyId: string, r: { params: string[]; fetches: string[] }): void => {
      waiting.add(policyId);
      for (const path of r.params) unknown.add(path);
      for (const f of r.fetches) fetches.add(f);
    };
    /** A value declared on a virtual parameter: its write script says which real parameters get what. */
    const claimVirtual = (policyId: string, path: string, value: string, isActive: boolean): void => {
      const def = this.virtual.get(path.slice(VIRTUAL_ROOT.length));
      if (def === undefined || def.write === undefined) {
        errors.set(policyId, { faultCode: 0, faultString: `${path}: ${def === undefined ? 'no such virtual parameter' : 'read-only (no write script)'}`, path });
        return;
      }
      const r = this.#run(`${path}@${def.revision}=${value}`, def.write, device, realValueOf, ctx, value);
      if (r.kind === 'needs') {
        if (isActive) needs(policyId, r);
        return;
      }
      if (r.kind === 'error') {
        errors.set(policyId, { faultCode: 0, faultString: `${path}: write script: ${r.error}`, path });
        return;
      }
      const bad = r.declared.find(([p]) => isVirtual(p) || !SCRIPT_PATH.test(p) || (device.root !== undefined && !p.startsWith(device.root)));
      if (bad !== undefined) {
        errors.set(policyId, { faultCode: 0, faultString: `${path}: write script: declare("${bad[0].slice(0, 100)}"): not a parameter of this device`, path });
        return;
      }
      for (const [p, v] of r.declared) claim(policyId, p, v, undefined, isActive);
    };
    for (const p of this.policies) {
      const isActive = active(p);
      const m = matchesAll(p.filters, device, valueOf);
      matched.set(p.id, m);
      if (m === undefined) {
        if (isActive) for (const path of filterPaths(p.filters)) if (valueOf(path) === undefined) unknown.add(path);
        continue;
      }
      if (!m) continue;
      for (const [i, d] of p.declarations.entries()) {
        if ('object' in d) {
          objectClaims.push({ policyId: p.id, rank: rankOf.get(p.id) ?? 0, active: isActive, decl: d });
          continue;
        }
        if ('maxAge' in d) {
          if (isActive) {
            const k = read(d.path);
            if (k === undefined) unknown.add(d.path);
            else if (k !== null && k.at < now - d.maxAge * 1000) stale.add(d.path);
          }
          continue;
        }
        if ('notification' in d) {
          // Policies are in priority order: the first one to declare a path's attribute has it.
          if (isActive && !notifications.has(d.path)) notifications.set(d.path, { path: d.path, notification: d.notification, policyId: p.id });
          continue;
        }
        if (!('value' in d) && !('from' in d)) continue;
        if ('from' in d && 'script' in d.from) {
          const r = this.#run(`${p.id}#${p.revision}#${i}`, d.from.script, device, valueOf, ctx);
          if (r.kind === 'needs') {
            if (isActive) needs(p.id, r);
            continue;
          }
          if (r.kind === 'error' || r.value === null) {
            errors.set(p.id, { faultCode: 0, faultString: `script of ${d.path}: ${r.kind === 'error' ? r.error : 'it returned no value'}`, path: d.path });
            continue;
          }
          claim(p.id, d.path, r.value, d.type, isActive);
          continue;
        }
        const value = computeValue(d, device, read);
        if (value === undefined) {
          if (isActive && 'from' in d && 'parameter' in d.from) unknown.add(d.from.parameter);
          continue;
        }
        if (value === null) {
          errors.set(p.id, { faultCode: 0, faultString: `no value for ${d.path}: its source is absent`, path: d.path });
          continue;
        }
        claim(p.id, d.path, value, d.type, isActive);
      }
      if (p.script !== undefined) {
        const r = this.#run(`${p.id}#${p.revision}#script`, p.script, device, valueOf, ctx);
        if (r.kind === 'needs') {
          if (isActive) needs(p.id, r);
        } else if (r.kind === 'error') {
          errors.set(p.id, { faultCode: 0, faultString: `script: ${r.error}` });
        } else {
          const bad = r.declared.find(([path]) => !SCRIPT_PATH.test(path) || path.length > 256);
          if (bad !== undefined) errors.set(p.id, { faultCode: 0, faultString: `script: declare("${bad[0].slice(0, 100)}"): not a parameter path` });
          else for (const [path, value] of r.declared) claim(p.id, path, value, undefined, isActive);
        }
      }
    }
    const objects = resolveObjects(objectClaims, read, ctx.tables ?? NO_TABLES, ctx.made ?? NOTHING_MADE);
    for (const u of objects.unknown) unknown.add(u);
    for (const [policyId, fault] of objects.errors) if (!errors.has(policyId)) errors.set(policyId, fault);
    for (const v of objects.values) {
      claim(v.policyId, v.path, v.value, undefined, v.active);
      // Priority order, whichever kind of declaration claimed the path first.
      claims.get(v.path)!.sort((a, b) => a.rank - b.rank);
    }
    if (ctx.allVirtual === true) for (const name of this.virtual.keys()) read(`${VIRTUAL_ROOT}${name}`);
    // Virtual parameters are never read from a device: what they need was added instead.
    for (const path of unknown) if (isVirtual(path)) unknown.delete(path);
    const desired: Desired[] = [];
    const conflicts: Conflict[] = [];
    const owned = new Map<string, string[]>();
    for (const [path, list] of claims) {
      const winner = list[0]!;
      const overruled = list.filter((c) => c.value !== winner.value);
      if (overruled.length > 0) {
        conflicts.push({ path, winner: { policyId: winner.policyId, value: winner.value }, overruled: overruled.map((c) => ({ policyId: c.policyId, value: c.value })) });
      }
      // Every policy declaring the winning value owns the path (agreement is no conflict).
      const owners = list.filter((c) => c.value === winner.value && c.active);
      for (const o of owners) owned.set(o.policyId, [...(owned.get(o.policyId) ?? []), path]);
      if (owners.length > 0) desired.push({ path, value: winner.value, ...(winner.type !== undefined ? { type: winner.type } : {}), policyId: winner.policyId });
    }
    for (const o of objects.overruled) {
      conflicts.push({ path: o.path, winner: { policyId: o.keptBy, value: '(kept)' }, overruled: [{ policyId: o.policyId, value: '(deleted)' }] });
    }
    return {
      unknown: [...unknown],
      stale: [...stale],
      desired,
      matched,
      conflicts,
      owned,
      errors,
      notifications: [...notifications.values()],
      fetches: [...fetches],
      waiting,
      add: objects.add,
      remove: objects.remove,
      objectWork: objects.open,
      virtual: virtualValues,
      virtualErrors,
    };
  }

  /** One script run, or the memo's when nothing it read has changed since. */
  #run(key: string, source: string, device: DeviceFacts, valueOf: (path: string) => string | null | undefined, ctx: EvaluationContext, value?: string): ScriptResult {
    const state = (kind: string, path: string): string => {
      if (kind === 'p') {
        const v = valueOf(path);
        return v === undefined ? '?' : v === null ? '-' : `=${v}`;
      }
      const f = ctx.http?.(path);
      return f === undefined ? '?' : 'body' in f ? `=${f.body}` : `!${f.error}`;
    };
    const hit = ctx.scripts?.get(key);
    if (hit !== undefined && hit.source === source && hit.reads.every(([k, state_]) => state(k[0]!, k.slice(1)) === state_)) return hit.result;
    if (this.#host === null) return { kind: 'error', error: 'scripts cannot run in this process (the sandbox is not loaded)' };
    const reads: [string, string][] = [];
    const input: ScriptInput = {
      device: { id: device.id, manufacturer: device.identity.manufacturer, oui: device.identity.oui, productClass: device.identity.productClass, serialNumber: device.identity.serialNumber, tags: device.tags },
      param: (path) => {
        reads.push([`p${path}`, state('p', path)]);
        return valueOf(path);
      },
      ...(value !== undefined ? { value } : {}),
    };
    const http = ctx.http;
    if (http !== undefined) {
      input.http = (path) => {
        reads.push([`h${path}`, state('h', path)]);
        return http(path);
      };
    }
    const result = this.#host.run(source, input);
    ctx.scripts?.set(key, { source, reads, result });
    return result;
  }
}

/** A declaration's value: undefined when a value it needs is unknown, null when it cannot be made. */
function computeValue(d: Declaration, device: DeviceFacts, read: Reader): string | null | undefined {
  if ('value' in d) return d.value;
  if (!('from' in d)) return null;
  const from = d.from;
  if ('parameter' in from) {
    const k = read(from.parameter);
    return k === undefined ? undefined : k === null ? null : k.value;
  }
  if ('identity' in from) return from.identity === 'id' ? device.id : device.identity[from.identity];
  // Per-device secrets need the secret store (not in this engine yet).
  return null;
}

/** Every parameter a policy reads. */
export function referencedPaths(p: PolicyRecord): string[] {
  const paths = filterPaths(p.filters);
  for (const d of p.declarations) {
    if ('object' in d) {
      paths.push(...objectPaths(d));
      continue;
    }
    paths.push(d.path);
    if ('from' in d && 'parameter' in d.from) paths.push(d.from.parameter);
  }
  return paths;
}

/** Triggers of a policy present in a session's events (their keys: trimmed, upper case). */
export function triggeredBy(p: PolicyRecord, eventKeys: ReadonlySet<string>): boolean {
  return p.triggers.length === 0 || p.triggers.some((t) => !isSchedule(t) && eventKeys.has(t.toUpperCase()));
}
