/**
 * The device's queued tasks as a session program: the planner (src/tasks/planner.ts) picks
 * the RPCs, and each answer settles the tasks it served. Before anything is sent, an `M …`
 * event in the Inform settles the queued task whose request caused it (see `linkMethodEvents`).
 */
import type { RpcOutcome } from '../../cwmp/acs-session.js';
import { EV, eventKey } from '../../cwmp/events.js';
import type { AcsRequest, CpeResponse } from '../../cwmp/types.js';
import type { TaskRecord } from '../../store/types.js';
import { TaskPlan } from '../../tasks/planner.js';
import { rpcMethodOf } from '../../tasks/rpc.js';
import { aliasPrefixes, forDevice, usesAliases, usesWildcards } from '../../tasks/instance-selectors.js';
import { rootOf } from './discovery.js';
import type { Program, ProgramContext, ProgramRpc, SessionRecorder } from '../program.js';

export interface TasksProgramOptions {
  /** Most names in one GetParameterValues / GetParameterAttributes the planner sends. */
  batchSize: number;
  /**
   * Sessions a task may be handed to without an outcome; beyond that it is faulted instead of
   * sent again (a CPE that dies mid-task every time must not be driven forever). Default 5.
   */
  maxAttempts?: number;
}

/** The fault of a task given up after too many sessions without an outcome. */
export const TOO_MANY_ATTEMPTS = 8002;

export class TasksProgram implements Program {
  readonly name = 'tasks';
  #plan: TaskPlan | null = null;
  readonly #queue: TaskRecord[];
  readonly #ctx: ProgramContext;
  readonly #opts: TasksProgramOptions;
  readonly #record: SessionRecorder;
  readonly #now: () => number;
  readonly #root: string;
  /**
   * CWMP 1.4 selectors (src/tasks/instance-selectors.ts): what the device declares, and its
   * stored Alias rows where an alias must be resolved here. Read only when a task has such a
   * path (one store round trip then; none in other sessions).
   */
  readonly storedPaths: readonly string[];

  constructor(ctx: ProgramContext, opts: TasksProgramOptions) {
    this.#ctx = ctx;
    this.#opts = opts;
    this.#record = ctx.record;
    this.#now = () => ctx.view.now();
    this.#queue = giveUpExhausted(ctx, linkMethodEvents(ctx, [...ctx.queue]), opts.maxAttempts ?? 5);
    this.#root = rootOf(ctx.view.inform.parameterList.map((p) => p.name));
    const paths: string[] = [];
    if (this.#queue.some((t) => usesWildcards(t.task))) paths.push(`${this.#root}ManagementServer.InstanceWildcardsSupported`);
    // AliasBasedAddressing is a forced Inform parameter of TR-181: usually known without a read.
    const aliasNative = /^(1|true)$/i.test(ctx.view.learnt(`${this.#root}ManagementServer.AliasBasedAddressing`)?.value ?? '');
    if (this.#queue.some((t) => usesAliases(t.task))) {
      if (!aliasNative) paths.push(`${this.#root}ManagementServer.AliasBasedAddressing`);
      // The stored Alias rows: to resolve aliases here, or (a device that resolves them
      // itself) for the driver to place answers named by alias (InstanceMode InstanceAlias).
      for (const t of this.#queue) paths.push(...aliasPrefixes(t.task));
    }
    this.storedPaths = [...new Set(paths)];
  }

  /** Built at the first `next`, once the stored values this program declared have been read. */
  #planned(): TaskPlan {
    if (this.#plan !== null) return this.#plan;
    const view = this.#ctx.view;
    const flag = (name: string): boolean => {
      const path = `${this.#root}ManagementServer.${name}`;
      return /^(1|true)$/i.test(view.learnt(path)?.value ?? view.stored(path)?.value ?? '');
    };
    const wildcards = flag('InstanceWildcardsSupported');
    const aliases = flag('AliasBasedAddressing');
    const queue: TaskRecord[] = [];
    for (const t of this.#queue) {
      if (!usesAliases(t.task)) {
        queue.push(t);
        continue;
      }
      const rows = aliasPrefixes(t.task).flatMap((p) => view.storedUnder(p).map((r) => ({ path: r.path, value: r.value })));
      // Learnt this session beats stored (an Alias set earlier in it).
      const learnt = aliasPrefixes(t.task).flatMap((p) => view.learntUnder(p).map((path) => ({ path, value: view.learnt(path)?.value ?? null })));
      const fit = forDevice(t.task, { aliases }, [...rows, ...learnt]);
      if (fit.ok) queue.push({ ...t, task: fit.task });
      else {
        this.#record.settle({
          requestId: t.id,
          state: 'fault',
          fault: { faultCode: 9005, faultString: `no instance with that alias is known on this device (it does not resolve aliases itself): ${fit.path.slice(0, 256)}`, setParameterValuesFault: [] },
          at: view.now(),
          response: null,
        });
      }
    }
    this.#plan = new TaskPlan(queue, { batchSize: this.#opts.batchSize, wildcards });
    return this.#plan;
  }

  /**
   * Never: holding the CPE's requests buys our tasks nothing (none depends on going before a
   * TransferComplete) and costs CPEs that mishandle the hold their requests (issue 11).
   */
  holdRequests(): boolean {
    return false;
  }

  next(): ProgramRpc | null {
    const planned = this.#planned().next();
    return planned === null ? null : { request: planned.request, requestId: planned.tag };
  }

  learn(answer: RpcOutcome): void {
    for (const outcome of this.#planned().learn(answer, this.#now())) {
      if (outcome.state === 'progress') this.#record.progress(outcome.requestId, outcome.response);
      else this.#record.settle(outcome);
    }
  }
}

/** Fault the tasks handed to more than `max` sessions; returns the others. */
function giveUpExhausted(ctx: ProgramContext, queue: TaskRecord[], max: number): TaskRecord[] {
  return queue.filter((t) => {
    if (t.attempts <= max) return true;
    const faultString = `no outcome after ${max} sessions: given up (retry the task to try again)`;
    ctx.record.settle({
      requestId: t.id,
      state: 'fault',
      fault: { faultCode: TOO_MANY_ATTEMPTS, faultString, setParameterValuesFault: [] },
      at: ctx.view.startedAt,
      response: t.response,
    });
    return false;
  });
}

/** `M <method>` events name the request that caused them (TR-069 3.7.1.5, Table 7). */
const METHOD_EVENTS: ReadonlyMap<string, AcsRequest['method']> = new Map<string, AcsRequest['method']>([
  [eventKey(EV.M_REBOOT), 'Reboot'],
  [eventKey(EV.M_SCHEDULE_INFORM), 'ScheduleInform'],
  [eventKey(EV.M_DOWNLOAD), 'Download'],
  [eventKey(EV.M_SCHEDULE_DOWNLOAD), 'ScheduleDownload'],
  [eventKey(EV.M_UPLOAD), 'Upload'],
  [eventKey(EV.M_CHANGE_DU_STATE), 'ChangeDUState'],
]);

/**
 * A queued request whose `M …` event arrives was carried out by the CPE even though we
 * never recorded its answer (the ACS or its store failed mid-session): mark it done
 * instead of sending it again. Returns the queue without the linked tasks.
 */
function linkMethodEvents(ctx: ProgramContext, queue: TaskRecord[]): TaskRecord[] {
  const at = ctx.view.startedAt;
  for (const event of ctx.view.inform.event) {
    const method = METHOD_EVENTS.get(eventKey(event.eventCode));
    if (method === undefined) continue;
    const index = queue.findIndex((q) => rpcMethodOf(q.task) === method && q.commandKey !== null && q.commandKey === event.commandKey);
    const linked = queue[index];
    if (linked === undefined) continue;
    queue.splice(index, 1);
    ctx.record.link(linked.id);
    const response = synthesizedResponse(method);
    if (response !== null) ctx.record.settle({ requestId: linked.id, state: 'done', response, at });
  }
  return queue;
}

const UNKNOWN_TIME = '0001-01-01T00:00:00Z';

function synthesizedResponse(method: AcsRequest['method']): CpeResponse | null {
  switch (method) {
    case 'Reboot':
      return { method: 'RebootResponse' };
    case 'ScheduleInform':
      return { method: 'ScheduleInformResponse' };
    case 'ScheduleDownload':
      return { method: 'ScheduleDownloadResponse' };
    case 'ChangeDUState':
      return { method: 'ChangeDUStateResponse' };
    case 'Download':
    case 'Upload':
      // Started (status 1: TransferComplete will tell how it ended); its times are unknown
      // (TR-069's unknown time). Without this the task would be sent again.
      return { method: `${method}Response`, status: 1, startTime: UNKNOWN_TIME, completeTime: UNKNOWN_TIME };
    default:
      return null;
  }
}
