/**
 * Quirk profiles applied where they belong: between a session's programs and the wire. Each
 * program is wrapped; what it asks for is reshaped for the device (split into smaller RPCs,
 * values rewritten) and the answers are put back together, so no program knows of quirks and
 * the driver records every wire RPC in the tree as usual.
 *
 *  - maxGetNames: a GetParameterValues / GetParameterAttributes of more names is sent in chunks;
 *    an `optional` GetParameterValues of a partial path (discovery's whole tree) is not sent at
 *    all but answered with a fault at once, so the program reads in batches (chunked in turn):
 *    a device that cannot take many names cannot take a whole tree's values in one answer.
 *  - gpnNextLevelOnly: a GetParameterNames with NextLevel false becomes a walk, level by level.
 *  - oneParameterPerSet: a SetParameterValues of several parameters is sent one at a time.
 *  - booleans, xsiType: values of SetParameterValues rewritten.
 *
 * Learnt: a 9002 (internal error) answering a GetParameterValues of more than one name means
 * the batch was too big for the device. The request is retried at once in halves, and the
 * smaller size is reported; a session that ends (times out) with such a request unanswered
 * reports half its size too; one that ends with an optional GetParameterValues of a partial
 * path unanswered reports PARTIAL_FALLBACK names. Either way it is reported (`learnt`) so every later session with that model and firmware
 * starts with it (src/acs/quirks.ts stores it, with the evidence).
 */
import type { RpcOutcome } from '../cwmp/acs-session.js';
import type { AcsRequest, CpeRequest, CpeResponse, Inform, ParameterAttribute, ParameterInfo, ParameterValue } from '../cwmp/types.js';
import type { QuirkSettings } from '../datamodel/quirks.js';
import type { Program, ProgramFactory, ProgramRpc, SessionView } from './program.js';

export interface QuirkHooks {
  /** A setting learnt this session (with what was seen); called at most once per setting and session. */
  learnt?: (settings: QuirkSettings, what: string) => void;
}

/** Most GetParameterNames one level walk may send (a hostile CPE's tree is not endless). */
export const MAX_WALK = 10_000;
/** TR-069 A.3.2.2: a ParameterPath is at most 256 characters; longer names are not walked into. */
const MAX_PATH = 256;
const BOOLEAN = /^(xsd:)?boolean$/;
/**
 * The limit learnt when a GetParameterValues of a whole subtree got no answer: the size of
 * discovery's batches (src/acs/config.ts discoveryBatchSize), halved further by 9002s if need be.
 */
export const PARTIAL_FALLBACK = 256;

const partialRead = (r: AcsRequest): boolean => r.method === 'GetParameterValues' && r.parameterNames.some((n) => n.endsWith('.'));

/** One piece of a reshaped request, and how its answer joins the others. */
interface Job {
  /** What the program asked (answered once, with the merged response). */
  readonly original: ProgramRpc;
  next(): ProgramRpc | null;
  /** Null: go on; otherwise the outcome the program gets. */
  learn(outcome: RpcOutcome): RpcOutcome | null;
}

/** Chunks of a GetParameterValues / GetParameterAttributes, re-split when a chunk is answered 9002. */
class ChunkedRead implements Job {
  readonly #chunks: string[][];
  readonly #values: ParameterValue[] = [];
  readonly #attrs: ParameterAttribute[] = [];
  #current: string[] | null = null;

  constructor(
    readonly original: ProgramRpc,
    readonly method: 'GetParameterValues' | 'GetParameterAttributes',
    names: readonly string[],
    size: number,
    readonly onTooBig: (size: number) => number | null,
  ) {
    this.#chunks = chunk(names, size);
  }

  next(): ProgramRpc | null {
    const names = this.#chunks.shift();
    if (names === undefined) return null;
    this.#current = names;
    return { ...this.original, request: { method: this.method, parameterNames: names } as AcsRequest };
  }

  learn(outcome: RpcOutcome): RpcOutcome | null {
    const sent = this.#current ?? [];
    if (!outcome.ok) {
      const smaller = this.method === 'GetParameterValues' && outcome.fault.faultCode === 9002 && sent.length > 1 ? this.onTooBig(sent.length) : null;
      if (smaller === null) return outcome;
      // Everything not yet read goes again in the smaller size.
      const rest = [...sent, ...this.#chunks.flat()];
      this.#chunks.splice(0, this.#chunks.length, ...chunk(rest, smaller));
      return null;
    }
    const r = outcome.response;
    if (r.method === 'GetParameterValuesResponse') this.#values.push(...r.parameterList);
    else if (r.method === 'GetParameterAttributesResponse') this.#attrs.push(...r.parameterList);
    if (this.#chunks.length > 0) return null;
    const response: CpeResponse =
      this.method === 'GetParameterValues' ? { method: 'GetParameterValuesResponse', parameterList: this.#values } : { method: 'GetParameterAttributesResponse', parameterList: this.#attrs };
    return { ok: true, response };
  }
}

/** A SetParameterValues sent one parameter at a time; the first fault ends it. */
class SingleSets implements Job {
  readonly #left: { value: ParameterValue; record?: ParameterValue }[];
  #status: 0 | 1 = 0;

  constructor(
    readonly original: ProgramRpc,
    readonly parameterKey: string,
    list: readonly ParameterValue[],
    recordAs: readonly ParameterValue[] | undefined,
  ) {
    this.#left = list.map((value, i) => ({ value, ...(recordAs?.[i] !== undefined ? { record: recordAs[i] } : {}) }));
  }

  next(): ProgramRpc | null {
    const p = this.#left.shift();
    if (p === undefined) return null;
    const request: AcsRequest = { method: 'SetParameterValues', parameterList: [p.value], parameterKey: this.parameterKey };
    return {
      request,
      requestId: this.original.requestId,
      ...(p.record !== undefined ? { recordAs: { method: 'SetParameterValues', parameterList: [p.record], parameterKey: this.parameterKey } } : {}),
    };
  }

  learn(outcome: RpcOutcome): RpcOutcome | null {
    if (!outcome.ok) return outcome;
    if (outcome.response.method === 'SetParameterValuesResponse' && outcome.response.status === 1) this.#status = 1;
    return this.#left.length > 0 ? null : { ok: true, response: { method: 'SetParameterValuesResponse', status: this.#status } };
  }
}

/** GetParameterNames(path, NextLevel false) as a breadth-first walk of NextLevel true. */
class LevelWalk implements Job {
  readonly #todo: string[];
  readonly #found: ParameterInfo[] = [];
  readonly #seen = new Set<string>();
  #sent = 0;
  #current = '';

  constructor(
    readonly original: ProgramRpc,
    root: string,
  ) {
    this.#todo = [root];
    // NextLevel false names the object itself too (TR-069 A.3.2.2).
    if (root.endsWith('.') && root !== '') this.#found.push({ name: root, writable: false });
  }

  next(): ProgramRpc | null {
    const path = this.#todo.shift();
    if (path === undefined) return null;
    this.#current = path;
    this.#sent++;
    return { ...this.original, request: { method: 'GetParameterNames', parameterPath: path, nextLevel: true } };
  }

  learn(outcome: RpcOutcome): RpcOutcome | null {
    if (!outcome.ok) return outcome;
    if (outcome.response.method !== 'GetParameterNamesResponse') return outcome;
    for (const p of outcome.response.parameterList) {
      // Only what is below the node asked about, once: a hostile answer cannot loop the walk.
      if (!p.name.startsWith(this.#current) || p.name === this.#current || this.#seen.has(p.name)) continue;
      this.#seen.add(p.name);
      this.#found.push(p);
      if (p.name.endsWith('.') && p.name.length <= MAX_PATH && this.#sent + this.#todo.length < MAX_WALK) this.#todo.push(p.name);
    }
    return this.#todo.length > 0 ? null : { ok: true, response: { method: 'GetParameterNamesResponse', parameterList: this.#found } };
  }
}

function chunk<T>(list: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

function rewriteValue(p: ParameterValue, s: QuirkSettings): ParameterValue {
  let { value, type } = p;
  if (s.xsiType === true && type === '') type = 'xsd:string';
  if (s.booleans !== undefined && BOOLEAN.test(type)) {
    const truthy = value === '1' || value === 'true';
    const falsy = value === '0' || value === 'false';
    if (truthy || falsy) value = s.booleans === 'digits' ? (truthy ? '1' : '0') : truthy ? 'true' : 'false';
  }
  return value === p.value && type === p.type ? p : { ...p, value, type };
}

export class QuirkedProgram implements Program {
  readonly name: string;
  readonly storedPaths?: readonly string[];
  readonly prepare?: () => Promise<void>;
  readonly #inner: Program;
  readonly #settings: QuirkSettings;
  readonly #hooks: QuirkHooks;
  #job: Job | null = null;
  /** The request the inner program is owed an answer for, when sent as is. */
  #plain: ProgramRpc | null = null;
  #maxGet: number | undefined;
  #learnt = false;
  /** What went on the wire last (a piece of a job, or a request as the program asked). */
  #sentLast: AcsRequest | null = null;
  /** Whether that was an optional request (ProgramRpc.optional). */
  #sentOptional = false;

  constructor(inner: Program, settings: QuirkSettings, hooks: QuirkHooks = {}) {
    this.#inner = inner;
    this.#settings = settings;
    this.#hooks = hooks;
    this.name = inner.name;
    if (inner.storedPaths !== undefined) this.storedPaths = inner.storedPaths;
    if (inner.prepare !== undefined) this.prepare = () => inner.prepare!();
    this.#maxGet = settings.maxGetNames;
  }

  holdRequests(): boolean {
    return this.#inner.holdRequests?.() ?? false;
  }

  /** The CPE's own requests (TransferComplete settles a download) go to the program as they are. */
  cpeRequest(request: Exclude<CpeRequest, Inform>): void {
    this.#inner.cpeRequest?.(request);
  }

  /**
   * The session ended with our request unanswered. A GetParameterValues of more than one name
   * that got no answer at all is taken as too big (a CPE that chokes and never answers, until
   * the session times out): the next session of this model and firmware asks for half.
   */
  interrupted(outcome: string): void {
    const sent = this.#sentLast;
    if (sent !== null && this.#sentOptional && partialRead(sent) && this.#maxGet === undefined) {
      // Never sent again to this model and firmware: the next session reads in batches.
      this.#maxGet = PARTIAL_FALLBACK;
      this.#hooks.learnt?.({ maxGetNames: PARTIAL_FALLBACK }, `no answer to a GetParameterValues of the subtree ${sent.method === 'GetParameterValues' ? sent.parameterNames.join(' ') : ''} (${outcome})`);
    } else if (sent?.method === 'GetParameterValues' && sent.parameterNames.length > 1) {
      const n = sent.parameterNames.length;
      const size = Math.ceil(n / 2);
      if ((this.#maxGet ?? Infinity) > size) {
        this.#maxGet = size;
        this.#hooks.learnt?.({ maxGetNames: size }, `no answer to a GetParameterValues of ${n} names (${outcome})`);
      }
    }
    this.#inner.interrupted?.(outcome);
  }

  next(): ProgramRpc | null {
    const rpc = this.#next();
    this.#sentLast = rpc?.request ?? null;
    this.#sentOptional = rpc?.optional === true;
    return rpc;
  }

  #next(): ProgramRpc | null {
    if (this.#job !== null) {
      const piece = this.#job.next();
      if (piece !== null) return piece;
      this.#job = null; // a job with nothing left has answered already
    }
    let rpc = this.#inner.next();
    // Bounded: each refusal is one optional request the program will not ask again.
    while (rpc !== null && rpc.optional === true && this.#maxGet !== undefined && partialRead(rpc.request)) {
      this.#inner.learn({
        ok: false,
        faultcode: 'Server',
        fault: { faultCode: 9004, faultString: `not sent: this device reads at most ${this.#maxGet} names per GetParameterValues (quirk profile)`, setParameterValuesFault: [] },
      });
      rpc = this.#inner.next();
    }
    if (rpc === null) return null;
    const shaped = this.#shape(rpc);
    if (shaped !== null) {
      this.#job = shaped;
      const first = shaped.next();
      if (first !== null) return first;
      this.#job = null;
    }
    this.#plain = rpc;
    return rpc;
  }

  learn(outcome: RpcOutcome): void {
    this.#sentLast = null;
    if (this.#job !== null) {
      const done = this.#job.learn(outcome);
      if (done !== null) {
        this.#job = null;
        this.#inner.learn(done);
      }
      return;
    }
    const rpc = this.#plain;
    this.#plain = null;
    // A 9002 on a big GetParameterValues sent as is: retry in halves, and remember.
    if (rpc !== null && !outcome.ok && outcome.fault.faultCode === 9002 && rpc.request.method === 'GetParameterValues' && rpc.request.parameterNames.length > 1) {
      const names = rpc.request.parameterNames;
      const size = this.#tooBig(names.length);
      if (size !== null) {
        this.#job = new ChunkedRead(rpc, 'GetParameterValues', names, size, (n) => this.#tooBig(n));
        return;
      }
    }
    this.#inner.learn(outcome);
  }

  /** A GetParameterValues of `n` names was too big: the size to use from now on (null: cannot shrink). */
  #tooBig(n: number): number | null {
    if (n <= 1) return null;
    const size = Math.ceil(n / 2);
    this.#maxGet = Math.min(this.#maxGet ?? size, size);
    if (!this.#learnt || (this.#settings.maxGetNames ?? Infinity) > this.#maxGet) {
      this.#learnt = true;
      this.#hooks.learnt?.({ maxGetNames: this.#maxGet }, `9002 answering a GetParameterValues of ${n} names`);
    }
    return this.#maxGet;
  }

  #shape(rpc: ProgramRpc): Job | null {
    const req = rpc.request;
    const s = this.#settings;
    switch (req.method) {
      case 'GetParameterValues':
      case 'GetParameterAttributes': {
        const max = this.#maxGet;
        if (max === undefined || req.parameterNames.length <= max) return null;
        return new ChunkedRead(rpc, req.method, req.parameterNames, max, (n) => this.#tooBig(n));
      }
      case 'GetParameterNames':
        return s.gpnNextLevelOnly === true && !req.nextLevel ? new LevelWalk(rpc, req.parameterPath) : null;
      case 'SetParameterValues': {
        const list = req.parameterList.map((p) => rewriteValue(p, s));
        const recordAs = rpc.recordAs?.method === 'SetParameterValues' ? rpc.recordAs.parameterList : undefined;
        if (s.oneParameterPerSet === true && list.length > 1) return new SingleSets(rpc, req.parameterKey, list, recordAs);
        if (list.some((p, i) => p !== req.parameterList[i])) {
          // Values rewritten, one RPC: hand back a rewritten request with the same answer path.
          const rewritten: ProgramRpc = { ...rpc, request: { ...req, parameterList: list } };
          return new SingleRpc(rewritten);
        }
        return null;
      }
      default:
        return null;
    }
  }
}

/** A request sent once, rewritten: its answer goes back unchanged. */
class SingleRpc implements Job {
  #sent = false;
  constructor(readonly original: ProgramRpc) {}
  next(): ProgramRpc | null {
    if (this.#sent) return null;
    this.#sent = true;
    return this.original;
  }
  learn(outcome: RpcOutcome): RpcOutcome {
    return outcome;
  }
}

/**
 * Wrap every program of a factory with the device's quirks. `resolve` answers from memory (no
 * store round trip): an idle periodic session still costs two.
 */
export function withQuirks(factory: ProgramFactory, resolve: (view: SessionView) => { settings: QuirkSettings; hooks: QuirkHooks } | null): ProgramFactory {
  return (ctx) => {
    const programs = factory(ctx);
    const q = resolve(ctx.view);
    if (q === null) return programs;
    return programs.map((p) => new QuirkedProgram(p, q.settings, q.hooks));
  };
}
