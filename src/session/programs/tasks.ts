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
  readonly #plan: TaskPlan;
  readonly #record: SessionRecorder;
  readonly #now: () => number;

  constructor(ctx: ProgramContext, opts: TasksProgramOptions) {
    this.#record = ctx.record;
    this.#now = () => ctx.view.now();
    const queue = giveUpExhausted(ctx, linkMethodEvents(ctx, [...ctx.queue]), opts.maxAttempts ?? 5);
    this.#plan = new TaskPlan(queue, { batchSize: opts.batchSize });
  }

  /**
   * Never: holding the CPE's requests buys our tasks nothing (none depends on going before a
   * TransferComplete) and costs CPEs that mishandle the hold their requests (issue 11).
   */
  holdRequests(): boolean {
    return false;
  }

  next(): ProgramRpc | null {
    const planned = this.#plan.next();
    return planned === null ? null : { request: planned.request, requestId: planned.tag };
  }

  learn(answer: RpcOutcome): void {
    for (const outcome of this.#plan.learn(answer, this.#now())) {
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
