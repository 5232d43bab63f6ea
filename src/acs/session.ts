/**
 * One live CWMP session on the ACS: the pure machine (src/cwmp/acs-session) wired to the
 * store. It gathers everything the session learns and writes it in ONE commit at the end,
 * so a device is always either before or after a session, never in between (a crash loses
 * at most the session, which the CPE retries with its events kept).
 *
 * Store round trips: `openSession` at Inform, `commitSession` at the end. Nothing else on
 * an idle periodic session.
 */
import { AcsSession, type RpcCompletion } from '../cwmp/acs-session.js';
import { EV, eventKey, hasEvent } from '../cwmp/events.js';
import type { AcsRequest, CpeRequest, CpeResponse, Envelope, EventStruct, Inform } from '../cwmp/types.js';
import type { EventSink } from '../events/bus.js';
import type {
  CpeMessageRecord,
  ParameterOp,
  RequestOutcome,
  RpcLogEntry,
  SessionOpenResult,
  Store,
  TaskRecord,
} from '../store/types.js';
import { TaskPlan } from '../tasks/planner.js';
import { rpcMethodOf } from '../tasks/rpc.js';
import type { AcsConfig } from './config.js';
import { DiscoveryPlan, rootOf } from './discovery.js';

/** What the HTTP layer sends back for one POST. */
export type Reply =
  | { status: 200; envelope: Envelope }
  | { status: 204 }
  /** A SOAP fault that ends the session (e.g. 8005 busy) or answers a broken message. */
  | { status: 400 | 500; envelope: Envelope | null; reason: string };

export interface SessionDeps {
  store: Store;
  config: AcsConfig;
  now: () => number;
  lockOwner: string;
  /** Called once when the session is over (committed or abandoned). */
  onEnded: (session: LiveSession) => void;
  /** Told what the session did, after its commit (src/events/bus.ts). */
  events?: EventSink;
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

export class LiveSession {
  readonly machine: AcsSession;
  readonly #deps: SessionDeps;
  readonly startedAt: number;
  deviceId: string | null = null;
  #inform: Inform | null = null;
  #queue: TaskRecord[] = [];
  /** Every task openSession handed us (the queue loses the ones linked to `M …` events). */
  #handed: TaskRecord[] = [];
  #tasks: TaskPlan | null = null;
  #known = true;
  #discovery: DiscoveryPlan | null = null;
  #ops: ParameterOp[] = [];
  #outcomes: RequestOutcome[] = [];
  #cpeMessages: CpeMessageRecord[] = [];
  #rpcs: RpcLogEntry[] = [];
  #cpeRequestNames: string[] = [];
  #linked: string[] = [];
  #lockHeld = false;
  #lastLockRefresh = 0;
  #ended = false;

  constructor(deps: SessionDeps, idPrefix: string) {
    this.#deps = deps;
    this.machine = new AcsSession({ idPrefix });
    this.startedAt = deps.now();
  }

  get ended(): boolean {
    return this.#ended;
  }

  /**
   * Take the device's lock and read what we know of it. The caller checks the CPE's
   * credentials against the result before calling `accept`.
   */
  async open(inform: Inform, deviceId: string): Promise<SessionOpenResult> {
    this.deviceId = deviceId;
    this.#inform = inform;
    const now = this.#deps.now();
    const result = await this.#deps.store.openSession({
      deviceId,
      lockOwner: this.#deps.lockOwner,
      lockTtlMs: this.#lockTtl(),
      now,
    });
    if (result.lock === 'acquired') {
      this.#lockHeld = true;
      this.#lastLockRefresh = now;
      this.#queue = [...result.queue];
      this.#handed = result.queue;
      this.#known = result.device !== null;
      this.#plan(inform, result);
    }
    return result;
  }

  /** Answer the Inform with InformResponse; HoldRequests when work is waiting (ACS first). */
  accept(): Reply {
    const holdRequests = this.#queue.length > 0;
    return { status: 200, envelope: this.machine.acceptInform({ holdRequests }) };
  }

  /** Refuse the Inform (busy: 8005, the CPE retries later) and end without writing. */
  async reject(faultCode: number, reason: string): Promise<Reply> {
    const envelope = this.machine.rejectInform(faultCode, reason);
    await this.abandon();
    return { status: 500, envelope, reason };
  }

  /** Every POST after the Inform. */
  async handle(message: Envelope | null): Promise<Reply> {
    const received = this.machine.receive(message);
    switch (received.kind) {
      case 'inform':
        // Only reachable in awaitingInform, which a LiveSession never leaves via handle().
        return { status: 400, envelope: null, reason: 'unexpected Inform' };
      case 'cpeRequest':
        this.#recordCpeRequest(received.request);
        return { status: 200, envelope: received.reply };
      case 'unsupported':
        this.#cpeRequestNames.push(received.name);
        return { status: 200, envelope: received.reply };
      case 'acsTurn':
        if (received.completed !== null) this.#recordCompletion(received.completed);
        await this.#refreshLockIfDue();
        return this.#nextOrFinish();
      case 'ended':
        await this.end('ok');
        return { status: 204 };
      case 'rejected':
        return { status: 400, envelope: received.reply, reason: received.error.message };
    }
  }

  /**
   * Write everything and free the device. Idempotent. Throws if the store fails, so the
   * caller can answer the CPE with an error and the CPE retries the session.
   */
  async end(outcome: string): Promise<void> {
    if (this.#ended) return;
    this.#ended = true;
    try {
      if (this.#inform !== null && this.deviceId !== null && this.#lockHeld) {
        const now = this.#deps.now();
        await this.#deps.store.commitSession({
          deviceId: this.deviceId,
          lockOwner: this.#deps.lockOwner,
          identity: this.#inform.deviceId,
          informAt: this.startedAt,
          events: this.#inform.event,
          parameterOps: this.#ops,
          requestOutcomes: this.#outcomes,
          cpeMessages: this.#cpeMessages,
          log: {
            deviceId: this.deviceId,
            startedAt: this.startedAt,
            endedAt: now,
            events: this.#inform.event,
            rpcs: this.#rpcs,
            cpeRequests: this.#cpeRequestNames,
            outcome,
            linkedRequests: this.#linked,
          },
          releaseLock: true,
        });
        this.#lockHeld = false;
        this.#publish(outcome);
      }
    } finally {
      this.#deps.onEnded(this);
    }
  }

  /** End without writing anything (authentication failed, device busy). */
  async abandon(): Promise<void> {
    if (this.#ended) return;
    this.#ended = true;
    try {
      if (this.#lockHeld && this.deviceId !== null) {
        await this.#deps.store.releaseLock(this.deviceId, this.#deps.lockOwner);
        this.#lockHeld = false;
      }
    } finally {
      this.#deps.onEnded(this);
    }
  }

  #plan(inform: Inform, opened: SessionOpenResult): void {
    const bootstrap = hasEvent(inform.event, EV.BOOTSTRAP);
    // 0 BOOTSTRAP: a new or factory-reset device; what we knew of its tree is void.
    if (bootstrap) this.#ops.push({ op: 'clearTree' });
    if (inform.parameterList.length > 0) {
      this.#ops.push({ op: 'setValues', at: this.startedAt, touch: false, params: inform.parameterList });
    }
    this.#linkMethodEvents(inform.event);
    this.#tasks = new TaskPlan(this.#queue, { batchSize: this.#deps.config.discoveryBatchSize });
    if (this.#deps.config.discoverOnBootstrap && (bootstrap || opened.device === null)) {
      this.#discovery = new DiscoveryPlan(
        rootOf(inform.parameterList.map((p) => p.name)),
        this.#deps.config.discoveryBatchSize,
      );
    }
  }

  /**
   * A queued request whose `M …` event arrives was carried out by the CPE even though we
   * never recorded its answer (the ACS or its store failed mid-session): mark it done
   * instead of sending it again.
   */
  #linkMethodEvents(events: EventStruct[]): void {
    for (const event of events) {
      const method = METHOD_EVENTS.get(eventKey(event.eventCode));
      if (method === undefined) continue;
      const index = this.#queue.findIndex(
        (q) => rpcMethodOf(q.task) === method && q.commandKey !== null && q.commandKey === event.commandKey,
      );
      const linked = this.#queue[index];
      if (linked === undefined) continue;
      this.#queue.splice(index, 1);
      this.#linked.push(linked.id);
      const response = synthesizedResponse(method);
      if (response !== null) {
        this.#outcomes.push({ requestId: linked.id, state: 'done', response, at: this.startedAt });
      }
    }
  }

  async #nextOrFinish(): Promise<Reply> {
    const planned = this.#tasks?.next() ?? null;
    if (planned !== null) {
      return { status: 200, envelope: this.machine.sendRequest(planned.request, planned.tag) };
    }
    const discovered = this.#discovery?.next() ?? null;
    if (discovered !== null) {
      return { status: 200, envelope: this.machine.sendRequest(discovered, null) };
    }
    // Nothing left: 204. If we were holding the CPE's requests the machine stays open
    // ('released') for them and the commit waits for the session's real end.
    if (this.machine.finish() === 'ended') await this.end('ok');
    return { status: 204 };
  }

  #recordCpeRequest(request: Exclude<CpeRequest, Inform>): void {
    this.#cpeRequestNames.push(request.method);
    this.#cpeMessages.push({ at: this.#deps.now(), message: request });
  }

  #recordCompletion(done: RpcCompletion): void {
    const at = this.#deps.now();
    const { request, outcome, tag } = done;
    if (tag === null && this.#discovery !== null) this.#discovery.learn(outcome.ok ? outcome.response : null);
    if (tag !== null && this.#tasks !== null) this.#outcomes.push(...this.#tasks.learn(outcome, at));
    if (outcome.ok) {
      this.#rpcs.push({ method: request.method, requestId: tag, outcome: 'done' });
      const op = parameterOpFor(request, outcome.response, at);
      if (op !== null) this.#ops.push(op);
    } else {
      this.#rpcs.push({ method: request.method, requestId: tag, outcome: 'fault', faultCode: outcome.fault.faultCode });
    }
  }

  /** After the commit: registered / booted / inform, and each task's outcome. */
  #publish(outcome: string): void {
    const sink = this.#deps.events;
    if (sink === undefined || this.#inform === null || this.deviceId === null) return;
    const deviceId = this.deviceId;
    const at = this.#deps.now();
    const codes = this.#inform.event.map((e) => e.eventCode.trim());
    if (!this.#known) sink.publish({ type: 'device.registered', at, deviceId, data: { deviceId: this.#inform.deviceId } });
    if (codes.includes('1 BOOT')) sink.publish({ type: 'device.booted', at, deviceId, data: { events: codes } });
    sink.publish({ type: 'device.inform', at, deviceId, data: { events: codes, outcome, rpcs: this.#rpcs.length } });
    const types = new Map(this.#handed.map((t) => [t.id, t.task.type]));
    for (const o of this.#outcomes) {
      const base = { taskId: o.requestId, taskType: types.get(o.requestId) ?? null };
      if (o.state === 'done') sink.publish({ type: 'task.done', at, deviceId, data: base });
      else sink.publish({ type: 'task.faulted', at, deviceId, data: { ...base, fault: o.fault } });
    }
  }

  /** Sessions with long discoveries outlive a lock's TTL; push it forward now and then. */
  async #refreshLockIfDue(): Promise<void> {
    const now = this.#deps.now();
    if (!this.#lockHeld || this.deviceId === null || now - this.#lastLockRefresh < this.#lockTtl() / 3) return;
    this.#lastLockRefresh = now;
    const kept = await this.#deps.store.extendLock(this.deviceId, this.#deps.lockOwner, this.#lockTtl(), now);
    if (!kept) throw new Error(`session lock for ${this.deviceId} was lost`);
  }

  #lockTtl(): number {
    return Math.max(60_000, this.#deps.config.sessionTimeoutMs * 2);
  }
}

/** What a successful answer teaches us about the device's tree. */
function parameterOpFor(request: AcsRequest, response: CpeResponse, at: number): ParameterOp | null {
  switch (response.method) {
    case 'GetParameterValuesResponse':
      return { op: 'setValues', at, touch: true, params: response.parameterList };
    case 'GetParameterNamesResponse':
      if (request.method !== 'GetParameterNames') return null;
      return { op: 'setNames', at, root: request.parameterPath, nextLevel: request.nextLevel, params: response.parameterList };
    case 'GetParameterAttributesResponse':
      return { op: 'setAttributes', at, params: response.parameterList };
    case 'SetParameterValuesResponse':
      if (request.method !== 'SetParameterValues') return null;
      return { op: 'setValues', at, touch: true, params: request.parameterList };
    case 'AddObjectResponse':
      if (request.method !== 'AddObject') return null;
      return { op: 'addObject', at, path: `${withDot(request.objectName)}${response.instanceNumber}.` };
    case 'DeleteObjectResponse':
      if (request.method !== 'DeleteObject') return null;
      return { op: 'deleteObject', path: withDot(request.objectName) };
    default:
      return null;
  }
}

function withDot(path: string): string {
  return path.endsWith('.') ? path : `${path}.`;
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
