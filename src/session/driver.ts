/**
 * One live CWMP session on the ACS, without HTTP: the pure machine (src/cwmp/acs-session)
 * driving the session's programs (./program.ts) against a narrow store port (./port.ts).
 * It gathers everything the session learns and writes it in ONE commit at the end, so a
 * device is always either before or after a session, never in between (a crash loses at
 * most the session, which the CPE retries with its events kept).
 *
 * Store round trips: `openSession` at Inform, `commitSession` at the end; one
 * `readStoredParameters` only when a program declared stored paths; `extendLock` only in
 * sessions that outlive a third of the lock's TTL. An idle periodic session costs two.
 *
 * A HEARTBEAT session (TR-069 Annex O: 14 HEARTBEAT alone) runs no programs at all, so no
 * tasks, policies, discovery or credentials: the lock is taken without handing out tasks,
 * the Inform's values and the session log are committed, and that is all (two round trips).
 */
import { AcsSession, type RpcCompletion } from '../cwmp/acs-session.js';
import { EV, hasEvent, isHeartbeatOnly } from '../cwmp/events.js';
import type { AcsRequest, CpeRequest, CpeResponse, Envelope, Inform, ParameterValue } from '../cwmp/types.js';
import type { EventSink } from '../events/bus.js';
import type {
  CommitSample,
  SessionSubscriber,
  SubscriberClaims,
  CpeMessageRecord,
  CredentialWrite,
  DeviceCredentials,
  DeviceSummary,
  ParameterOp,
  PolicyCommit,
  RequestOutcome,
  RequestProgress,
  RpcLogEntry,
  SessionOpenResult,
  StoredParameter,
  TaskRecord,
} from '../store/types.js';
import { secretRules, type SecretRules } from '../secrets/rules.js';
import { entryTest, positionsWhere, withoutPositions, type EntryTest } from '../cwmp/recalled.js';
import { AliasNumbers, numberedEntries } from '../datamodel/instance-paths.js';
import type { SessionStorePort } from './port.js';
import type { Program, ProgramFactory, SessionAuth, SessionRecorder, SessionView } from './program.js';
import { LearntValues } from './learnt.js';

/** What the transport sends back for one message. */
export type Reply =
  | { status: 200; envelope: Envelope }
  | { status: 204 }
  /** A SOAP fault that ends the session (e.g. 8005 busy) or answers a broken message. */
  | { status: 400 | 500; envelope: Envelope | null; reason: string };

export interface SessionDriverDeps {
  store: SessionStorePort;
  /** An idle session ends after this long; the lock's TTL is derived from it. */
  sessionTimeoutMs: number;
  /** The session's programs, built once the session is open. */
  programs: ProgramFactory;
  now: () => number;
  lockOwner: string;
  /** What the Inform claims for a subscriber binding (openSession binds a matching pending claim). */
  claims?: (inform: Inform) => SubscriberClaims | undefined;
  /** Called once when the session is over (committed or abandoned). */
  onEnded: (session: SessionDriver) => void;
  /** Told what the session did, after its commit (src/events/bus.ts). */
  events?: EventSink;
  /** A program threw: it is dropped for the rest of the session, the others carry on. */
  onProgramError?: (program: string, error: unknown) => void;
  /**
   * The peer address of the session's Inform, written at the commit as `sourcePath` (a row
   * like any parameter, unchanged rows cost nothing): connection requests may go only where
   * a device's sessions come from (src/reach/target-guard.ts).
   */
  source?: { path: string; address: string };
  /** CWMP versions the ACS speaks (default all); a CPE offering none of them gets fault 8006. */
  cwmpVersions?: readonly string[];
}

export interface SessionSummary {
  /** "ok", "timeout", "protocol-error: …" for a committed session; why not otherwise. */
  outcome: string;
  committed: boolean;
  startedAt: number;
  endedAt: number;
  /** The Inform's event codes. */
  events: readonly string[];
  /** The RPCs the ACS sent, with their outcomes. */
  rpcs: readonly RpcLogEntry[];
}

export class SessionDriver {
  readonly machine: AcsSession;
  readonly #deps: SessionDriverDeps;
  readonly startedAt: number;
  deviceId: string | null = null;
  #inform: Inform | null = null;
  #device: DeviceSummary | null = null;
  #auth: SessionAuth = 'anyone';
  #credentials: DeviceCredentials | null = null;
  #credentialWrites: CredentialWrite[] = [];
  /** What the tree records of the request on the wire, when a program said (ProgramRpc.recordAs). */
  #recordAs: AcsRequest | null = null;
  /** Every task openSession handed us (for the task events after the commit). */
  #handed: TaskRecord[] = [];
  #programs: Program[] = [];
  #current = 0;
  /** Programs that threw: finished for the rest of the session. */
  readonly #failed = new Set<Program>();
  /** The program whose request is on the wire. */
  #asker: Program | null = null;
  #storedPaths: string[] = [];
  #stored: Map<string, StoredParameter> | null = null;
  readonly #learnt = new LearntValues();
  /** Secrets read back as "" this session: their values are unknown, but the device has them. */
  readonly #blankSecrets = new Set<string>();
  #known = true;
  #ops: ParameterOp[] = [];
  #outcomes: RequestOutcome[] = [];
  #progress: RequestProgress[] = [];
  #samples: CommitSample[] = [];
  #cpeMessages: CpeMessageRecord[] = [];
  #rpcs: RpcLogEntry[] = [];
  #cpeRequestNames: string[] = [];
  #linked: string[] = [];
  #policy: PolicyCommit | undefined;
  #policyMemo: string | null = null;
  #lockHeld = false;
  #protocolError: string | null = null;
  #lastLockRefresh = 0;
  #ended = false;
  #summary: SessionSummary | null = null;
  #heartbeat = false;
  /**
   * CWMP 1.4 InstanceMode (TR-069 3.6.1): the tree is keyed by instance number, so answers
   * that name instances by alias are placed through the aliases known (stored and read
   * `…N.Alias` values, AddObject of "T.[alias]."). docs/cwmp-1.4.md.
   */
  readonly #aliases = new AliasNumbers();
  /** This session already asked the device to answer with instance numbers. */
  #askedNumbers = false;
  /** RPCs of the driver's own, sent before the programs go on: the InstanceMode switch, then the read it interrupted. */
  readonly #own: { request: AcsRequest; tag: string | null; asker: Program | null; recordAs: AcsRequest | null }[] = [];

  constructor(deps: SessionDriverDeps, idPrefix: string) {
    this.#deps = deps;
    this.machine = new AcsSession({ idPrefix, ...(deps.cwmpVersions !== undefined ? { cwmpVersions: deps.cwmpVersions } : {}) });
    this.startedAt = deps.now();
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** A HEARTBEAT session (Annex O): no programs run in it. */
  get heartbeat(): boolean {
    return this.#heartbeat;
  }

  /** The first protocol error the session survived, kept for its outcome if it later times out. */
  get protocolError(): string | null {
    return this.#protocolError;
  }

  noteProtocolError(reason: string): void {
    this.#protocolError ??= reason;
  }

  /**
   * How the session ended, for the process's metrics (src/metrics): set before onEnded runs.
   * `committed` false: nothing was written (refused, busy, failed).
   */
  get summary(): SessionSummary | null {
    return this.#summary;
  }

  /** The session's programs changed the device's credentials (written with its commit). */
  get changedCredentials(): boolean {
    return this.#credentialWrites.length > 0;
  }

  /**
   * Take the device's lock and read what we know of it. The caller checks the CPE's
   * credentials against the result before calling `accept`.
   */
  async open(inform: Inform, deviceId: string, auth: SessionAuth = 'anyone'): Promise<SessionOpenResult> {
    this.deviceId = deviceId;
    this.#auth = auth;
    this.#inform = inform;
    const now = this.#deps.now();
    const claims = this.#deps.claims?.(inform);
    this.#heartbeat = isHeartbeatOnly(inform.event);
    const result = await this.#deps.store.openSession({
      deviceId,
      lockOwner: this.#deps.lockOwner,
      lockTtlMs: this.#lockTtl(),
      now,
      ...(claims !== undefined ? { claims } : {}),
      // Its tasks wait for the next real session: handed out here they would only come back, an attempt spent.
      ...(this.#heartbeat ? { takeTasks: false } : {}),
    });
    if (result.lock === 'acquired') {
      this.#lockHeld = true;
      this.#lastLockRefresh = now;
      this.#handed = result.queue;
      this.#device = result.device;
      this.#policyMemo = result.policyMemo;
      this.#credentials = result.credentials;
      this.#known = result.device !== null;
      this.#start(inform, deviceId, result.queue, result.subscriber ?? null);
    }
    return result;
  }

  /** Answer the Inform with InformResponse; HoldRequests when a program wants to go first. */
  accept(): Reply {
    const holdRequests = this.#programs.some((p) => p.holdRequests?.() ?? false);
    return { status: 200, envelope: this.machine.acceptInform({ holdRequests }) };
  }

  /** Refuse the Inform (busy: 8005, the CPE retries later) and end without writing. */
  async reject(faultCode: number, reason: string): Promise<Reply> {
    const envelope = this.machine.rejectInform(faultCode, reason);
    await this.abandon(faultCode === 8005 ? 'busy' : 'refused');
    return { status: 500, envelope, reason };
  }

  /**
   * The Inform offered CWMP versions and none is ours: fault 8006 (A.2.1), before the store
   * is touched (call it before `open`; nothing is written, no lock taken).
   */
  async refuseVersion(): Promise<Reply> {
    const envelope = this.machine.versionFault();
    await this.abandon('incompatible-version');
    return { status: 500, envelope, reason: envelope.body.detail.faultString };
  }

  /** Every message after the Inform (null: an empty POST). */
  async handle(message: Envelope | null): Promise<Reply> {
    const received = this.machine.receive(message);
    switch (received.kind) {
      case 'inform':
        // Only reachable in awaitingInform, which a driver never leaves via handle().
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
        this.noteProtocolError(`protocol-error: ${received.error.message}`);
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
    // A request still on the wire: its program may learn from the silence (a CPE that chokes
    // on a big GetParameterValues and never answers).
    const asker = this.#asker;
    this.#asker = null;
    if (asker !== null && outcome !== 'ok') this.#guard(asker, () => asker.interrupted?.(outcome));
    try {
      if (this.#inform !== null && this.deviceId !== null && this.#lockHeld) {
        const now = this.#deps.now();
        await this.#deps.store.commitSession({
          deviceId: this.deviceId,
          lockOwner: this.#deps.lockOwner,
          identity: this.#inform.deviceId,
          informAt: this.startedAt,
          events: this.#inform.event,
          parameterOps: this.#withSource(),
          requestOutcomes: this.#outcomes,
          ...(this.#progress.length > 0 ? { requestProgress: this.#progress } : {}),
          cpeMessages: this.#cpeMessages,
          ...(this.#credentialWrites.length > 0 ? { credentialWrites: this.#credentialWrites } : {}),
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
          ...(this.#policy !== undefined ? { policy: this.#policy } : {}),
          ...(this.#samples.length > 0 ? { samples: this.#samples } : {}),
        });
        this.#lockHeld = false;
        this.#summary = {
          outcome,
          committed: true,
          startedAt: this.startedAt,
          endedAt: now,
          events: this.#inform.event.map((e) => e.eventCode),
          rpcs: this.#rpcs,
        };
        this.#publish(outcome);
      }
    } finally {
      this.#deps.onEnded(this);
    }
  }

  /**
   * The session's ops and, last, where the session came from: last, so nothing the CPE said
   * (an Inform parameter, a GetParameterValues answer) and no prune of a discovery outlives it.
   */
  #withSource(): ParameterOp[] {
    const src = this.#deps.source;
    if (src === undefined) return this.#ops;
    return [...this.#ops, { op: 'setValues', at: this.startedAt, touch: false, params: [{ name: src.path, value: src.address, type: 'xsd:string' }] }];
  }

  /** End without writing anything (authentication failed, device busy). */
  async abandon(why = 'abandoned'): Promise<void> {
    if (this.#ended) return;
    this.#ended = true;
    this.#summary = { outcome: why, committed: false, startedAt: this.startedAt, endedAt: this.#deps.now(), events: [], rpcs: [] };
    try {
      if (this.#lockHeld && this.deviceId !== null) {
        await this.#deps.store.releaseLock(this.deviceId, this.#deps.lockOwner);
        this.#lockHeld = false;
      }
    } finally {
      this.#deps.onEnded(this);
    }
  }

  /** What the Inform itself teaches, then the programs. */
  #start(inform: Inform, deviceId: string, queue: readonly TaskRecord[], subscriber: SessionSubscriber | null): void {
    // 0 BOOTSTRAP: a new or factory-reset device; what we knew of its tree is void.
    if (hasEvent(inform.event, EV.BOOTSTRAP)) this.#apply({ op: 'clearTree' });
    // Inform values named by alias (InstanceMode InstanceAlias) cannot be placed yet: nothing
    // is known of the aliases before the store is read. Left out; a later read brings them.
    const informed = withoutBlankSecrets(numberedEntries(inform.parameterList, this.#aliases).list);
    if (informed.length > 0) this.#apply({ op: 'setValues', at: this.startedAt, touch: false, params: informed });
    const record: SessionRecorder = {
      settle: (outcome) => this.#outcomes.push(outcome),
      link: (taskId) => this.#linked.push(taskId),
      policy: (commit) => {
        this.#policy = commit;
      },
      credentials: (write) => this.#credentialWrites.push(write),
      progress: (taskId, response) => this.#progress.push({ requestId: taskId, response, at: this.#deps.now() }),
      samples: (list) => this.#samples.push(...list),
      values: (params) => this.#apply({ op: 'setValues', at: this.#deps.now(), touch: false, params: [...params] }),
    };
    // Annex O: a HEARTBEAT session carries no RPCs from the ACS; it must stay as cheap as an idle periodic one.
    this.#programs = this.#heartbeat ? [] : this.#deps.programs({ view: this.#view(inform, deviceId), queue, record, opened: { subscriber } });
    this.#storedPaths = [...new Set(this.#programs.flatMap((p) => p.storedPaths ?? []))];
  }

  #view(inform: Inform, deviceId: string): SessionView {
    const stored = (): Map<string, StoredParameter> => this.#stored ?? new Map();
    return {
      deviceId,
      inform,
      device: this.#device,
      policyMemo: this.#policyMemo,
      auth: this.#auth,
      credentials: this.#credentials,
      startedAt: this.startedAt,
      now: () => this.#deps.now(),
      learnt: (path) => this.#learnt.get(path),
      // A secret read blank and later given a value (set, or read again) is listed once.
      learntUnder: (prefix) => [...new Set([...this.#learnt.paths(), ...this.#blankSecrets])].filter((p) => p.startsWith(prefix)),
      stored: (path) => stored().get(path),
      storedUnder: (prefix) => [...stored().values()].filter((p) => p.path.startsWith(prefix)),
    };
  }

  async #nextOrFinish(): Promise<Reply> {
    if (this.#stored === null && this.#storedPaths.length > 0 && this.deviceId !== null) {
      const rows = await this.#deps.store.readStoredParameters(this.deviceId, this.#storedPaths);
      this.#stored = new Map(rows.map((r) => [r.path, r]));
      for (const r of rows) if (r.path.endsWith('.Alias')) this.#aliases.learnValue(r.path, r.value);
    }
    const own = this.#own.shift();
    if (own !== undefined) {
      this.#asker = own.asker;
      this.#recordAs = own.recordAs;
      return { status: 200, envelope: this.machine.sendRequest(own.request, own.tag) };
    }
    while (this.#current < this.#programs.length) {
      const program = this.#programs[this.#current]!;
      if (program.prepare !== undefined && !this.#failed.has(program)) {
        try {
          await program.prepare();
        } catch (e) {
          this.#failed.add(program);
          this.#deps.onProgramError?.(program.name, e);
        }
      }
      const rpc = this.#failed.has(program) ? null : this.#guard(program, () => program.next());
      if (rpc !== null && rpc !== undefined) {
        this.#asker = program;
        this.#recordAs = rpc.recordAs ?? null;
        return { status: 200, envelope: this.machine.sendRequest(rpc.request, rpc.requestId) };
      }
      this.#current++;
    }
    // Nothing left: 204. If we were holding the CPE's requests the machine stays open
    // ('released') for them and the commit waits for the session's real end.
    if (this.machine.finish() === 'ended') await this.end('ok');
    return { status: 204 };
  }

  /** Run a program's step; a program that throws is reported and finished, not the session. */
  #guard<T>(program: Program, step: () => T): T | undefined {
    try {
      return step();
    } catch (e) {
      this.#failed.add(program);
      this.#deps.onProgramError?.(program.name, e);
      return undefined;
    }
  }

  #recordCpeRequest(request: Exclude<CpeRequest, Inform>): void {
    this.#cpeRequestNames.push(request.method);
    this.#cpeMessages.push({ at: this.#deps.now(), message: request });
    for (const p of this.#programs) {
      if (p.cpeRequest !== undefined && !this.#failed.has(p)) this.#guard(p, () => p.cpeRequest!(request));
    }
  }

  #recordCompletion(done: RpcCompletion): void {
    const at = this.#deps.now();
    const { request, tag } = done;
    let outcome = done.outcome;
    const recordAs = this.#recordAs;
    this.#recordAs = null;
    if (outcome.ok && namesByAlias(outcome.response)) {
      const placed = this.#placed(outcome.response);
      if (placed === null) {
        // Answered by alias (InstanceMode InstanceAlias) with instances we cannot place: ask
        // the device for numbers (the ACS's to choose, TR-069 3.6.1), then ask again.
        this.#rpcs.push({ method: request.method, requestId: tag, outcome: 'done' });
        this.#own.push({ request: this.#numbersPlease(outcome.response), tag: null, asker: null, recordAs: null }, { request, tag, asker: this.#asker, recordAs });
        this.#asker = null;
        return;
      }
      outcome = { ...outcome, response: placed };
    }
    if (outcome.ok) {
      this.#rpcs.push({ method: request.method, requestId: tag, outcome: 'done' });
      if (outcome.response.method === 'AddObjectResponse' && request.method === 'AddObject') this.#aliases.learnAdded(request.objectName, outcome.response.instanceNumber);
      let blanks: readonly number[] | undefined;
      if (outcome.response.method === 'GetParameterValuesResponse') {
        // Secrets read back blank that nothing learnt before this answer gives a value to (the
        // answer's own blanks are not in its op). Asked before the answer joins what was learnt,
        // so the lookups walk the short lists before it rather than indexing a discovery's
        // thousands of values (src/session/learnt.ts).
        const list = outcome.response.parameterList;
        blanks = blankSecretsOf(list);
        for (const i of blanks) if (!this.#learnt.has(list[i]!.name)) this.#blankSecrets.add(list[i]!.name);
      }
      const op = parameterOpFor(recordAs ?? request, outcome.response, at, this.#aliases, blanks);
      if (op !== null) this.#apply(op);
    } else {
      this.#rpcs.push({ method: request.method, requestId: tag, outcome: 'fault', faultCode: outcome.fault.faultCode });
    }
    const asker = this.#asker;
    this.#asker = null;
    if (asker !== null) this.#guard(asker, () => asker.learn(outcome));
  }

  /**
   * A read answer with its alias names numbered; null when some cannot be placed and the
   * device can still be asked for numbers. Once asked, what stays unplaced is left out.
   */
  #placed(response: ReadAnswer): ReadAnswer | null {
    const { list, unplaced } = numberedEntries<{ name: string }>(response.parameterList, this.#aliases);
    if (unplaced.length === 0) return { ...response, parameterList: list } as ReadAnswer;
    if (!this.#askedNumbers) {
      this.#askedNumbers = true;
      return null;
    }
    return { ...response, parameterList: list } as ReadAnswer;
  }

  /** SetParameterValues InstanceMode = InstanceNumber, keeping the device's ParameterKey. */
  #numbersPlease(answer: ReadAnswer): AcsRequest {
    const first = answer.parameterList[0]?.name ?? 'Device.';
    const root = first.slice(0, first.indexOf('.') + 1);
    const parameterKey = this.#learnt.get(`${root}ManagementServer.ParameterKey`)?.value ?? '';
    return { method: 'SetParameterValues', parameterList: [{ name: `${root}ManagementServer.InstanceMode`, value: 'InstanceNumber', type: 'xsd:string' }], parameterKey };
  }

  /** Keep an op for the commit, and what it teaches for the programs' view. */
  #apply(op: ParameterOp): void {
    this.#ops.push(op);
    if (op.op === 'setValues') {
      this.#learnt.add(op.params);
      for (const k of positionsWhere(op.params, ALIAS_VALUE)) this.#aliases.learnValue(op.params[k]!.name, op.params[k]!.value);
    } else if (op.op === 'deleteObject' || op.op === 'clearTree') {
      this.#learnt.forget((path) => op.op === 'clearTree' || path.startsWith(op.path));
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
      if (o.state === 'done') sink.publish({ type: 'task.done', at, deviceId, data: { ...base, ...diagnosticsStateOf(o.response) } });
      else sink.publish({ type: 'task.faulted', at, deviceId, data: { ...base, fault: o.fault } });
    }
    this.#publishCompliance(sink, deviceId, at);
    this.#publishTransfers(sink, deviceId, at);
  }

  /** Transfers the CPE reported this session, autonomous ones included (an OSS may follow them). */
  #publishTransfers(sink: EventSink, deviceId: string, at: number): void {
    for (const { message: m } of this.#cpeMessages) {
      if (m.method !== 'TransferComplete' && m.method !== 'AutonomousTransferComplete') continue;
      const outcome = { faultCode: m.faultStruct.faultCode, faultString: m.faultStruct.faultString, startTime: m.startTime, completeTime: m.completeTime };
      if (m.method === 'TransferComplete') {
        sink.publish({ type: 'device.transfer', at, deviceId, data: { autonomous: false, commandKey: m.commandKey, ...outcome } });
      } else {
        const { announceURL, transferURL, isDownload, fileType, fileSize, targetFileName } = m;
        sink.publish({ type: 'device.transfer', at, deviceId, data: { autonomous: true, announceURL, transferURL, isDownload, fileType, fileSize, targetFileName, ...outcome } });
      }
    }
  }

  /** Policies evaluated this session, each with its state (alarms over policies listen). */
  #publishCompliance(sink: EventSink, deviceId: string, at: number): void {
    for (const c of this.#policy?.compliance ?? []) {
      sink.publish({ type: 'policy.compliance', at, deviceId, data: { policyId: c.policyId, state: c.state, fault: c.fault } });
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
    return Math.max(60_000, this.#deps.sessionTimeoutMs * 2);
  }
}

/** A finished diagnostic's DiagnosticsState ("Complete", "Error_CannotResolveHostName" …), for task.done's data. */
function diagnosticsStateOf(response: CpeResponse): { diagnosticsState?: string } {
  if (response.method !== 'GetParameterValuesResponse') return {};
  const state = response.parameterList.find((p) => p.name.endsWith('.DiagnosticsState'));
  return state === undefined ? {} : { diagnosticsState: state.value.slice(0, 64) };
}

type ReadAnswer = Extract<CpeResponse, { method: 'GetParameterNamesResponse' | 'GetParameterValuesResponse' | 'GetParameterAttributesResponse' }>;

/** A read answer whose names carry `[alias]` segments (a device in InstanceMode InstanceAlias). */
function namesByAlias(response: CpeResponse): response is ReadAnswer {
  switch (response.method) {
    case 'GetParameterNamesResponse':
    case 'GetParameterValuesResponse':
    case 'GetParameterAttributesResponse':
    {
      // Asked of every answer of a discovery (10,000 names): of a recalled answer, only of its own entries.
      return positionsWhere(response.parameterList as readonly { name: string }[], ALIAS_NAMED).length > 0;
    }
    default:
      return false;
  }
}

/** What a successful answer teaches us about the device's tree (alias paths placed through `aliases`, or left out). */
function parameterOpFor(request: AcsRequest, response: CpeResponse, at: number, aliases: AliasNumbers, blanks?: readonly number[]): ParameterOp | null {
  switch (response.method) {
    case 'GetParameterValuesResponse':
      return { op: 'setValues', at, touch: true, params: withoutBlankSecrets(response.parameterList, blanks) };
    case 'GetParameterNamesResponse':
      if (request.method !== 'GetParameterNames') return null;
      return { op: 'setNames', at, root: request.parameterPath, nextLevel: request.nextLevel, params: response.parameterList };
    case 'GetParameterAttributesResponse':
      return { op: 'setAttributes', at, params: response.parameterList };
    case 'SetParameterAttributesResponse': {
      // What was set is what the device now has (its access list, when not changed, assumed the default: empty).
      if (request.method !== 'SetParameterAttributes') return null;
      const params = request.parameterList
        .filter((p) => p.notificationChange && !p.name.endsWith('.'))
        .map((p) => ({ name: p.name, notification: p.notification, accessList: p.accessListChange ? p.accessList : [] }));
      return params.length === 0 ? null : { op: 'setAttributes', at, params };
    }
    case 'SetParameterValuesResponse': {
      if (request.method !== 'SetParameterValues') return null;
      // An alias path (CWMP 1.4) whose instance is not known (auto-created) names a row only
      // the device can place; a later read brings it.
      const params = numberedEntries(request.parameterList, aliases).list;
      return params.length === 0 ? null : { op: 'setValues', at, touch: true, params };
    }
    case 'AddObjectResponse':
      if (request.method !== 'AddObject') return null;
    {
      // "Table.[alias]." made an instance of Table.
      const table = aliases.toNumbers(withDot(request.objectName).replace(/\[[^\]]+\]\.$/, ''));
      return table === null ? null : { op: 'addObject', at, path: `${table}${response.instanceNumber}.` };
    }
    case 'DeleteObjectResponse': {
      if (request.method !== 'DeleteObject') return null;
      const path = aliases.toNumbers(withDot(request.objectName));
      return path === null ? null : { op: 'deleteObject', path };
    }
    default:
      return null;
  }
}

/**
 * A read of a secret answers "" (TR-069 A.3.2.1): it tells nothing, and must not replace the
 * value the ACS set (src/secrets/rules.ts). Our own SetParameterValues is kept as sent.
 */
function withoutBlankSecrets(params: ParameterValue[], blanks: readonly number[] = blankSecretsOf(params)): ParameterValue[] {
  // The list itself when it has none (a discovery's answer is shared, not copied).
  if (blanks.length === 0) return params;
  return withoutPositions(params, blanks);
}

/**
 * Where the blank values of secrets are in a read's answer, asked once per answer (of a recalled
 * answer, only of its own entries: src/cwmp/recalled.ts), under the process's secret rules.
 */
function blankSecretsOf(params: readonly ParameterValue[]): readonly number[] {
  const rules = secretRules();
  let test = BLANK_SECRETS.get(rules);
  if (test === undefined) BLANK_SECRETS.set(rules, (test = entryTest((p) => p.value === '' && rules.isSecret(p.name))));
  return positionsWhere(params, test);
}

const BLANK_SECRETS = new WeakMap<SecretRules, EntryTest<ParameterValue>>();

const ALIAS_NAMED = entryTest<{ name: string }>((e) => e.name.indexOf('[') >= 0);
const ALIAS_VALUE = entryTest<ParameterValue>((p) => p.name.endsWith('.Alias'));

function withDot(path: string): string {
  return path.endsWith('.') ? path : `${path}.`;
}
