/**
 * Policies in a session: decides whether the device needs evaluating at all (its memo,
 * ./memo.ts), and if so runs the convergence program (src/session/programs/converge.ts) with
 * the policy set as its target, then records compliance and the new memo with the commit.
 *
 * Cost: a device whose memo matches (same policy set, same tags, same Inform values) is not
 * evaluated — no stored read, no RPC, nothing written but what the session writes anyway.
 * An evaluation reads the stored values of every referenced path in one round trip (the
 * driver's storedPaths), except after 0 BOOTSTRAP, when stored values are void.
 */
import { EV, eventKey } from '../cwmp/events.js';
import type { RpcOutcome } from '../cwmp/acs-session.js';
import type { Program, ProgramContext, ProgramRpc, SessionView } from '../session/program.js';
import { ConvergeProgram, sameValue, type ConvergeResult, type ConvergeTarget, type Evaluation, type Reader, type TableReader } from '../session/programs/converge.js';
import type { ComplianceRecord, PolicyRecord } from '../store/types.js';
import { PolicySet, triggeredBy, type EvaluationContext, type PolicyEvaluation, type ScriptMemo } from './engine.js';
import type { HttpExtension } from './extensions.js';
import type { FetchState } from './sandbox.js';
import type { DeviceFacts } from './match.js';
import { openWindow, ZONE_PATHS } from './schedule.js';
import { digest, formatMemo, parseMemo, retryDelay, type Backoff } from './memo.js';

export interface PolicySessionSettings {
  /** Most SetParameterValues rounds per session (default 3). */
  maxCycles: number;
  batchSize: number;
  /** First retry of a faulted device after this long, doubling per faulted evaluation. */
  retryBaseMs: number;
  retryMaxMs: number;
  /** Scripts' `http.get` (null: not configured). */
  http?: HttpExtension | null;
  /** Most extension GETs one session makes for scripts (default 8). */
  maxFetches?: number;
}

export const DEFAULT_POLICY_SESSION_SETTINGS: PolicySessionSettings = {
  maxCycles: 3,
  batchSize: 256,
  retryBaseMs: 10 * 60_000,
  retryMaxMs: 24 * 60 * 60_000,
};

/** Rounds of extension GETs before one step (a script may need one answer to know the next URL). */
const FETCH_ROUNDS = 3;

/** The device as the engine sees it in a session. */
export function sessionFacts(view: SessionView): DeviceFacts {
  const d = view.device;
  return {
    id: view.deviceId,
    identity: view.inform.deviceId,
    tags: d?.tags ?? [],
    firstInform: d?.firstInform ?? view.startedAt,
    lastInform: view.startedAt,
    lastBoot: d?.lastBoot ?? null,
    lastBootstrap: d?.lastBootstrap ?? null,
    ...rootOf(view),
  };
}

/** The device's data model root, from its Inform's parameters ("Device." or "InternetGatewayDevice."). */
function rootOf(view: SessionView): { root?: string } {
  const first = view.inform.parameterList.find((p) => !p.name.startsWith('VirtualParameters.'))?.name;
  const dot = first?.indexOf('.') ?? -1;
  return first !== undefined && dot > 0 ? { root: first.slice(0, dot + 1) } : {};
}

/** The policy program of one session, or none when the set is empty or nothing is active. */
export function policyProgram(ctx: ProgramContext, set: PolicySet, settings: PolicySessionSettings): Program | null {
  // Virtual parameters alone are reason enough: evaluated sessions record their values.
  if (set.size === 0 && set.virtual.size === 0) return null;
  const { view } = ctx;
  const keys = new Set(view.inform.event.map((e) => eventKey(e.eventCode)));
  const bootstrap = keys.has(eventKey(EV.BOOTSTRAP));
  const memo = parseMemo(view.policyMemo);
  const now = view.now();
  // A faulted policy waits out its back-off, whatever else makes the device evaluate; a
  // factory reset (0 BOOTSTRAP) is a new start.
  const backoff = bootstrap ? {} : (memo?.f ?? {});
  // Schedules: which policies have a window open now (the device's zone as its memo kept it).
  const windows = new Map<string, number>();
  for (const p of set.policies) {
    const at = openWindow(p, memo?.z ?? null, now);
    if (at !== null) windows.set(p.id, at);
  }
  const active = (p: PolicyRecord): boolean => (triggeredBy(p, keys) || windows.has(p.id)) && !((backoff[p.id]?.at ?? 0) > now);
  if (!set.policies.some(active) && set.virtual.size === 0) return null;
  const referenced = new Set(set.paths);
  const informed = view.inform.parameterList.filter((p) => referenced.has(p.name));
  const tags = view.device?.tags ?? [];
  const eager =
    bootstrap ||
    memo === null ||
    memo.h !== digest(set.key, tags, informed.map((p) => [p.name, p.value])) ||
    (memo.due !== null && now >= memo.due) ||
    set.policies.some((p) => p.triggers.length > 0 && triggeredBy(p, keys) && active(p)) ||
    // A window not yet applied in (once applied, later sessions in it stay idle).
    set.policies.some((p) => windows.has(p.id) && memo?.w?.[p.id] !== windows.get(p.id) && active(p));
  const target = new PolicyTarget(ctx, set, active, settings, eager, informed.map((p) => p.name), bootstrap ? {} : (memo?.made ?? {}), backoff, windows);
  const converge = new ConvergeProgram('policies', view, target, { maxCycles: settings.maxCycles, batchSize: settings.batchSize, ignoreStored: bootstrap });
  return new PolicyProgram(converge, new NotificationStep(view, () => target.evaluation, bootstrap), set.hasScripts && settings.http ? target : null);
}

/**
 * Values first (convergence), then notification attributes: what the evaluation wants that
 * the stored tree does not show (a bootstrap: all of it), in one SetParameterAttributes. The
 * answer is written to the tree (src/session/driver.ts), so the next evaluation finds it set.
 */
class PolicyProgram implements Program {
  readonly name = 'policies';
  readonly storedPaths?: readonly string[];
  readonly prepare?: () => Promise<void>;
  #onSecond = false;

  constructor(
    readonly first: ConvergeProgram,
    readonly second: NotificationStep,
    fetcher: PolicyTarget | null,
  ) {
    if (first.storedPaths !== undefined) this.storedPaths = first.storedPaths;
    // Only a set with scripts, with the HTTP extension configured, has anything to prepare.
    if (fetcher !== null) this.prepare = () => (this.#onSecond ? Promise.resolve() : fetcher.fetchNeeded(first.reader));
  }

  next(): ProgramRpc | null {
    if (!this.#onSecond) {
      const rpc = this.first.next();
      if (rpc !== null) return rpc;
      this.#onSecond = true;
    }
    return this.second.next();
  }

  learn(answer: RpcOutcome): void {
    if (this.#onSecond) this.second.learn();
    else this.first.learn(answer);
  }
}

class NotificationStep {
  #sent = false;

  constructor(
    readonly view: SessionView,
    readonly evaluation: () => PolicyEvaluation | null,
    readonly ignoreStored: boolean,
  ) {}

  next(): ProgramRpc | null {
    if (this.#sent) return null;
    this.#sent = true;
    const e = this.evaluation();
    if (e === null) return null;
    const wanted = e.notifications.filter((n) => this.ignoreStored || this.view.stored(n.path)?.notification !== n.notification);
    if (wanted.length === 0) return null;
    return {
      request: {
        method: 'SetParameterAttributes',
        parameterList: wanted.map((n) => ({ name: n.path, notificationChange: true, notification: n.notification, accessListChange: false, accessList: [] })),
      },
      requestId: null,
    };
  }

  learn(): void {
    // A refusal (9009: the CPE denies active notification on that parameter) is not retried this session.
  }
}

class PolicyTarget implements ConvergeTarget {
  readonly storedPaths?: readonly string[];
  readonly #ctx: ProgramContext;
  readonly #set: PolicySet;
  readonly #active: (p: PolicyRecord) => boolean;
  readonly #settings: PolicySessionSettings;
  readonly #eager: boolean;
  readonly #informed: readonly string[];
  readonly #facts: DeviceFacts;
  /** Instances added for object declarations, not yet seen set up (the memo's `made`). */
  readonly #made: Map<string, string>;
  /** Faulted policies' back-off as the session found it (the memo's `f`). */
  readonly #backoff: Readonly<Record<string, Backoff>>;
  /** Policies whose schedule window is open, with its opening time. */
  readonly #windows: ReadonlyMap<string, number>;
  readonly #context: EvaluationContext;
  /** Extension GETs asked for this session. */
  readonly #fetched = new Set<string>();
  #wanted: boolean | null = null;
  #last: PolicyEvaluation | null = null;

  /** The last evaluation this session (null: the device was not evaluated). */
  get evaluation(): PolicyEvaluation | null {
    return this.#last;
  }

  constructor(
    ctx: ProgramContext,
    set: PolicySet,
    active: (p: PolicyRecord) => boolean,
    settings: PolicySessionSettings,
    eager: boolean,
    informed: readonly string[],
    made: Readonly<Record<string, string>>,
    backoff: Readonly<Record<string, Backoff>>,
    windows: ReadonlyMap<string, number>,
  ) {
    this.#ctx = ctx;
    this.#backoff = backoff;
    this.#windows = windows;
    this.#made = new Map(Object.entries(made));
    this.#set = set;
    this.#active = active;
    this.#settings = settings;
    this.#eager = eager;
    this.#informed = informed;
    this.#facts = sessionFacts(ctx.view);
    if (eager) this.storedPaths = set.paths;
    const scripts: ScriptMemo = new Map();
    const allVirtual = set.virtual.size > 0;
    const http = settings.http ?? null;
    const budget = settings.maxFetches ?? 8;
    this.#context = {
      scripts,
      allVirtual,
      made: (ref) => this.#made.get(ref),
      ...(http !== null
        ? {
            http: (path: string): FetchState =>
              http.lookup(path) ??
              (this.#fetched.has(path) || this.#fetched.size >= budget ? { error: `http.get("${path.slice(0, 100)}"): more than ${budget} GETs in one session, or the answer expired` } : undefined),
          }
        : {}),
    };
  }

  /**
   * Before a step: what the scripts of active policies need from the HTTP extension, fetched
   * (bounded: a few rounds, `maxFetches` GETs per session, each with the extension's timeout).
   * The evaluation is the one the step makes next; the script memo makes it cheap to repeat.
   */
  async fetchNeeded(read: Reader): Promise<void> {
    const http = this.#settings.http;
    if (http === null || http === undefined) return;
    this.#wanted ??= this.wanted(this.#ctx.view);
    if (!this.#wanted) return;
    for (let round = 0; round < FETCH_ROUNDS; round++) {
      const e = this.#set.evaluate(this.#facts, read, this.#active, this.#ctx.view.now(), this.#context);
      const todo = e.fetches.filter((f) => !this.#fetched.has(f)).slice(0, Math.max(0, (this.#settings.maxFetches ?? 8) - this.#fetched.size));
      if (todo.length === 0) return;
      for (const f of todo) this.#fetched.add(f);
      await http.fetchAll(todo);
    }
  }

  /**
   * An idle device is still evaluated when something earlier in this session (a task) changed
   * a parameter the policies read: then without stored values, reading what it needs.
   */
  wanted(view: SessionView): boolean {
    if (this.#eager) return true;
    const inInform = new Map(view.inform.parameterList.map((p) => [p.name, p.value]));
    return this.#set.paths.some((path) => {
      const learnt = view.learnt(path);
      return learnt !== undefined && learnt.value !== inInform.get(path);
    });
  }

  evaluate(read: Reader, tables: TableReader): Evaluation {
    this.#last = this.#set.evaluate(this.#facts, read, this.#active, this.#ctx.view.now(), { ...this.#context, tables });
    return this.#last;
  }

  /**
   * Remembered at once, in a commit of its own (the last one recorded wins): a session that
   * dies before its end still writes it, and the next session sets this instance up instead
   * of adding another. Its due time makes that next session evaluate.
   */
  created(ref: string, instance: string): void {
    this.#made.set(ref, instance);
    const memo = parseMemo(this.#ctx.view.policyMemo);
    const f = this.#backoff;
    this.#ctx.record.policy({
      memo: formatMemo({ h: '', due: this.#ctx.view.now(), n: memo?.n ?? 0, made: Object.fromEntries(this.#made), ...(Object.keys(f).length > 0 ? { f } : {}), ...(memo?.z !== undefined ? { z: memo.z } : {}) }),
      evaluated: [],
      compliance: [],
    });
  }

  finish(result: ConvergeResult): void {
    const e = this.#last;
    if (e === null) return;
    const view = this.#ctx.view;
    const now = view.now();
    const compliance: Omit<ComplianceRecord, 'deviceId'>[] = [];
    const evaluated: string[] = [];
    for (const p of this.#set.policies) {
      if (!this.#active(p)) continue;
      evaluated.push(p.id);
      const m = e.matched.get(p.id);
      if (m === false) continue; // not applicable: no row
      const base = { policyId: p.id, revision: p.revision, at: now };
      const error = e.errors.get(p.id);
      if (error !== undefined) {
        compliance.push({ ...base, state: 'faulted', fault: error });
        continue;
      }
      if (m === undefined) {
        compliance.push({ ...base, state: 'pending', fault: null });
        continue;
      }
      let state: 'compliant' | 'pending' | 'faulted' = 'compliant';
      let fault: ComplianceRecord['fault'] = null;
      for (const path of e.owned.get(p.id) ?? []) {
        const f = result.faults.get(path);
        if (f !== undefined) {
          state = 'faulted';
          fault ??= { ...f, path };
          continue;
        }
        const want = e.desired.find((d) => d.path === path);
        const have = result.read(path);
        if (want === undefined || have === undefined || have === null || !sameValue(have.value, want.value, have.type)) {
          if (state === 'compliant') state = 'pending';
        }
      }
      for (const key of e.objectWork.get(p.id) ?? []) {
        const f = result.faults.get(key);
        if (f !== undefined) {
          state = 'faulted';
          fault ??= { ...f, path: key.includes('[') ? key.slice(0, key.indexOf('[')) : key };
        } else if (state === 'compliant') state = 'pending';
      }
      if (state === 'compliant' && e.stale.length > 0 && !result.settled) state = 'pending';
      if (state === 'compliant' && e.waiting.has(p.id)) state = 'pending';
      compliance.push({ ...base, state, fault });
    }
    // Back-off per policy: a faulted one waits base · 2^(n−1); an evaluated one that is not
    // faulted (compliant, pending, no longer applicable) starts over.
    const f: Record<string, Backoff> = { ...this.#backoff };
    for (const id of evaluated) delete f[id];
    for (const c of compliance) {
      if (c.state !== 'faulted') continue;
      const n = (this.#backoff[c.policyId]?.n ?? 0) + 1;
      const at = now + retryDelay(n, this.#settings.retryBaseMs, this.#settings.retryMaxMs);
      f[c.policyId] = { n, at };
      c.fault = { ...(c.fault ?? { faultCode: 0, faultString: 'faulted' }), retryAt: at };
    }
    const pending = compliance.some((c) => c.state === 'pending') || !result.settled;
    const retries = Object.values(f).map((b) => b.at);
    const due = pending ? now : retries.length > 0 ? Math.min(...retries) : null;
    const n = Math.max(0, ...Object.values(f).map((b) => b.n));
    const values = this.#informed.flatMap((path): [string, string][] => {
      const k = result.read(path);
      return k === undefined || k === null ? [] : [[path, k.value]];
    });
    const h = digest(this.#set.key, view.device?.tags ?? [], values);
    // Virtual parameters go into the tree like any parameter (unchanged rows are not rewritten),
    // so the device list filters, sorts and shows them.
    const computed = [...e.virtual].flatMap(([name, k]) => (k === undefined || k === null ? [] : [{ name, value: k.value, type: k.type }]));
    if (computed.length > 0) this.#ctx.record.values?.(computed);
    const made = this.#stillMade(result);
    // Windows applied in: those whose policy ended compliant (a pending or faulted one tries again).
    const memo = parseMemo(view.policyMemo);
    const w: Record<string, number> = {};
    for (const [id, at] of this.#windows) {
      const c = compliance.find((r) => r.policyId === id);
      if (memo?.w?.[id] === at || (evaluated.includes(id) && (c === undefined || c.state === 'compliant'))) w[id] = at;
    }
    const z = ZONE_PATHS.map((path) => result.read(path)).find((k) => k !== undefined && k !== null && k.value.trim() !== '')?.value ?? memo?.z;
    this.#ctx.record.policy({
      memo: formatMemo({
        h,
        due,
        n,
        ...(made !== null ? { made } : {}),
        ...(Object.keys(f).length > 0 ? { f } : {}),
        ...(z !== undefined ? { z } : {}),
        ...(Object.keys(w).length > 0 ? { w } : {}),
      }),
      evaluated,
      compliance,
    });
  }

  /**
   * Made instances still to remember: those not deleted whose set-up is unfinished (its ref
   * still open, or a value claimed under it not in place, a refused key for one).
   */
  #stillMade(result: ConvergeResult): Record<string, string> | null {
    const e = this.#last;
    if (e === null) return null;
    const keep: [string, string][] = [];
    for (const [ref, instance] of this.#made) {
      if (result.read(`${instance}`) === null) continue; // deleted this session
      const open = [...e.objectWork.values()].some((keys) => keys.includes(ref));
      const unset = e.desired.some((d) => {
        if (!d.path.startsWith(instance)) return false;
        const have = result.read(d.path);
        return have === undefined || have === null || !sameValue(have.value, d.value, have.type);
      });
      if (open || unset) keep.push([ref, instance]);
    }
    return keep.length > 0 ? Object.fromEntries(keep) : null;
  }
}
