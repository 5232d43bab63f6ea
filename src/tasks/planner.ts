/**
 * The planner: a device's ordered tasks → the fewest RPCs, one at a time, learning from each
 * answer. Pure (no I/O, no clock): the session asks `next()` for the request to send and
 * feeds the CPE's answer to `learn()`, which returns the task outcomes it settles.
 *
 * Order is kept: tasks run in their queue order. What is merged:
 *  - a run of adjacent reads — getParameterValues and refresh — becomes, first, one
 *    GetParameterNames (NextLevel false) per refresh, then GetParameterValues of every name
 *    the run needs (each name once), in batches of `batchSize` names;
 *  - a run of adjacent getParameterAttributes becomes GetParameterAttributes batches alike.
 * Instance wildcards ("Device.WiFi.SSID.*.SSID", CWMP 1.4) in reads go to the device as they
 * are when it declares InstanceWildcardsSupported (`wildcards`); otherwise the table is
 * listed first (GetParameterNames of what precedes the `*`) and the matching names are read.
 *  - a run of adjacent setParameterValues that set different names becomes one
 *    SetParameterValues (SetValuesUnit).
 * A merged RPC that faults is split — each task's names retried alone — so a fault lands on
 * the task that caused it, not on its neighbours. Other tasks are one RPC each, except
 * addObject with initial values: AddObject, then SetParameterValues on the new instance.
 *
 * With `wholeTree` (discovery), a lone refresh of an object whose GetParameterNames lists at
 * most that many leaves reads them with one GetParameterValues of the object itself (a partial
 * path: the CPE answers every value under it), instead of ~N/batchSize round trips. That RPC
 * is `optional`: if it faults — or a quirk layer refuses it for a device that can only take
 * so many names per read — the leaves are read in batches as without the option.
 */
import type { RpcOutcome } from '../cwmp/acs-session.js';
import type { AcsRequest, CpeResponse, Fault, ParameterAttribute, ParameterInfo, ParameterValue } from '../cwmp/types.js';
import { hasAlias, hasWildcard, matchesPattern, wildcardPrefix } from '../datamodel/instance-paths.js';
import { requestFor, toParameterValues, type SingleRpcTask } from './rpc.js';
import type { RequestOutcome, Task, TaskRecord } from './types.js';

/**
 * What an answer settles: a task's outcome, or the progress of one (a non-idempotent step
 * that succeeded while the task is not finished: addObject's instance exists, its values are
 * not set yet). Progress is kept on the task (SessionRecorder.progress), so a session that
 * dies next does not make the following one repeat the step.
 */
export type PlanOutcome = RequestOutcome | { requestId: string; state: 'progress'; response: CpeResponse; at: number };

export interface PlannedRpc {
  request: AcsRequest;
  /** The task ids the RPC serves, comma-separated (the session log's requestId). */
  tag: string;
  /** The plan has another way to the same answer (ProgramRpc.optional). */
  optional?: boolean;
}

export interface PlanOptions {
  /** Most names in one GetParameterValues / GetParameterAttributes (default 256). */
  batchSize?: number;
  /**
   * A faulted batch of a task's own names is skipped (as if answered with nothing) instead of
   * faulting the task. Discovery uses it: a CPE that cannot read a few of the names it listed
   * still gets the rest of its tree read.
   */
  skipFaultedBatches?: boolean;
  /** The device takes instance wildcards in GPV/GPN/GPA (ManagementServer.InstanceWildcardsSupported). */
  wildcards?: boolean;
  /**
   * Most leaves a lone refresh reads with one GetParameterValues of its object (see the file
   * comment); absent or 0: always in batches. Bounded because the answer must fit the ACS's
   * body and element limits (src/acs/config.ts maxBodyBytes, src/cwmp/xml.ts).
   */
  wholeTree?: number;
  /**
   * Reads' outcomes carry the values read (default). False: a read's outcome is only done or
   * faulted, with an empty answer — for a plan whose outcomes nobody keeps (discovery: what it
   * reads reaches the stored tree through the session's parameter ops), so a 5,000-value
   * answer is not matched against the listing a second time.
   */
  answers?: boolean;
}

/**
 * What the planner needs of a task: its id (the outcomes' requestId), the task, and what an
 * earlier session recorded of it (addObject's AddObjectResponse: the instance already made).
 */
export type PlannedTask = Pick<TaskRecord, 'id' | 'task'> & { response?: CpeResponse | null };

interface Unit {
  /** The next RPC, or null when the unit is finished. */
  next(): PlannedRpc | null;
  /** The answer to the RPC `next` returned last. */
  learn(outcome: RpcOutcome, at: number): PlanOutcome[];
}

export class TaskPlan {
  readonly #units: Unit[];
  #index = 0;
  #waiting: Unit | null = null;

  constructor(tasks: readonly PlannedTask[], opts: PlanOptions = {}) {
    this.#units = buildUnits(tasks, { batchSize: Math.max(1, opts.batchSize ?? 256), skipFaultedBatches: opts.skipFaultedBatches ?? false, wildcards: opts.wildcards ?? false, wholeTree: opts.wholeTree ?? 0, answers: opts.answers ?? true });
  }

  next(): PlannedRpc | null {
    if (this.#waiting !== null) throw new Error('TaskPlan.next called before the previous answer was learnt');
    while (this.#index < this.#units.length) {
      const unit = this.#units[this.#index]!;
      const rpc = unit.next();
      if (rpc !== null) {
        this.#waiting = unit;
        return rpc;
      }
      this.#index++;
    }
    return null;
  }

  learn(outcome: RpcOutcome, at: number): PlanOutcome[] {
    const unit = this.#waiting;
    if (unit === null) throw new Error('TaskPlan.learn without a request outstanding');
    this.#waiting = null;
    return unit.learn(outcome, at);
  }
}

type ReadKind = 'values' | 'attributes';

function readKindOf(task: Task): ReadKind | null {
  if (task.type === 'getParameterValues' || task.type === 'refresh') return 'values';
  if (task.type === 'getParameterAttributes') return 'attributes';
  return null;
}

type ReadOptions = Required<Pick<PlanOptions, 'batchSize' | 'skipFaultedBatches' | 'wildcards' | 'wholeTree' | 'answers'>>;

function buildUnits(tasks: readonly PlannedTask[], opts: ReadOptions): Unit[] {
  const units: Unit[] = [];
  let run: PlannedTask[] = [];
  let runKind: ReadKind | null = null;
  // A run of adjacent setParameterValues and the names it sets (see SetValuesUnit).
  let sets: PlannedTask[] = [];
  let setNames = new Set<string>();
  const flush = (): void => {
    if (run.length > 0 && runKind !== null) units.push(new ReadUnit(runKind, run, opts));
    run = [];
    runKind = null;
    if (sets.length === 1) units.push(new SingleUnit(sets[0]!, sets[0]!.task as SingleRpcTask));
    else if (sets.length > 1) units.push(new SetValuesUnit(sets));
    sets = [];
    setNames = new Set();
  };
  for (const t of tasks) {
    const kind = readKindOf(t.task);
    if (kind !== null && kind === runKind) {
      run.push(t);
      continue;
    }
    if (t.task.type === 'setParameterValues') {
      const names = t.task.parameterValues.map(([name]) => name);
      // A name set twice would make the merged request invalid; the later task waits its turn.
      const joins = runKind === null && names.every((n) => !setNames.has(n)) && setNames.size + names.length <= opts.batchSize;
      if (!joins) flush();
      sets.push(t);
      for (const n of names) setNames.add(n);
      continue;
    }
    flush();
    if (kind !== null) {
      run = [t];
      runKind = kind;
    } else if (t.task.type === 'addObject') {
      units.push(new AddObjectUnit(t));
    } else {
      units.push(new SingleUnit(t, t.task as SingleRpcTask));
    }
  }
  flush();
  return units;
}

const done = (t: PlannedTask, response: CpeResponse, at: number): RequestOutcome => ({ requestId: t.id, state: 'done', response, at });
const faulted = (t: PlannedTask, fault: Fault['detail'], at: number, response: CpeResponse | null = null): RequestOutcome => ({
  requestId: t.id,
  state: 'fault',
  fault,
  at,
  response,
});

class SingleUnit implements Unit {
  #sent = false;
  constructor(
    readonly record: PlannedTask,
    readonly task: SingleRpcTask,
  ) {}

  next(): PlannedRpc | null {
    if (this.#sent) return null;
    this.#sent = true;
    return { request: requestFor(this.task), tag: this.record.id };
  }

  learn(outcome: RpcOutcome, at: number): PlanOutcome[] {
    return [outcome.ok ? done(this.record, outcome.response, at) : faulted(this.record, outcome.fault, at)];
  }
}

/**
 * A run of adjacent setParameterValues tasks that set different names: one SetParameterValues
 * of all their values, each task's outcome its answer. The CPE applies a SetParameterValues
 * whole or not at all (TR-069 A.3.2.1), so the run leaves the device as the tasks one by one
 * would; its ParameterKey is the last task's, the key those requests would have left. If the
 * merged request faults, nothing was applied and each task is sent alone, in order, so the
 * fault lands on the task that caused it (setting a value again is harmless).
 */
class SetValuesUnit implements Unit {
  /** Each task as its own SingleUnit, once the merged request faulted; null before that. */
  #alone: SingleUnit[] | null = null;
  #sent = false;
  constructor(readonly tasks: readonly PlannedTask[]) {}

  next(): PlannedRpc | null {
    if (this.#alone === null) {
      if (this.#sent) return null;
      this.#sent = true;
      const parameterList = this.tasks.flatMap((t) => toParameterValues(setTask(t).parameterValues));
      const parameterKey = setTask(this.tasks.at(-1)!).parameterKey;
      return { request: { method: 'SetParameterValues', parameterList, parameterKey }, tag: this.tasks.map((t) => t.id).join(',') };
    }
    return this.#alone[0]?.next() ?? null;
  }

  learn(outcome: RpcOutcome, at: number): PlanOutcome[] {
    if (this.#alone === null) {
      if (outcome.ok) return this.tasks.map((t) => done(t, outcome.response, at));
      this.#alone = this.tasks.map((t) => new SingleUnit(t, setTask(t)));
      return [];
    }
    return this.#alone.shift()!.learn(outcome, at);
  }
}

const setTask = (t: PlannedTask): Extract<Task, { type: 'setParameterValues' }> => t.task as Extract<Task, { type: 'setParameterValues' }>;

const withDot = (path: string): string => (path.endsWith('.') ? path : `${path}.`);

class AddObjectUnit implements Unit {
  #step: 'add' | 'set' | 'done' = 'add';
  #added: CpeResponse | null = null;
  #instance = 0;
  readonly #task: Extract<Task, { type: 'addObject' }>;

  constructor(readonly record: PlannedTask) {
    this.#task = record.task as Extract<Task, { type: 'addObject' }>;
    // An earlier session made the instance and then failed: never AddObject again, set its values.
    const earlier = record.response;
    if (earlier?.method === 'AddObjectResponse') {
      this.#added = earlier;
      this.#instance = earlier.instanceNumber;
      this.#step = this.#task.parameterValues.length > 0 ? 'set' : 'done';
    }
  }

  next(): PlannedRpc | null {
    const t = this.#task;
    if (this.#step === 'add') {
      return { request: { method: 'AddObject', objectName: t.objectName, parameterKey: t.parameterKey }, tag: this.record.id };
    }
    if (this.#step === 'set') {
      // "Table.[alias]." (CWMP 1.4) made an instance of Table.
      const base = `${withDot(t.objectName).replace(/\[[^\]]+\]\.$/, '')}${this.#instance}.`;
      const parameterList = toParameterValues(t.parameterValues).map((p) => ({ ...p, name: base + p.name }));
      return { request: { method: 'SetParameterValues', parameterList, parameterKey: t.parameterKey }, tag: this.record.id };
    }
    return null;
  }

  learn(outcome: RpcOutcome, at: number): PlanOutcome[] {
    if (!outcome.ok) {
      this.#step = 'done';
      return [faulted(this.record, outcome.fault, at, this.#added)];
    }
    if (this.#step === 'add' && outcome.response.method === 'AddObjectResponse') {
      this.#added = outcome.response;
      this.#instance = outcome.response.instanceNumber;
      if (this.#task.parameterValues.length > 0) {
        this.#step = 'set';
        // Recorded at once: if the session dies before the values are set, the next one
        // continues with this instance instead of adding another.
        return [{ requestId: this.record.id, state: 'progress', response: outcome.response, at }];
      }
    }
    this.#step = 'done';
    return [done(this.record, this.#added ?? outcome.response, at)];
  }
}

interface Batch {
  names: string[];
  /** Each task the batch serves, with its names in it. */
  owners: Map<PlannedTask, string[]>;
}

type ReadItem = ParameterValue | ParameterAttribute;

/** A run of adjacent reads of one kind (see the file comment). */
class ReadUnit implements Unit {
  readonly #kind: ReadKind;
  readonly #batchSize: number;
  readonly #skipFaultedBatches: boolean;
  readonly #tasks: PlannedTask[];
  /**
   * GetParameterNames still to send, in order: a refresh's object, or the table before a
   * wildcard the device cannot take (`pattern`: keep only the names it matches).
   */
  readonly #toList: { task: PlannedTask; path: string; pattern: string | null }[] = [];
  readonly #names = new Map<PlannedTask, string[]>();
  #batches: Batch[] | null = null;
  readonly #remaining = new Map<PlannedTask, number>();
  readonly #collected = new Map<PlannedTask, Map<string, ReadItem>>();
  readonly #finished = new Set<PlannedTask>();
  readonly #wholeTree: number;
  readonly #answers: boolean;
  /** A lone refresh to read with one GetParameterValues of its object, once listed (`wholeTree`). */
  #whole: { task: PlannedTask; object: string } | null = null;
  #pending:
    | { kind: 'names'; task: PlannedTask; pattern: string | null }
    | { kind: 'batch'; batch: Batch }
    | { kind: 'whole'; task: PlannedTask; object: string }
    | null = null;

  constructor(kind: ReadKind, tasks: PlannedTask[], opts: ReadOptions) {
    const { batchSize, skipFaultedBatches, wildcards } = opts;
    this.#kind = kind;
    this.#batchSize = batchSize;
    this.#skipFaultedBatches = skipFaultedBatches;
    this.#wholeTree = kind === 'values' && tasks.length === 1 ? opts.wholeTree : 0;
    this.#answers = opts.answers;
    this.#tasks = tasks;
    for (const t of tasks) {
      if (t.task.type === 'refresh') {
        const o = t.task.objectName;
        if (hasWildcard(o) && !wildcards) this.#toList.push({ task: t, path: wildcardPrefix(o), pattern: o });
        else this.#toList.push({ task: t, path: o, pattern: null });
        this.#names.set(t, []);
      } else if (t.task.type === 'getParameterValues' || t.task.type === 'getParameterAttributes') {
        const names = t.task.parameterNames;
        if (wildcards || !names.some(hasWildcard)) {
          this.#names.set(t, names);
          continue;
        }
        // Expanded here: the plain names now, each wildcard's matches once its table is listed.
        this.#names.set(t, names.filter((n) => !hasWildcard(n)));
        for (const n of names.filter(hasWildcard)) this.#toList.push({ task: t, path: wildcardPrefix(n), pattern: n });
      }
    }
  }

  next(): PlannedRpc | null {
    while (this.#toList[0] !== undefined && this.#finished.has(this.#toList[0].task)) this.#toList.shift();
    const listing = this.#toList[0];
    if (listing !== undefined) {
      this.#pending = { kind: 'names', task: listing.task, pattern: listing.pattern };
      return { request: { method: 'GetParameterNames', parameterPath: listing.path, nextLevel: false }, tag: listing.task.id };
    }
    const whole = this.#whole;
    if (whole !== null) {
      this.#whole = null;
      this.#pending = { kind: 'whole', ...whole };
      return { request: { method: 'GetParameterValues', parameterNames: [whole.object] }, tag: whole.task.id, optional: true };
    }
    this.#batches ??= this.#plan();
    while (this.#batches.length > 0) {
      const batch = this.#batches.shift()!;
      // Drop what belongs only to tasks that have faulted meanwhile.
      for (const t of [...batch.owners.keys()]) if (this.#finished.has(t)) batch.owners.delete(t);
      if (batch.owners.size === 0) continue;
      const live = new Set([...batch.owners.values()].flat());
      batch.names = batch.names.filter((n) => live.has(n));
      this.#pending = { kind: 'batch', batch };
      const tag = [...batch.owners.keys()].map((t) => t.id).join(',');
      const request: AcsRequest =
        this.#kind === 'values'
          ? { method: 'GetParameterValues', parameterNames: batch.names }
          : { method: 'GetParameterAttributes', parameterNames: batch.names };
      return { request, tag };
    }
    return null;
  }

  learn(outcome: RpcOutcome, at: number): PlanOutcome[] {
    const pending = this.#pending;
    this.#pending = null;
    if (pending === null) return [];
    if (pending.kind === 'names') {
      this.#toList.shift();
      const t = pending.task;
      if (!outcome.ok) return this.#fail(t, outcome.fault, at);
      if (outcome.response.method !== 'GetParameterNamesResponse') return [];
      const pattern = pending.pattern;
      const leaves = pattern === null ? leavesOf(outcome.response.parameterList) : outcome.response.parameterList.filter((p) => !p.name.endsWith('.') && matchesPattern(pattern, p.name)).map((p) => p.name);
      const names = [...(this.#names.get(t) ?? []), ...leaves];
      this.#names.set(t, names);
      if (names.length === 0 && !this.#toList.some((l) => l.task === t)) {
        this.#finished.add(t);
        return [done(t, this.#response([]), at)];
      }
      const object = t.task.type === 'refresh' ? t.task.objectName : '';
      // One leaf is one name either way; a partial path is what saves round trips.
      if (pattern === null && object.endsWith('.') && names.length > 1 && names.length <= this.#wholeTree) this.#whole = { task: t, object };
      return [];
    }
    if (pending.kind === 'whole') return this.#learnWhole(pending.task, outcome, at);
    const { batch } = pending;
    if (!outcome.ok && !(this.#skipFaultedBatches && batch.owners.size === 1)) {
      if (batch.owners.size === 1) {
        const [t] = batch.owners.keys();
        return this.#fail(t!, outcome.fault, at);
      }
      // Split: each task's names alone, in front, so the fault finds its owner.
      const alone = [...batch.owners].map(([t, names]): Batch => ({ names, owners: new Map([[t, names]]) }));
      this.#batches!.unshift(...alone);
      return [];
    }
    // Without answers (discovery) a batch's values are matched to nothing: its outcome is empty.
    const items: ReadItem[] = !outcome.ok || !this.#answers
      ? []
      : outcome.response.method === 'GetParameterValuesResponse' || outcome.response.method === 'GetParameterAttributesResponse'
        ? outcome.response.parameterList
        : [];
    const out: RequestOutcome[] = [];
    for (const [t, names] of batch.owners) {
      const mine = this.#collected.get(t) ?? new Map<string, ReadItem>();
      this.#collected.set(t, mine);
      // A Set for exact names: a discovery batch is hundreds of names, answered by as many items.
      const exact = new Set(names);
      const subtrees = names.filter((n) => n.endsWith('.') && !hasWildcard(n) && !hasAlias(n));
      const patterns = names.filter((n) => hasWildcard(n) || hasAlias(n));
      for (const item of items) {
        if (exact.has(item.name) || subtrees.some((n) => item.name.startsWith(n)) || patterns.some((p) => matchesPattern(p, item.name))) mine.set(item.name, item);
      }
      const left = (this.#remaining.get(t) ?? 1) - 1;
      this.#remaining.set(t, left);
      if (left === 0 && !this.#finished.has(t)) {
        this.#finished.add(t);
        out.push(done(t, this.#response([...mine.values()]), at));
      }
    }
    return out;
  }

  /**
   * The answer to the GetParameterValues of a refresh's object: the values of the leaves its
   * GetParameterNames listed (anything else a hostile CPE adds is not ours to store). On a
   * fault the leaves are read in batches (#plan), as they would have been without `wholeTree`.
   */
  #learnWhole(t: PlannedTask, outcome: RpcOutcome, at: number): PlanOutcome[] {
    if (!outcome.ok || outcome.response.method !== 'GetParameterValuesResponse') return [];
    const names = this.#names.get(t) ?? [];
    const items = outcome.response.parameterList;
    this.#finished.add(t);
    if (!this.#answers) return [done(t, this.#response([]), at)];
    // A CPE answers the root's values in the order it listed the names: then the answer is
    // exactly the listed leaves, compared one by one instead of through a 5,000-entry map (a
    // bootstrap's largest cost in this planner). One set remains: the path below collapses
    // duplicate names, so the fast path also requires the listed names to be unique.
    if (items.length === names.length && items.every((item, i) => item.name === names[i]) && new Set(names).size === names.length) {
      return [done(t, this.#response([...items]), at)];
    }
    const listed = new Set(names);
    const mine = new Map<string, ReadItem>();
    for (const item of items) if (listed.has(item.name)) mine.set(item.name, item);
    return [done(t, this.#response([...mine.values()]), at)];
  }

  #response(items: ReadItem[]): CpeResponse {
    return this.#kind === 'values'
      ? { method: 'GetParameterValuesResponse', parameterList: items as ParameterValue[] }
      : { method: 'GetParameterAttributesResponse', parameterList: items as ParameterAttribute[] };
  }

  #fail(t: PlannedTask, fault: Fault['detail'], at: number): RequestOutcome[] {
    if (this.#finished.has(t)) return [];
    this.#finished.add(t);
    return [faulted(t, fault, at)];
  }

  /** Every live task's names, each name once, in task order, cut into batches. */
  #plan(): Batch[] {
    const batches: Batch[] = [];
    const placed = new Map<string, Batch>();
    for (const t of this.#tasks) {
      if (this.#finished.has(t)) continue;
      const names = this.#names.get(t) ?? [];
      const mine = new Set<Batch>();
      for (const name of names) {
        let batch = placed.get(name);
        if (batch === undefined) {
          batch = batches.at(-1);
          if (batch === undefined || batch.names.length >= this.#batchSize) batches.push((batch = { names: [], owners: new Map() }));
          batch.names.push(name);
          placed.set(name, batch);
        }
        const owned = batch.owners.get(t) ?? [];
        if (owned.length === 0) batch.owners.set(t, owned);
        owned.push(name);
        mine.add(batch);
      }
      this.#remaining.set(t, mine.size);
    }
    return batches;
  }
}

/**
 * The leaves of a listing. A frozen one is a model's listing shared by the sessions of every
 * device that sent it (src/cwmp/answer-memo.ts): its leaves are worked out once.
 */
function leavesOf(list: readonly ParameterInfo[]): readonly string[] {
  const known = leavesOfListing.get(list);
  if (known !== undefined) return known;
  const leaves: string[] = [];
  for (const p of list) if (!p.name.endsWith('.')) leaves.push(p.name);
  if (Object.isFrozen(list)) leavesOfListing.set(list, leaves);
  return leaves;
}

const leavesOfListing = new WeakMap<readonly ParameterInfo[], readonly string[]>();
