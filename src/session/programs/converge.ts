/**
 * Convergence as a session program: bring parameters to the values a target wants, in the
 * fewest RPCs, and stop trying when the device will not follow. Each cycle:
 *
 *   1. ask the target what it wants, given what is known (its answer may need values it does
 *      not know yet, or values older than it accepts: those are read first, in one
 *      GetParameterValues per batch, and the target is asked again);
 *   2. set everything that differs in ONE SetParameterValues;
 *   3. re-read what was set, in one GetParameterValues, to confirm the device kept it.
 *
 * A value the device refuses (a SetParameterValues fault, per parameter when the CPE says
 * which) is faulted and not sent again this session; a value it accepts but does not keep is
 * faulted too. At most `maxCycles` set rounds run per session. The target (src/policies)
 * knows what policies are; this program knows only paths and values, so other kinds of
 * desired state (services) reuse it.
 *
 * Tables: a target may also want instances deleted (DeleteObject, one per RPC, before any
 * set) and added (AddObject, named by a reference the target chooses). Neither is sent twice
 * in a session, and the target is told of each instance made (`created`) as it is made, so it
 * can remember it even if the session dies before its end.
 */
import type { RpcOutcome } from '../../cwmp/acs-session.js';
import type { ParameterValue } from '../../cwmp/types.js';
import type { Program, ProgramRpc, SessionView } from '../program.js';

/** A value as the session knows it; `at` is when it was learnt (stored, or this session). */
export interface Known {
  value: string;
  type: string;
  at: number;
}

/** undefined: not known (to be read); null: the device has no such parameter. */
export type Reader = (path: string) => Known | null | undefined;

export interface Want {
  path: string;
  value: string;
  /** xsd type to send; default: the type the device reported, else xsd:string. */
  type?: string;
}

/** A table's instances ("T.3."): undefined when not known (read "T." first), null when the device has none such. */
export type TableReader = (table: string) => readonly string[] | null | undefined;

export interface Evaluation {
  /** Values needed (for a filter, a computed value, a comparison) and not known; "X.Y." reads a subtree. */
  unknown: readonly string[];
  /** Values (or subtrees, "X.Y.") known but too old: read once this session. */
  stale?: readonly string[];
  desired: readonly Want[];
  /** Instances to add to a table ("X.Y."), each named by `ref` (a fault is kept under it). */
  add?: readonly { table: string; ref: string; alias?: string }[];
  /** Instances to delete ("X.Y.3."; a fault is kept under the path). */
  remove?: readonly { path: string }[];
}

export interface PathFault {
  faultCode: number;
  faultString: string;
}

export interface ConvergeResult {
  /** The last evaluation (after the last read). */
  evaluation: Evaluation;
  /** Paths (and object refs, instances) the device refused or did not keep this session. */
  faults: ReadonlyMap<string, PathFault>;
  read: Reader;
  /** False when the cycles ran out with values still to read or set. */
  settled: boolean;
}

export interface ConvergeTarget {
  /** Stored values to fetch before the first RPC (the driver reads every program's at once). */
  readonly storedPaths?: readonly string[];
  /** Checked once, at the program's first turn: false ends it without an RPC or a result. */
  wanted?(view: SessionView): boolean;
  evaluate(read: Reader, tables: TableReader): Evaluation;
  /** An instance was added for `ref` (told at once, before the session goes on). */
  created?(ref: string, instance: string): void;
  finish(result: ConvergeResult): void;
}

export interface ConvergeOptions {
  /** Most SetParameterValues rounds in one session. */
  maxCycles: number;
  /** Most names in one GetParameterValues. */
  batchSize: number;
  /** Stored values are void (0 BOOTSTRAP: the device forgot its configuration). */
  ignoreStored: boolean;
}

/** Not a TR-069 code: the CPE answered the set but reports another value afterwards. */
export const NOT_KEPT: PathFault = { faultCode: 0, faultString: 'the device did not keep the value' };
const NO_SUCH: PathFault = { faultCode: 9005, faultString: 'Invalid parameter name' };

/** xsd:boolean has two spellings per value; everything else compares as text. */
export function sameValue(a: string, b: string, type: string | undefined): boolean {
  if (a === b) return true;
  if (type === 'xsd:boolean') {
    const norm = (v: string): string => (v === '1' || v.toLowerCase() === 'true' ? 't' : v === '0' || v.toLowerCase() === 'false' ? 'f' : v);
    return norm(a) === norm(b);
  }
  return false;
}

type Phase =
  | { kind: 'read'; names: string[] }
  | { kind: 'set'; wants: Want[] }
  | { kind: 'confirm'; wants: Want[] }
  | { kind: 'add'; table: string; ref: string; alias?: string }
  | { kind: 'remove'; path: string };

export class ConvergeProgram implements Program {
  readonly storedPaths?: readonly string[];
  readonly #view: SessionView;
  readonly #target: ConvergeTarget;
  readonly #opts: ConvergeOptions;
  /** Read this session, including absent (null). */
  readonly #read = new Map<string, Known | null>();
  readonly #faults = new Map<string, PathFault>();
  /** Names asked for once already: a read is never repeated in a session. */
  readonly #asked = new Set<string>();
  /** Names to read one by one (a batch with them faulted without saying which). */
  readonly #singles = new Set<string>();
  /** Sets to send one by one, for the same reason. */
  #setSingly = false;
  /** Subtrees ("X.Y.") read this session, and those the device said it does not have. */
  readonly #subtrees = new Set<string>();
  readonly #absent = new Set<string>();
  /** Instances added (ref → "X.Y.3.") and deleted this session. */
  readonly #made = new Map<string, string>();
  readonly #deleted = new Set<string>();
  #phase: Phase | null = null;
  #cycles = 0;
  #started = false;
  #done = false;
  #last: Evaluation = { unknown: [], desired: [] };

  constructor(
    readonly name: string,
    view: SessionView,
    target: ConvergeTarget,
    opts: ConvergeOptions,
  ) {
    this.#view = view;
    this.#target = target;
    this.#opts = opts;
    if (target.storedPaths !== undefined && target.storedPaths.length > 0 && !opts.ignoreStored) this.storedPaths = target.storedPaths;
  }

  readonly reader: Reader = (path) => {
    if (this.#isDeleted(path)) return null;
    const own = this.#read.get(path);
    if (own !== undefined) return own;
    const learnt = this.#view.learnt(path);
    if (learnt !== undefined) return { value: learnt.value, type: learnt.type, at: this.#view.startedAt };
    if (this.#opts.ignoreStored) return undefined;
    const stored = this.#view.stored(path);
    if (stored === undefined || stored.object || stored.value === null) return undefined;
    return { value: stored.value, type: stored.type ?? 'xsd:string', at: stored.valueAt ?? 0 };
  };

  /**
   * A table's instances, from what this session read (once it read the table itself) or
   * else from the stored tree, which counts only when it holds values under the table.
   */
  readonly tables: TableReader = (table) => {
    if (this.#absent.has(table)) return null;
    const found = new Set<string>();
    const take = (path: string): void => {
      if (!path.startsWith(table)) return;
      const seg = path.slice(table.length).split('.')[0]!;
      if (/^\d+$/.test(seg) && path.length > table.length + seg.length) found.add(`${table}${seg}.`);
    };
    for (const p of this.#read.keys()) take(p);
    for (const p of this.#made.values()) take(p);
    if (!this.#subtrees.has(table)) {
      const stored = this.#opts.ignoreStored ? [] : this.#view.storedUnder(table);
      if (!stored.some((r) => !r.object && r.value !== null)) return undefined;
      for (const r of stored) take(r.path);
      for (const p of this.#view.learntUnder(table)) take(p);
    }
    return [...found].filter((i) => !this.#isDeleted(i));
  };

  #isDeleted(path: string): boolean {
    if (this.#deleted.size === 0) return false;
    for (const d of this.#deleted) if (path.startsWith(d)) return true;
    return false;
  }

  next(): ProgramRpc | null {
    if (this.#done) return null;
    if (!this.#started) {
      this.#started = true;
      if (this.#target.wanted !== undefined && !this.#target.wanted(this.#view)) return this.#end(null);
    }
    const phase = this.#plan();
    this.#phase = phase;
    if (phase === null) return null;
    switch (phase.kind) {
      case 'read':
      case 'confirm': {
        const names = phase.kind === 'read' ? phase.names : phase.wants.map((w) => w.path);
        return { request: { method: 'GetParameterValues', parameterNames: names }, requestId: null };
      }
      case 'set':
        return {
          request: { method: 'SetParameterValues', parameterList: phase.wants.map((w) => this.#struct(w)), parameterKey: '' },
          requestId: null,
        };
      case 'add': {
        // Named by its Alias where the device resolves aliases itself (CWMP 1.4).
        const objectName = phase.alias !== undefined && this.#aliasNative(phase.table) ? `${phase.table}[${phase.alias}].` : phase.table;
        return { request: { method: 'AddObject', objectName, parameterKey: '' }, requestId: null };
      }
      case 'remove':
        return { request: { method: 'DeleteObject', objectName: phase.path, parameterKey: '' }, requestId: null };
    }
  }

  learn(answer: RpcOutcome): void {
    const phase = this.#phase;
    this.#phase = null;
    if (phase === null) return;
    const now = this.#view.now();
    if (phase.kind === 'add') {
      if (answer.ok && answer.response.method === 'AddObjectResponse') {
        const instance = `${phase.table}${answer.response.instanceNumber}.`;
        this.#made.set(phase.ref, instance);
        this.#target.created?.(phase.ref, instance);
      } else if (!answer.ok) {
        this.#faults.set(phase.ref, { faultCode: answer.fault.faultCode, faultString: answer.fault.faultString });
      }
      return;
    }
    if (phase.kind === 'remove') {
      if (answer.ok) {
        this.#deleted.add(phase.path);
        for (const p of [...this.#read.keys()]) if (p.startsWith(phase.path)) this.#read.delete(p);
      } else {
        this.#faults.set(phase.path, { faultCode: answer.fault.faultCode, faultString: answer.fault.faultString });
      }
      return;
    }
    if (phase.kind === 'read' || phase.kind === 'confirm') {
      const names = phase.kind === 'read' ? phase.names : phase.wants.map((w) => w.path);
      if (answer.ok && answer.response.method === 'GetParameterValuesResponse') {
        for (const p of answer.response.parameterList) this.#read.set(p.name, { value: p.value, type: p.type, at: now });
        // A subtree read: what is absent under it is simply not there.
        for (const n of names) if (!n.endsWith('.') && !this.#read.has(n)) this.#read.set(n, null);
        for (const n of names) if (n.endsWith('.')) this.#subtrees.add(n);
      } else if (names.length > 1) {
        for (const n of names) this.#singles.add(n);
        for (const n of names) this.#asked.delete(n);
      } else {
        // One name, faulted: the device has no such parameter or object (or will not say).
        for (const n of names) if (!n.endsWith('.')) this.#read.set(n, null);
        for (const n of names) if (n.endsWith('.')) this.#absent.add(n);
      }
      if (phase.kind === 'confirm') {
        for (const w of phase.wants) {
          const got = this.#read.get(w.path);
          if (got !== undefined && got !== null && !sameValue(got.value, w.value, got.type)) this.#faults.set(w.path, NOT_KEPT);
        }
      }
      return;
    }
    // set
    if (answer.ok) {
      // The confirming read goes out at the next turn.
      this.#pendingConfirm = phase.wants;
      return;
    }
    const perParam = answer.fault.setParameterValuesFault;
    if (perParam.length > 0) {
      for (const f of perParam) this.#faults.set(f.parameterName, { faultCode: f.faultCode, faultString: f.faultString });
    } else if (phase.wants.length === 1) {
      this.#faults.set(phase.wants[0]!.path, { faultCode: answer.fault.faultCode, faultString: answer.fault.faultString });
    } else {
      this.#setSingly = true;
    }
  }

  #pendingConfirm: Want[] | null = null;

  /** The next step, or null after finishing. */
  #plan(): Phase | null {
    if (this.#pendingConfirm !== null) {
      const wants = this.#pendingConfirm;
      this.#pendingConfirm = null;
      for (const w of wants) this.#read.delete(w.path);
      return { kind: 'confirm', wants };
    }
    const evaluation = this.#target.evaluate(this.reader, this.tables);
    this.#last = evaluation;
    const toRead = [...evaluation.unknown, ...(evaluation.stale ?? [])].filter((n) => !this.#asked.has(n) && !this.#read.has(n) && !this.#isDeleted(n));
    if (toRead.length > 0) {
      const single = toRead.find((n) => this.#singles.has(n));
      const names = single !== undefined ? [single] : toRead.filter((n) => !this.#singles.has(n)).slice(0, this.#opts.batchSize);
      for (const n of names) this.#asked.add(n);
      return { kind: 'read', names };
    }
    // Deletions first (duplicates, instances no list keeps), then additions, then values.
    const remove = evaluation.remove?.find((r) => !this.#faults.has(r.path) && !this.#isDeleted(r.path));
    if (remove !== undefined) return { kind: 'remove', path: remove.path };
    const add = evaluation.add?.find((a) => !this.#faults.has(a.ref) && !this.#made.has(a.ref));
    if (add !== undefined) return { kind: 'add', table: add.table, ref: add.ref, ...(add.alias !== undefined ? { alias: add.alias } : {}) };
    const differs = evaluation.desired.filter((w) => {
      if (this.#faults.has(w.path)) return false;
      const now = this.reader(w.path);
      if (now === null) {
        this.#faults.set(w.path, NO_SUCH);
        return false;
      }
      return now === undefined || !sameValue(now.value, w.value, now.type);
    });
    if (differs.length === 0) return this.#end(true);
    if (this.#cycles >= this.#opts.maxCycles) return this.#end(false);
    this.#cycles++;
    return { kind: 'set', wants: this.#setSingly ? [differs[0]!] : differs };
  }

  /** ManagementServer.AliasBasedAddressing of the device (a forced Inform parameter of TR-181). */
  #aliasNative(table: string): boolean {
    const path = `${table.slice(0, table.indexOf('.') + 1)}ManagementServer.AliasBasedAddressing`;
    return /^(1|true)$/i.test(this.#view.learnt(path)?.value ?? this.#view.stored(path)?.value ?? '');
  }

  #struct(w: Want): ParameterValue {
    const known = this.reader(w.path);
    return { name: w.path, value: w.value, type: w.type ?? known?.type ?? 'xsd:string' };
  }

  #end(settled: boolean | null): null {
    this.#done = true;
    if (settled !== null) this.#target.finish({ evaluation: this.#last, faults: this.#faults, read: this.reader, settled });
    return null;
  }
}
