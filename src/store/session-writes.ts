/**
 * A session's writes as a list of typed operations. `planCommit` (pure) turns a SessionCommit
 * into the ordered ops, applying the domain rules (rules.ts) and working out everything that
 * needs thought — de-duplication, ancestors, subtree ranges, which nodes a GetParameterNames
 * answer vouches for — with the shared tree.ts; each backend applies any list generically
 * (sqlite/apply.ts: a statement or two per op; PostgreSQL: one call of flotilla_apply with the
 * list as JSON, which runs flotilla_op_<k>(device, op) per op — postgres/migrations.ts).
 *
 * A new kind of write is a new member here, a case in sqlite/apply.ts and, on PostgreSQL, a
 * migration creating flotilla_op_<k>(text, json): no new function signature.
 *
 *   device          upsert the device row (rules.ts DeviceWrite)
 *   clear           forget the device's tree, but keep non-empty values of secrets (leaf names
 *                   ending in one of `keep`, any case, other than `except`): the CPE reads them
 *                   back as "", only the ACS knows them
 *   values          upsert [path, value, type]; unless touch, skip unchanged rows
 *   names           upsert [path, writable] with names_at
 *   nodes           upsert [path, writable, value, type]: a row the same session both listed
 *                   (GetParameterNames, names_at = at) and read (GetParameterValues, value_at =
 *                   valuesAt; unless touch, kept when value and type are unchanged) — one write
 *                   per row instead of a names then a values upsert of it
 *   ensure          insert object rows [path] that do not exist
 *   sections        a discovery's nodes kept as documents per top-level object (SQLite, opt-in:
 *                   sqlite/sections.ts); a later write inside one turns it back into rows
 *   attrs           upsert [path, notification, accessList]
 *   add             the new instance object row
 *   delete          the row `exact` and the range [lo, hi) (hi null: to the end)
 *   prune           rows in (lo, hi) not in keep
 *   prune_children  direct children of lo not in keep, with their subtrees
 *   outcomes        set tasks' state/response/fault (last outcome per task wins)
 *   progress        set running tasks' response (a step of a task spanning sessions), state kept
 *   requeue         the device's `running` tasks without a recorded step → `queued`
 *   fault_transfer  rules.ts TransferFault: the task of that CommandKey and one of taskTypes
 *   cpe_messages    append, keep the newest `keep`
 *   log             append the session log, keep the newest `keep`
 *   unlock          release our lock; with requeueAt, and only if it was ours, requeue
 *   cred_promote    the pending credential set named `username` becomes current
 *   cred_issue      a handed-out set: current at once (`replace`) or pending beside current
 *   cred_window     accept the bootstrap credential until `until`
 *   policy          the device's policy memo; compliance rows of the evaluated policies replaced
 *   samples         KPI samples [path, at, value, num, counter, source]; a counter's rate
 *                   against the series' previous sample (concerns/series.ts)
 */
import type { CpeResponse, Fault, ParameterInfo, ParameterValue } from '../cwmp/types.js';
import { recalledOf } from '../cwmp/recalled.js';
import type { TaskType } from '../tasks/types.js';
import { NOT_SECRET_NAMES, SECRET_SUFFIXES } from '../secrets/rules.js';
import { deviceWrite, TRANSFER_TASK_TYPES, transferFaults, type DeviceWrite, type TransferFault } from './rules.js';
import { sampleItem, type SampleItem } from './series-rows.js';
import { ancestorsOf, lastByName, prefixUpperBound, subtreePrefix } from './tree.js';
import type { ComplianceFault, ComplianceState, CpeMessageRecord, CredentialSet, ParameterOp, SessionCommit, SessionLogRecord } from './types.js';

const CLEAR_KEEPS: readonly string[] = [...SECRET_SUFFIXES, 'PIN'];

/**
 * A discovery's nodes kept in sections (sqlite/sections.ts), as columns: the entries at the
 * positions `order` lists (listing order; each path once). Columns rather than an object per
 * node: a commit's plan is alive while it is written, and a collection in the middle of it
 * promoted every node's object (storm: as many bytes per bootstrap as the answers themselves).
 */
export interface SectionEntries {
  readonly order: readonly number[];
  readonly name: readonly string[];
  /** The section it goes in (SectionRules.sectionOf), for the positions in `order`. */
  readonly section: readonly (string | null)[];
  /** 1, 0, or -1 for an ancestor made without a listing of its own. */
  readonly writable: readonly number[];
  /** Value and type when read, else null. */
  readonly value: readonly (string | null)[];
  readonly type: readonly (string | null)[];
  /** When it was read; NaN when not. */
  readonly valueAt: readonly number[];
}

export type ParameterStep =
  | { k: 'clear'; keep: readonly string[]; except: readonly string[] }
  | { k: 'sections'; namesAt: number; valuesAt: number | null; entries: SectionEntries }
  | { k: 'values'; at: number; touch: boolean; items: [string, string, string][] }
  | { k: 'names'; at: number; items: [string, boolean][] }
  | { k: 'nodes'; at: number; valuesAt: number; touch: boolean; items: [string, boolean, string, string][] }
  | { k: 'ensure'; at: number; items: string[] }
  | { k: 'attrs'; at: number; items: [string, number, string[] | null][] }
  | { k: 'add'; at: number; path: string }
  | { k: 'delete'; exact: string | null; lo: string; hi: string | null }
  | { k: 'prune' | 'prune_children'; lo: string; hi: string | null; keep: string[] };

export interface OutcomeWrite {
  id: string;
  state: 'done' | 'fault';
  response: CpeResponse | null;
  fault: Fault['detail'] | null;
  at: number;
}

export type WriteOp =
  | ({ k: 'device' } & DeviceWrite)
  | ParameterStep
  | { k: 'outcomes'; items: OutcomeWrite[] }
  | { k: 'progress'; items: { id: string; response: CpeResponse; at: number }[] }
  | { k: 'requeue'; at: number }
  | ({ k: 'fault_transfer'; taskTypes: readonly TaskType[] } & TransferFault)
  | { k: 'cpe_messages'; items: CpeMessageRecord[]; keep: number }
  | { k: 'samples'; items: SampleItem[] }
  | { k: 'log'; log: Omit<SessionLogRecord, 'deviceId'>; keep: number }
  | { k: 'unlock'; owner: string; requeueAt: number | null }
  | { k: 'cred_promote'; username: string }
  | { k: 'cred_issue'; mode: 'replace' | 'pending'; set: CredentialSet; at: number }
  | { k: 'cred_window'; until: number }
  /** items: [policyId, revision, state, fault]; rows of `evaluated` policies not in items go. */
  | { k: 'policy'; at: number; memo: string; evaluated: string[]; items: [string, number, ComplianceState, ComplianceFault | null][] };

export type WriteKind = WriteOp['k'];

export interface HistoryLimits {
  sessionsPerDevice: number;
  cpeMessagesPerDevice: number;
}

/** A backend's history caps from its options: 100 each by default, at least 1. */
export function historyLimits(opts: Partial<HistoryLimits>): HistoryLimits {
  return {
    sessionsPerDevice: Math.max(1, opts.sessionsPerDevice ?? 100),
    cpeMessagesPerDevice: Math.max(1, opts.cpeMessagesPerDevice ?? 100),
  };
}

/**
 * Every write of a session, in order. If the lock lapsed and another owner took it, the
 * writes still happen — they are what the CPE really said and did — but `unlock` matches on
 * owner, so the other owner's lock is left alone.
 */
export function planCommit(c: SessionCommit, limits: HistoryLimits, sections: SectionRules | null = null): WriteOp[] {
  const ops: WriteOp[] = [{ k: 'device', ...deviceWrite(c.identity, c.informAt, c.events) }];
  ops.push(...planParameterOps(c.parameterOps, sections));
  for (const w of c.credentialWrites ?? []) {
    if (w.kind === 'promote') ops.push({ k: 'cred_promote', username: w.username });
    else if (w.kind === 'issue') ops.push({ k: 'cred_issue', mode: w.mode, set: w.set, at: w.at });
    else ops.push({ k: 'cred_window', until: w.until });
  }
  if (c.requestOutcomes.length > 0) {
    // An outcome is recorded whatever the task's state: if it expired or was retried
    // meanwhile, the answer is still what happened on the device. Applying them in order
    // leaves the last per task, so only that one travels.
    const last = new Map<string, OutcomeWrite>();
    for (const o of c.requestOutcomes) {
      // A fault may carry the answer of an earlier step (addObject whose values failed).
      const response = o.state === 'done' ? o.response : (o.response ?? null);
      last.delete(o.requestId);
      last.set(o.requestId, { id: o.requestId, state: o.state, response, fault: o.state === 'fault' ? o.fault : null, at: o.at });
    }
    ops.push({ k: 'outcomes', items: [...last.values()] });
  }
  // A step recorded for a task that is also settled this session is moot: the outcome says it all.
  const settled = new Set(c.requestOutcomes.map((o) => o.requestId));
  const progress = (c.requestProgress ?? []).filter((p) => !settled.has(p.requestId));
  if (progress.length > 0) ops.push({ k: 'progress', items: progress.map((p) => ({ id: p.requestId, response: p.response, at: p.at })) });
  ops.push({ k: 'requeue', at: c.log.endedAt });
  for (const f of transferFaults(c.cpeMessages)) ops.push({ k: 'fault_transfer', taskTypes: TRANSFER_TASK_TYPES, ...f });
  if (c.cpeMessages.length > 0) ops.push({ k: 'cpe_messages', items: c.cpeMessages, keep: limits.cpeMessagesPerDevice });
  if (c.samples !== undefined && c.samples.length > 0) ops.push({ k: 'samples', items: [...c.samples].sort((a, b) => a.at - b.at).map(sampleItem) });
  const { deviceId: _filedUnderTheCommitsDevice, ...log } = c.log;
  ops.push({ k: 'log', log, keep: limits.sessionsPerDevice });
  if (c.policy !== undefined) {
    const p = c.policy;
    ops.push({ k: 'policy', at: c.log.endedAt, memo: p.memo, evaluated: p.evaluated, items: p.compliance.map((r) => [r.policyId, r.revision, r.state, r.fault]) });
  }
  if (c.releaseLock) ops.push({ k: 'unlock', owner: c.lockOwner, requeueAt: null });
  return ops;
}

/** Freeing our lock without a commit (the session failed): the tasks it held go back to the queue. */
export function releaseOps(owner: string, now: number): WriteOp[] {
  return [{ k: 'unlock', owner, requeueAt: now }];
}

/**
 * A backend that keeps discovered trees in sections (sqlite/sections.ts) says which paths may
 * go there; the others (searchable, summary) stay rows. Without it every node is a row.
 */
export interface SectionRules {
  /**
   * The section the path may be kept in, or null when it stays a row: it has none, a JSON path
   * cannot name it, or something needs it as a row (a search index, the campaigns' software
   * version).
   */
  sectionOf(path: string): string | null;
}

export function planParameterOps(ops: readonly ParameterOp[], sections: SectionRules | null = null): ParameterStep[] {
  const steps: ParameterStep[] = [];
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!;
    switch (op.op) {
      case 'clearTree':
        // The secrets' name rule (src/secrets) as SQL can test it; the catalogue's few odd names
        // (USIM.PIN …) are kept by "PIN". A row kept too many is pruned by the rediscovery.
        steps.push({ k: 'clear', keep: CLEAR_KEEPS, except: NOT_SECRET_NAMES });
        break;
      case 'setValues':
        if (op.params.length === 0) break;
        steps.push({ k: 'values', at: op.at, touch: op.touch, items: lastByName(op.params).map((p) => [p.name, p.value, p.type]) });
        break;
      case 'setNames': {
        // The reads that follow a listing (discovery, a refresh) are merged into its rows.
        let j = i + 1;
        while (ops[j]?.op === 'setValues') j++;
        planNames(steps, op, ops.slice(i + 1, j) as Extract<ParameterOp, { op: 'setValues' }>[], writtenSinceClear(steps), sections);
        i = j - 1;
        break;
      }
      case 'setAttributes':
        if (op.params.length === 0) break;
        steps.push({ k: 'attrs', at: op.at, items: lastByName(op.params).map((p) => [p.name, p.notification, p.accessList]) });
        break;
      case 'addObject': {
        const path = subtreePrefix(op.path);
        const ancestors = ancestorsOf(path);
        if (ancestors.length > 0) steps.push({ k: 'ensure', at: op.at, items: ancestors });
        steps.push({ k: 'add', at: op.at, path });
        break;
      }
      case 'deleteObject': {
        const lo = subtreePrefix(op.path);
        steps.push({ k: 'delete', exact: lo !== op.path ? op.path : null, lo, hi: prefixUpperBound(lo) });
        break;
      }
      default: {
        const never: never = op;
        throw new Error(`unknown parameter op ${JSON.stringify(never)}`);
      }
    }
  }
  return steps;
}

/**
 * A GetParameterNames answer. Pruning comes first, then the upserts:
 *  - nextLevel false: the answer is the whole subtree, so every stored node strictly under
 *    root that is neither listed nor an ancestor of a listed node is gone.
 *  - nextLevel true: the answer lists root's direct children only, so only a direct child
 *    that is absent is gone — with its subtree, which cannot outlive it. Deeper nodes of
 *    children that are still there are not judged by this answer.
 * A root that is a parameter (no trailing ".") has nothing strictly under it.
 */
function planNames(
  steps: ParameterStep[],
  op: Extract<ParameterOp, { op: 'setNames' }>,
  reads: readonly Extract<ParameterOp, { op: 'setValues' }>[],
  sinceClear: ReadonlySet<string> | null,
  sections: SectionRules | null,
): void {
  // Every listed node is a position in columns, found by one hash lookup per node and per read
  // value (this plan was a quarter of the store's CPU per bootstrap with a map or set per
  // question). Columns, not an object per node: see SectionEntries. What the listing alone
  // decides (ListingColumns) is worked out once per shared listing; the rest is this commit's.
  const cols = listingColumns(op.params);
  const { position } = cols;
  const listed = cols.name.length;
  // The listing's own columns, shared by every commit of the listing (only read); the objects a
  // section takes are added to copies at the end.
  let name = cols.name;
  let writable = cols.writable;
  // After a clear, a whole-subtree listing: what the clear may have kept and what this commit
  // wrote before stay rows (`kept`, the prune's keep list); the rest may go in sections.
  const afterClear = sinceClear !== null && !op.nextLevel;
  const inSections = afterClear && sections !== null;
  const keeps = (path: string): boolean => sinceClear!.has(path) || clearMayKeep(path);
  let kept: boolean[];
  if (afterClear) {
    kept = cols.clearMayKeep.slice();
    // The commit's few earlier writes (the Inform's values), not a lookup per listed node.
    for (const path of sinceClear) {
      const at = position.get(path);
      if (at !== undefined) kept[at] = true;
    }
  } else kept = new Array<boolean>(listed).fill(false);
  let section: (string | null)[];
  if (inSections) {
    const of = sectionsOf(cols, sections);
    section = new Array<string | null>(listed);
    for (let i = 0; i < listed; i++) section[i] = kept[i] ? null : of[i]!;
  } else section = new Array<string | null>(listed).fill(null);
  // Which read answered the node last (-1: none), and for a row its place in that read's nodes.
  const readBy = new Int32Array(listed).fill(-1);
  const slot = new Int32Array(listed);
  const value = new Array<string | null>(listed).fill(null);
  const type = new Array<string | null>(listed).fill(null);
  const valueAt = new Array<number>(listed).fill(NaN);
  const { ancestors } = cols;

  if (op.root === '' || op.root.endsWith('.')) {
    // After a clear in this commit (a bootstrap), the only rows a whole-subtree prune can meet
    // are the secrets the clear kept (leaves whose names end in one of its suffixes) and the
    // rows written since. Keeping just the listed ones of those judges every row the same,
    // and spares the op thousands of paths (on PostgreSQL a JSON text parsed several times;
    // measured: most of the prune's cost in a discovery).
    let keep: string[];
    if (afterClear) {
      keep = [];
      for (let i = 0; i < listed; i++) if (kept[i]) keep.push(name[i]!);
      for (const path of ancestors) if (keeps(path)) keep.push(path);
    } else keep = [...cols.name, ...ancestors];
    steps.push({ k: op.nextLevel ? 'prune_children' : 'prune', lo: op.root, hi: prefixUpperBound(op.root), keep });
  }
  // A listed row that a following read also answers is written once, with both (nodes);
  // the names of the others go alone, before them (the sets of rows are disjoint).
  const merged: { read: (typeof reads)[number]; nodes: [string, boolean, string, string][]; values: [string, string, string][] }[] = [];
  for (let r = 0; r < reads.length; r++) {
    const read = reads[r]!;
    const nodes: [string, boolean, string, string][] = [];
    // Values of unlisted paths are rare (a read outside the listed root): de-duplicated apart.
    const unlisted = new Map<string, [string, string, string]>();
    // CPEs answer a read of the root in the order they listed its leaves: the next listed leaf
    // is tried first, one string comparison instead of hashing the name for the map (which
    // then answers only where the order breaks, and puts the cursor back in step).
    let next = 0;
    // A read recalled from a remembered answer (src/cwmp/recalled.ts): its entries that are the
    // remembered ones have their places in this listing worked out once.
    const aligned = alignedRead(cols, read.params);
    const params = read.params;
    for (let j = 0; j < params.length; j++) {
      const p = params[j]!;
      let i: number | undefined;
      if (aligned !== null && p === aligned.base[j]) {
        const at = aligned.at[j]!;
        i = at < 0 ? undefined : at;
      } else {
        while (next < listed && name[next]!.endsWith('.')) next++;
        i = next < listed && name[next] === p.name ? next : position.get(p.name);
      }
      if (i === undefined) {
        unlisted.set(p.name, [p.name, p.value, p.type]);
        continue;
      }
      next = i + 1;
      if (section[i] !== null) {
        // Kept in the columns: the last read wins, as the upserts would leave it — its time
        // too, unless it read the same value and type without `touch` (then the first read's
        // time stays, as the values upsert keeps value_at).
        if (readBy[i]! < 0 || read.touch || value[i] !== p.value || type[i] !== p.type) valueAt[i] = read.at;
        readBy[i] = r;
        value[i] = p.value;
        type[i] = p.type;
      } else if (readBy[i] === r) nodes[slot[i]!] = [p.name, writable[i] === 1, p.value, p.type];
      else {
        readBy[i] = r;
        slot[i] = nodes.length;
        nodes.push([p.name, writable[i] === 1, p.value, p.type]);
      }
    }
    merged.push({ read, nodes, values: [...unlisted.values()] });
  }
  const names: [string, boolean][] = [];
  const inSection: number[] = [];
  for (let i = 0; i < listed; i++) {
    if (section[i] !== null) inSection.push(i);
    else if (readBy[i]! < 0) names.push([name[i]!, writable[i] === 1]);
  }
  let objects = ancestors.slice();
  if (inSections) {
    const added: string[] = [];
    objects = objects.filter((path) => {
      const s = keeps(path) ? null : sections.sectionOf(path);
      if (s === null) return true;
      inSection.push(listed + added.length);
      added.push(path);
      section.push(s);
      value.push(null);
      type.push(null);
      valueAt.push(NaN);
      return false;
    });
    if (added.length > 0) {
      name = name.concat(added);
      writable = writable.concat(added.map(() => -1));
    }
  }
  if (names.length > 0) steps.push({ k: 'names', at: op.at, items: names });
  if (objects.length > 0) steps.push({ k: 'ensure', at: op.at, items: objects });
  for (const { read, nodes, values } of merged) {
    if (nodes.length > 0) steps.push({ k: 'nodes', at: op.at, valuesAt: read.at, touch: read.touch, items: nodes });
    if (values.length > 0) steps.push({ k: 'values', at: read.at, touch: read.touch, items: values });
  }
  // Last: the rows above never reach into a section this commit writes (apply.ts turns a
  // section touched by a later write back into rows).
  if (inSection.length > 0) {
    steps.push({ k: 'sections', namesAt: op.at, valuesAt: reads[0]?.at ?? null, entries: { order: inSection, name, section, writable, value, type, valueAt } });
  }
}

/**
 * What planNames derives from a listing alone: its distinct names in order (the first place of
 * each, the last listing's writable), the ancestors it implies but does not list, which names
 * a clear may have kept, and (asked lazily) the section of each name.
 */
interface ListingColumns {
  position: ReadonlyMap<string, number>;
  name: readonly string[];
  writable: readonly number[];
  clearMayKeep: readonly boolean[];
  ancestors: readonly string[];
  /** sectionOf of each name, for the rules it was asked of. */
  sections: { rules: SectionRules; of: readonly (string | null)[] } | null;
}

/**
 * The columns of a frozen listing, worked out once: devices of one model send the same
 * GetParameterNames answer, and the ACS shares one frozen parse of it (src/cwmp/answer-memo.ts),
 * so a storm's commits plan the same listing again and again. A listing that is not frozen
 * could change after it was planned: its columns are worked out each time.
 */
const columnsOfListing = new WeakMap<readonly ParameterInfo[], ListingColumns>();

function listingColumns(params: readonly ParameterInfo[]): ListingColumns {
  const known = columnsOfListing.get(params);
  if (known !== undefined) return known;
  const position = new Map<string, number>();
  const name: string[] = [];
  const writable: number[] = [];
  const keep: boolean[] = [];
  // Map.set keeps a key's first position: lastByName's order; the last listing's writable wins.
  for (const p of params) {
    const at = position.get(p.name);
    if (at !== undefined) {
      writable[at] = p.writable ? 1 : 0;
      continue;
    }
    position.set(p.name, name.length);
    name.push(p.name);
    writable.push(p.writable ? 1 : 0);
    keep.push(clearMayKeep(p.name));
  }
  const ancestors = new Set<string>();
  // Up from each node until an ancestor that is listed or already found: those above it are
  // settled by that one, so a 6,000-node answer costs one pass, not one per level per node.
  // Answers come in tree order, so most nodes share the parent of the one before: that
  // parent is recognised by comparing prefixes, without cutting and hashing it again.
  let settled = '';
  for (const path of name) {
    const end = parentEnd(path);
    if (end < 0) continue;
    if (end === settled.length && path.startsWith(settled)) continue;
    const parent = path.slice(0, end);
    for (let a: string | null = parent; a !== null && !position.has(a) && !ancestors.has(a); a = parentOf(a)) ancestors.add(a);
    settled = parent;
  }
  const cols: ListingColumns = { position, name, writable, clearMayKeep: keep, ancestors: [...ancestors], sections: null };
  if (Object.isFrozen(params)) columnsOfListing.set(params, cols);
  return cols;
}

/** Where each entry of a remembered read is in a listing (-1: not listed), for the last listing it was asked of. */
const ALIGNED = new WeakMap<readonly ParameterValue[], { cols: ListingColumns; at: Int32Array }>();

function alignedRead(cols: ListingColumns, params: readonly ParameterValue[]): { base: readonly ParameterValue[]; at: Int32Array } | null {
  const recalled = recalledOf(params);
  if (recalled === null) return null;
  const { base } = recalled;
  let known = ALIGNED.get(base);
  if (known === undefined || known.cols !== cols) {
    const at = new Int32Array(base.length);
    for (let k = 0; k < base.length; k++) at[k] = cols.position.get(base[k]!.name) ?? -1;
    ALIGNED.set(base, (known = { cols, at }));
  }
  return { base, at: known.at };
}

function sectionsOf(cols: ListingColumns, rules: SectionRules): readonly (string | null)[] {
  if (cols.sections?.rules === rules) return cols.sections.of;
  // One string per section, so that the writer's "same section as the entry before" is a
  // comparison of a string with itself.
  const one = new Map<string, string>();
  const of = cols.name.map((path) => {
    const section = rules.sectionOf(path);
    if (section === null) return null;
    const same = one.get(section);
    if (same !== undefined) return same;
    one.set(section, section);
    return section;
  });
  cols.sections = { rules, of };
  return of;
}

/**
 * The paths the steps after this plan's last clear wrote (the rows that clear did not leave
 * behind but that exist now), or null when the plan has no clear.
 */
function writtenSinceClear(steps: readonly ParameterStep[]): Set<string> | null {
  let i = steps.length - 1;
  while (i >= 0 && steps[i]!.k !== 'clear') i--;
  if (i < 0) return null;
  const written = new Set<string>();
  for (const step of steps.slice(i + 1)) {
    switch (step.k) {
      case 'values':
      case 'names':
      case 'nodes':
      case 'attrs':
        for (const item of step.items) written.add(item[0]);
        break;
      case 'ensure':
        for (const path of step.items) written.add(path);
        break;
      case 'sections':
        for (const i of step.entries.order) written.add(step.entries.name[i]!);
        break;
      case 'add':
        written.add(step.path);
        break;
      default:
        // delete, prune and prune_children only take rows away.
        break;
    }
  }
  return written;
}

const CLEAR_KEEPS_LOWER = CLEAR_KEEPS.map((k) => k.toLowerCase());

/**
 * Whether a clear may have kept the row at `path` (a superset of the clear's rule: exceptions
 * ignored). Asked of every node of a bootstrap, so it compares in place rather than lower-casing
 * a copy of each path.
 */
function clearMayKeep(path: string): boolean {
  for (const k of CLEAR_KEEPS_LOWER) if (endsWithIgnoringCase(path, k)) return true;
  return false;
}

/**
 * `s` ends with `lower` (lower-case ASCII), letters of `s` compared in either case. A non-ASCII
 * character in the tail goes to toLowerCase, which folds some onto ASCII letters (the Kelvin
 * sign onto "k"), so the answer stays a superset of what a backend's lower() keeps.
 */
function endsWithIgnoringCase(s: string, lower: string): boolean {
  const from = s.length - lower.length;
  if (from < 0) return false;
  for (let i = 0; i < lower.length; i++) {
    let c = s.charCodeAt(from + i);
    if (c > 127) return s.toLowerCase().endsWith(lower);
    if (c >= 65 && c <= 90) c += 32;
    if (c !== lower.charCodeAt(i)) return false;
  }
  return true;
}

/** The length of a path's parent prefix ("A.B.c" → 4, "A.B." → 2), or -1 when it has none. */
function parentEnd(path: string): number {
  const dot = path.lastIndexOf('.', path.endsWith('.') ? path.length - 2 : path.length - 1);
  return dot < 0 ? -1 : dot + 1;
}

/** "A.B.c" → "A.B."; "A.B." → "A."; "A." or "A" → null. */
function parentOf(path: string): string | null {
  const dot = path.lastIndexOf('.', path.endsWith('.') ? path.length - 2 : path.length - 1);
  return dot < 0 ? null : path.slice(0, dot + 1);
}
