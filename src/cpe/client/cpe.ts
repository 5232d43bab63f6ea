/**
 * One CPE's life: boot, sessions, events, retries, periodic informs, and the effects of
 * what the ACS asked for (reboot, factory reset, transfers, scheduled informs,
 * diagnostics). The session itself is session-runner.ts; the data model is behind the
 * CpeDataModel seam; sockets and timers are shared through the CpeRuntime.
 *
 * Memory matters (ten thousand of these per process): state that most devices never use
 * (queued transfers, CPE requests, extra timers) lives in `#x`, allocated on first use.
 */
import type { CpeOwnRequest } from '../../cwmp/cpe-session.js';
import type {
  AcsRequest,
  AcsResponse,
  AllQueuedTransfer,
  DeviceIdStruct,
  EventStruct,
  Inform,
  TransferComplete,
} from '../../cwmp/types.js';
import type { CpeDevice } from '../model/device.js';
import type { CpeDataModel, CpeEffect, RpcOutcome } from '../types.js';
import type { Credentials } from '../../auth/client.js';
import type { CookieJar } from './cookies.js';
import { EV, addEvent, afterInform, afterTransferComplete, retryDelayMs } from './events.js';
import type { AcsConnection } from './http.js';
import { CpeRuntime, type Gated, type RuntimeOptions } from './runtime.js';
import type { TimerEntry, TimerTarget } from './scheduler.js';
import { runSession, type SessionHost } from './session-runner.js';
import { newTransfer, queuedTransfer, runTransfer, type TransferRec } from './transfer-job.js';
import { runDiagnostic } from './diagnostics.js';
import { bulkProfiles, sendReport, type BulkReportResult } from './bulkdata.js';

/** Shared by every idle CPE instead of an empty array each. */
const NO_EVENTS: readonly EventStruct[] = Object.freeze([]);

export type CpePhase = 'off' | 'idle' | 'waiting' | 'session' | 'booting';
type CpeTimer = 'start' | 'periodic' | 'retry' | 'boot' | 'scheduleInform' | 'transfer' | 'valueChange' | 'heartbeat' | 'bulkdata';

/** Rarely used state, allocated on first use. */
interface Extra {
  transfers: TransferRec[];
  /** CPE→ACS requests waiting for delivery (TransferComplete, RequestDownload …). */
  outbox: CpeOwnRequest[];
  /** ScheduleInform and transfer timers, so a factory reset or stop can cancel them. */
  timers: TimerEntry[];
  lastActiveNotifyAt: number;
  bootstrapPending: boolean;
  /** The next HEARTBEAT (HeartbeatPolicy, TR-069 Annex O), and whether one is due now. */
  heartbeat: TimerEntry | null;
  heartbeatDue: boolean;
  /** TR-232 profiles being reported: instance → interval (ms) and when it is next due. */
  bulk?: { next: Map<number, { every: number; at: number }>; timer: TimerEntry | null };
}

export interface CpeOptions {
  model: CpeDataModel;
  /** A shared runtime (the simulator's), or options for a runtime of this CPE's own. */
  runtime?: CpeRuntime | RuntimeOptions;
}

export class Cpe implements TimerTarget<CpeTimer>, Gated, SessionHost {
  readonly model: CpeDataModel;
  readonly runtime: CpeRuntime;
  #phase: CpePhase = 'off';
  #events: EventStruct[] | null = null;
  #sentEvents: readonly EventStruct[] = NO_EVENTS;
  #retryCount = 0;
  #again = false;
  #periodic: TimerEntry | null = null;
  #retry: TimerEntry | null = null;
  #jar: CookieJar | null = null;
  #conn: AcsConnection | null = null;
  #x: Extra | null = null;
  #bootedAt = 0;
  #sessions = 0;
  /** The session in progress is a HEARTBEAT one (its event is not one of #events). */
  #heartbeatSession = false;

  constructor(opts: CpeOptions) {
    this.model = opts.model;
    this.runtime = opts.runtime instanceof CpeRuntime ? opts.runtime : new CpeRuntime(opts.runtime);
  }

  // --- what callers can see -------------------------------------------------------------

  get phase(): CpePhase {
    return this.#phase;
  }
  get retryCount(): number {
    return this.#retryCount;
  }
  /** Undelivered events, oldest first. */
  get pendingEvents(): EventStruct[] {
    return this.#events === null ? [] : this.#events.map((e) => ({ ...e }));
  }
  /** CPE requests waiting for delivery. */
  get pendingRequests(): readonly CpeOwnRequest[] {
    return this.#x?.outbox ?? [];
  }
  get queuedTransfers(): readonly TransferRec[] {
    return this.#x?.transfers ?? [];
  }
  /** The transfer queue as GetAllQueuedTransfers reports it; give it to createDevice as `transfers`. */
  allQueuedTransfers(): AllQueuedTransfer[] {
    return this.queuedTransfers.map(queuedTransfer);
  }
  get sessionsSinceBoot(): number {
    return this.#sessions;
  }
  get serialNumber(): string {
    return (this.model as Partial<CpeDevice>).serialNumber ?? this.#param('DeviceInfo.SerialNumber');
  }

  // --- lifecycle -------------------------------------------------------------------------

  /** Power on. The first session opens after `delayMs` (the simulator's start-up ramp). */
  start(delayMs = 0): void {
    if (this.#phase !== 'off') return;
    this.#phase = 'idle';
    if (this.runtime.bootstrap) this.#events = addEvent(this.#events, EV.BOOTSTRAP);
    this.#events = addEvent(this.#events, EV.BOOT);
    this.#bootedAt = this.#now();
    this.#schedulePeriodic();
    this.#scheduleHeartbeat();
    if (delayMs > 0) this.#timer(this.#now() + delayMs, 'start');
    else this.#requestSession(true);
  }

  /** Power off: timers cancelled, a running session's connection closed. */
  stop(): void {
    this.#phase = 'off';
    const s = this.runtime.scheduler;
    s.cancel(this.#periodic);
    s.cancel(this.#retry);
    this.#periodic = this.#retry = null;
    for (const t of this.#x?.timers ?? []) s.cancel(t);
    if (this.#x !== null) {
      this.#x.timers = [];
      s.cancel(this.#x.heartbeat);
      this.#x.heartbeat = null;
      s.cancel(this.#x.bulk?.timer ?? null);
      this.#x.bulk = undefined;
    }
    this.#conn?.close();
  }

  /** An authenticated connection request (3.2.2): open a session with 6 CONNECTION REQUEST. */
  connectionRequest(): void {
    if (this.#phase === 'off') return;
    this.#events = addEvent(this.#events, EV.CONNECTION_REQUEST);
    this.#requestSession(true);
  }

  /** Credentials an ACS must present on a connection request. */
  connectionRequestCredentials(): Credentials {
    return { username: this.#param('ManagementServer.ConnectionRequestUsername'), password: this.#param('ManagementServer.ConnectionRequestPassword') };
  }

  /**
   * The device's own firmware changes a value (a user renamed the SSID, a counter moved).
   * With notification on, the next Inform says 4 VALUE CHANGE; active notification opens a
   * session now, at most once per DefaultActiveNotificationThrottle seconds.
   */
  setValue(path: string, value: string): void {
    this.model.setInternal(path, value);
    const attrs = this.model.handle({ method: 'GetParameterAttributes', parameterNames: [path] });
    const n = attrs.response.method === 'GetParameterAttributesResponse' ? (attrs.response.parameterList[0]?.notification ?? 0) : 0;
    if (n === 1 || n === 2 || n === 4 || n === 6) this.#events = addEvent(this.#events, EV.VALUE_CHANGE);
    if (!this.model.hasActiveChange() || this.#phase === 'off') return;
    const x = this.#extra();
    const throttle = Number(this.#param('ManagementServer.DefaultActiveNotificationThrottle')) || 0;
    const at = x.lastActiveNotifyAt + throttle * 1000;
    if (at > this.#now()) this.#timer(at, 'valueChange');
    else this.#requestSession(true);
  }

  /** Queue a CPE request (RequestDownload, Kicked, GetRPCMethods) and open a session to deliver it. */
  send(request: CpeOwnRequest, eventCode?: string): void {
    this.#extra().outbox.push(request);
    if (eventCode !== undefined) this.#events = addEvent(this.#events, eventCode);
    this.#requestSession(true);
  }

  /** Open a session now carrying `eventCode` (a vendor "X OUI …" event, "5 KICKED" …). */
  inform(eventCode: string, commandKey = ''): void {
    this.#events = addEvent(this.#events, eventCode, commandKey);
    this.#requestSession(true);
  }

  onTimer(kind: CpeTimer, arg: unknown): void {
    if (this.#phase === 'off') return;
    switch (kind) {
      case 'start':
      case 'valueChange':
        return this.#requestSession(true);
      case 'retry':
        this.#retry = null;
        return this.#requestSession(true);
      case 'periodic':
        this.#periodic = null;
        this.#events = addEvent(this.#events, EV.PERIODIC);
        this.#schedulePeriodic();
        return this.#requestSession(false);
      case 'boot':
        return this.#boot();
      case 'heartbeat': {
        const x = this.#extra();
        x.heartbeat = null;
        x.heartbeatDue = true;
        this.#scheduleHeartbeat();
        return this.#requestSession(false);
      }
      case 'scheduleInform':
        this.#events = addEvent(this.#events, EV.SCHEDULED);
        this.#events = addEvent(this.#events, EV.M_SCHEDULE_INFORM, String(arg));
        return this.#requestSession(false);
      case 'transfer':
        void this.#transfer(arg as TransferRec);
        return;
      case 'bulkdata':
        void this.#bulkDue();
        return;
    }
  }

  // --- TR-232 bulk data ------------------------------------------------------------------

  /** Send every enabled bulk data profile's report now (tests, benchmarks); the timer does it every interval. */
  async reportBulkData(): Promise<BulkReportResult[]> {
    const at = this.#now();
    return Promise.all(bulkProfiles(this.model).map((p) => sendReport(this.model, p, at, this.runtime.tls !== undefined ? { tls: this.runtime.tls } : {})));
  }

  /** Follow the model's profiles (after each session: the ACS may have changed them). */
  #scheduleBulkData(): void {
    const profiles = bulkProfiles(this.model);
    if (profiles.length === 0 && this.#x?.bulk === undefined) return;
    const x = this.#extra();
    const bulk = (x.bulk ??= { next: new Map(), timer: null });
    const now = this.#now();
    const seen = new Set<number>();
    for (const p of profiles) {
      seen.add(p.instance);
      const every = p.intervalSeconds * 1000;
      const had = bulk.next.get(p.instance);
      if (had === undefined || had.every !== every) bulk.next.set(p.instance, { every, at: now + every });
    }
    for (const i of [...bulk.next.keys()]) if (!seen.has(i)) bulk.next.delete(i);
    this.#armBulk();
  }

  #armBulk(): void {
    const bulk = this.#x?.bulk;
    if (bulk === undefined) return;
    this.runtime.scheduler.cancel(bulk.timer);
    bulk.timer = null;
    if (bulk.next.size === 0 || this.#phase === 'off') return;
    const at = Math.min(...[...bulk.next.values()].map((n) => n.at));
    bulk.timer = this.#timerEntry(at, 'bulkdata');
  }

  async #bulkDue(): Promise<void> {
    const bulk = this.#x?.bulk;
    if (bulk === undefined) return;
    bulk.timer = null;
    // Off or restarting: the session after the boot re-arms what is due.
    if (this.#phase === 'off' || this.#phase === 'booting') return;
    const now = this.#now();
    const due = new Set<number>();
    for (const [i, n] of bulk.next) {
      if (n.at > now) continue;
      due.add(i);
      n.at += Math.max(1, Math.ceil((now - n.at + 1) / n.every)) * n.every;
    }
    this.#armBulk();
    const tls = this.runtime.tls !== undefined ? { tls: this.runtime.tls } : {};
    await Promise.all(bulkProfiles(this.model).filter((p) => due.has(p.instance)).map((p) => sendReport(this.model, p, now, tls)));
  }

  // --- sessions --------------------------------------------------------------------------

  /** `urgent` starts at once even during a retry back-off (connection requests, due work). */
  #requestSession(urgent: boolean): void {
    switch (this.#phase) {
      case 'session':
        this.#again = true;
        return;
      case 'off':
      case 'booting':
      case 'waiting':
        return;
      case 'idle':
        if (this.#retry !== null && !urgent) return;
        this.runtime.scheduler.cancel(this.#retry);
        this.#retry = null;
        this.#phase = 'waiting';
        this.runtime.gate.enter(this);
    }
  }

  /** Called by the gate when a slot is free. */
  beginSession(): void {
    if (this.#phase !== 'waiting' || this.runtime.stopping) {
      this.runtime.gate.leave();
      if (this.#phase === 'waiting') this.#phase = 'idle';
      return;
    }
    this.#phase = 'session';
    this.#again = false;
    void this.#session();
  }

  async #session(): Promise<void> {
    const startedAt = this.#now();
    // A live model reads the host first, so the Inform and the answers are the system's now;
    // notified values it finds changed ride this Inform.
    if (this.model.live?.refresh !== undefined) {
      try {
        await this.model.live.refresh();
      } catch {
        // A provider that cannot read the system leaves its last values; the session goes on.
      }
      if (this.model.live.hasValueChange?.() === true) this.#events = addEvent(this.#events, EV.VALUE_CHANGE);
      if (this.#phase === 'off') return void this.runtime.gate.leave(); // stopped while reading
    }
    // Annex O: a due heartbeat goes alone, in a session of its own; other events go first.
    const x = this.#x;
    const heartbeat = x !== null && x.heartbeatDue && (this.#events === null || this.#events.length === 0) && x.outbox.length === 0;
    if (heartbeat) x.heartbeatDue = false;
    this.#heartbeatSession = heartbeat;
    const events = heartbeat ? [{ eventCode: EV.HEARTBEAT, commandKey: '' }] : this.#events === null ? [] : this.#events.slice();
    this.#sentEvents = events;
    const url = this.#acsUrl();
    const outcome =
      url === null
        ? { ok: false, error: 'no ACS URL', informed: false, rpcs: [], effects: [] as CpeEffect[], jar: this.#jar, exchanges: 0 }
        : await runSession(
            {
              url,
              credentials: this.#credentials(),
              jar: this.#jar,
              quirks: this.runtime.quirks,
              ...(this.runtime.cwmpVersions !== undefined ? { cwmpVersions: this.runtime.cwmpVersions } : {}),
              inform: this.#buildInform(events),
              outbox: heartbeat ? [] : (this.#x?.outbox.slice() ?? []),
              timeoutMs: this.runtime.sessionTimeoutMs,
              tls: this.runtime.tls,
              pool: this.runtime.pool,
              onConnection: (c) => (this.#conn = c),
            },
            this,
          );
    this.#sentEvents = NO_EVENTS;
    this.#heartbeatSession = false;
    this.#jar = outcome.jar;
    this.#jar?.endSession(this.#now());
    if (this.#jar?.size === 0) this.#jar = null;
    this.runtime.gate.leave();
    if (this.#phase === 'off') return;
    this.#phase = 'idle';
    this.#sessions++;
    // A failed heartbeat is not retried: the next one is due at the next interval anyway.
    if (!heartbeat) this.#retryCount = outcome.ok ? 0 : this.#retryCount + 1;
    this.runtime.observer.sessionEnded?.({
      serialNumber: this.serialNumber,
      ok: outcome.ok,
      error: outcome.error,
      events: events.map((e) => (e.commandKey === '' ? e.eventCode : `${e.eventCode} ${e.commandKey}`)),
      rpcs: outcome.rpcs,
      startedAt,
      durationMs: this.#now() - startedAt,
      exchanges: outcome.exchanges,
    });
    // Each RPC was applied when answered (they are atomic, A.3.2), so their effects stand
    // even when the session failed later.
    const restarting = this.#applyEffects(outcome.effects);
    if (restarting || this.runtime.stopping) return;
    this.#scheduleBulkData();
    if (!outcome.ok && !heartbeat) this.#scheduleRetry('retryAfterMs' in outcome ? outcome.retryAfterMs : undefined);
    else if (this.#again || this.#x?.heartbeatDue === true) this.#requestSession(true);
  }

  /** The retry back-off, and no sooner than an ACS's Retry-After. */
  #scheduleRetry(notBeforeMs?: number): void {
    const policy = this.runtime.retryPolicy(this.#num('ManagementServer.CWMPRetryMinimumWaitInterval'), this.#num('ManagementServer.CWMPRetryIntervalMultiplier'));
    const delay = Math.max(retryDelayMs(this.#retryCount, policy, this.runtime.random), notBeforeMs ?? 0);
    this.#retry = this.#timerEntry(this.#now() + delay, 'retry');
  }

  #buildInform(events: EventStruct[]): Inform {
    return {
      method: 'Inform',
      deviceId: this.#deviceId(),
      event: events,
      maxEnvelopes: 1,
      currentTime: new Date(this.#now()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      retryCount: this.#retryCount,
      parameterList: this.model.informParameters(),
    };
  }

  // SessionHost ---------------------------------------------------------------------------

  answer(request: AcsRequest): RpcOutcome {
    const urlBefore = this.#param('ManagementServer.URL');
    const outcome = this.model.handle(request);
    // A new ACS URL means a new ACS: 0 BOOTSTRAP on the next Inform (3.2.1, Table 7).
    if (outcome.response.method !== 'Fault' && this.#param('ManagementServer.URL') !== urlBefore) this.#extra().bootstrapPending = true;
    // The queue changes while the session runs, so a GetAllQueuedTransfers or CancelTransfer
    // later in the same session sees it (the model reads it through `allQueuedTransfers`).
    for (const e of outcome.effects) {
      if (e.kind === 'download' || e.kind === 'upload' || e.kind === 'scheduleDownload') this.#extra().transfers.push(newTransfer(e, this.#now()));
      else if (e.kind === 'cancelTransfer') this.#dropTransfer(e.commandKey);
    }
    return outcome;
  }

  informAccepted(): void {
    // A heartbeat delivers only itself: pending events and changed values wait for their own session.
    if (this.#heartbeatSession) return;
    this.#events = afterInform(this.#events, this.#sentEvents, this.#undeliveredTransferKeys());
    this.model.markInformed();
    if (this.#sentEvents.some((e) => e.eventCode === EV.VALUE_CHANGE)) this.#extra().lastActiveNotifyAt = this.#now();
  }

  requestAccepted(request: CpeOwnRequest, _response: AcsResponse): void {
    const x = this.#extra();
    x.outbox = x.outbox.filter((r) => r !== request);
    if (request.method === 'TransferComplete') {
      this.#events = afterTransferComplete(this.#events, request.commandKey, this.#undeliveredTransferKeys());
    }
  }

  #undeliveredTransferKeys(): Set<string> {
    const keys = new Set<string>();
    for (const r of this.#x?.outbox ?? []) if (r.method === 'TransferComplete') keys.add(r.commandKey);
    return keys;
  }

  /** CancelTransfer: the model checked the transfer has not started (else 9021). */
  #dropTransfer(commandKey: string): void {
    const x = this.#x;
    if (x === null) return;
    for (const t of x.transfers) if (t.commandKey === commandKey) this.runtime.scheduler.cancel(t.timer);
    x.transfers = x.transfers.filter((t) => t.commandKey !== commandKey);
  }

  // --- effects ---------------------------------------------------------------------------

  /** Carry out what the session's RPCs asked for. True when the device reboots. */
  #applyEffects(effects: CpeEffect[]): boolean {
    let reboot: string | null = null;
    let factoryReset = false;
    const now = this.#now();
    for (const e of effects) {
      switch (e.kind) {
        case 'reboot':
          reboot = e.commandKey;
          break;
        case 'factoryReset':
          factoryReset = true;
          break;
        case 'scheduleInform':
          this.#timer(now + e.delaySeconds * 1000, 'scheduleInform', e.commandKey);
          break;
        case 'diagnostics':
          void this.#diagnose(e.objectPath);
          break;
        case 'managementServerChanged':
          this.#schedulePeriodic();
          this.#scheduleHeartbeat();
          break;
        case 'download':
        case 'upload':
        case 'scheduleDownload':
        case 'cancelTransfer':
          break; // registered while answering (so GetAllQueuedTransfers sees them at once)
      }
    }
    for (const t of this.#x?.transfers ?? []) if (t.state === 1 && t.timer === null) t.timer = this.#timerEntry(Math.max(now, t.startAt), 'transfer', t);
    if (this.#x?.bootstrapPending === true) {
      this.#x.bootstrapPending = false;
      this.#events = addEvent(this.#events, EV.BOOTSTRAP);
      if (!factoryReset && reboot === null) this.#requestSession(true);
    }
    if (factoryReset) this.#factoryReset();
    else if (reboot !== null) this.#reboot(reboot);
    return factoryReset || reboot !== null;
  }

  /** Restart; `commandKey` null for a reboot the device decided itself (firmware install). */
  #reboot(commandKey: string | null, factoryReset = false): void {
    if (commandKey !== null) this.#events = addEvent(this.#events, EV.M_REBOOT, commandKey);
    this.model.live?.restarting?.({ commandKey, factoryReset, pendingEvents: this.pendingEvents });
    this.#phase = 'booting';
    const s = this.runtime.scheduler;
    s.cancel(this.#periodic);
    s.cancel(this.#retry);
    this.#periodic = this.#retry = null;
    this.#jar = null;
    this.#timer(this.#now() + this.runtime.rebootDelayMs, 'boot');
  }

  #boot(): void {
    this.#phase = 'idle';
    this.#events = addEvent(this.#events, EV.BOOT);
    this.#bootedAt = this.#now();
    this.#sessions = 0;
    this.#schedulePeriodic();
    this.#scheduleHeartbeat();
    this.#requestSession(true);
  }

  /** Back to the model's defaults; the ACS will see a new device (0 BOOTSTRAP). */
  #factoryReset(): void {
    this.model.reset();
    for (const t of this.#x?.timers ?? []) this.runtime.scheduler.cancel(t);
    this.runtime.scheduler.cancel(this.#x?.heartbeat ?? null);
    this.runtime.scheduler.cancel(this.#x?.bulk?.timer ?? null);
    this.#x = null;
    this.#events = addEvent(null, EV.BOOTSTRAP);
    this.#retryCount = 0;
    this.#reboot(null, true);
  }

  async #transfer(t: TransferRec): Promise<void> {
    t.timer = null;
    const facts = {
      serialNumber: this.serialNumber,
      bootedAt: this.#bootedAt,
      sessions: this.#sessions,
      lastEvents: (this.#events ?? []).map((e) => e.eventCode),
      now: this.#now(),
    };
    const live = this.model.live?.runTransfer;
    if (live !== undefined) t.state = 2;
    const result = live !== undefined ? await live.call(this.model.live, t) : await runTransfer(t, this.model, this.runtime, facts);
    if ('vanish' in result && result.vanish === true) {
      this.stop();
      return;
    }
    const x = this.#x;
    // A factory reset (or stop) while the file moved: the transfer is forgotten.
    if (x === null || !x.transfers.includes(t) || this.#phase === 'off') return;
    x.transfers = x.transfers.filter((q) => q !== t);
    const tc: TransferComplete = { method: 'TransferComplete', commandKey: t.commandKey, faultStruct: result.fault, startTime: result.startTime, completeTime: result.completeTime };
    x.outbox.push(tc);
    this.#events = addEvent(this.#events, EV.TRANSFER_COMPLETE);
    const method = t.kind === 'upload' ? EV.M_UPLOAD : t.kind === 'scheduleDownload' ? EV.M_SCHEDULE_DOWNLOAD : EV.M_DOWNLOAD;
    this.#events = addEvent(this.#events, method, t.commandKey);
    this.runtime.observer.transferDone?.({
      serialNumber: this.serialNumber,
      kind: t.kind === 'upload' ? 'upload' : 'download',
      commandKey: t.commandKey,
      fileType: t.fileType,
      faultCode: result.fault.faultCode,
      bytes: result.bytes,
    });
    // A configuration file or a new firmware version may touch notified parameters.
    if (this.model.hasActiveChange()) this.#events = addEvent(this.#events, EV.VALUE_CHANGE);
    // A firmware image is installed by rebooting; the session after boot reports it.
    if (result.reboot && this.#phase !== 'booting') this.#reboot(null);
    else this.#requestSession(true);
  }

  async #diagnose(objectPath: string): Promise<void> {
    const live = this.model.live?.runDiagnostic;
    if (live !== undefined) await live.call(this.model.live, objectPath);
    else await runDiagnostic(this.model, objectPath, this.runtime.random);
    if (this.#phase === 'off') return;
    this.runtime.observer.diagnosticsDone?.(this.serialNumber, objectPath);
    this.#events = addEvent(this.#events, EV.DIAGNOSTICS_COMPLETE);
    this.#requestSession(true);
  }

  // --- periodic informs ------------------------------------------------------------------

  /** Next periodic inform: aligned on PeriodicInformTime when the ACS set one, else interval ± jitter. */
  #schedulePeriodic(): void {
    const s = this.runtime.scheduler;
    s.cancel(this.#periodic);
    this.#periodic = null;
    const override = this.runtime.informInterval;
    const enabled = override !== undefined || /^(1|true)$/i.test(this.#param('ManagementServer.PeriodicInformEnable'));
    const interval = (override ?? this.#num('ManagementServer.PeriodicInformInterval') ?? 0) * 1000;
    if (!enabled || !(interval > 0)) return;
    const now = this.#now();
    const phase = Date.parse(this.#param('ManagementServer.PeriodicInformTime'));
    let at: number;
    if (Number.isFinite(phase) && phase > Date.UTC(1971, 0, 1)) {
      at = phase + Math.ceil((now + 1 - phase) / interval) * interval;
    } else {
      const j = this.runtime.informJitter;
      at = now + interval * (1 + j * (2 * this.runtime.random() - 1));
    }
    this.#periodic = this.#timerEntry(at, 'periodic');
  }

  /**
   * HeartbeatPolicy (TR-069 Annex O, Device.ManagementServer.HeartbeatPolicy.): with Enable, a
   * 14 HEARTBEAT Inform every ReportingInterval seconds at InitiationTime plus a multiple of
   * it; an unknown InitiationTime (0001-01-01, or none) gets a random phase of the CPE's own.
   * Absent from the model (TR-098, older TR-181 devices): no heartbeats.
   */
  #scheduleHeartbeat(): void {
    const x = this.#x;
    if (x !== null) {
      this.runtime.scheduler.cancel(x.heartbeat);
      x.heartbeat = null;
    }
    if (this.model.root !== 'Device.' || !/^(1|true)$/i.test(this.#param('ManagementServer.HeartbeatPolicy.Enable'))) return;
    const interval = (this.#num('ManagementServer.HeartbeatPolicy.ReportingInterval') ?? 0) * 1000;
    if (!(interval > 0)) return;
    const now = this.#now();
    const given = Date.parse(this.#param('ManagementServer.HeartbeatPolicy.InitiationTime'));
    const phase = Number.isFinite(given) && given > Date.UTC(1971, 0, 1) ? given : now + interval * this.runtime.random();
    // The first reference-plus-multiple after now, whether the reference is past or future.
    const at = phase + Math.ceil((now + 1 - phase) / interval) * interval;
    this.#extra().heartbeat = this.#timerEntry(at, 'heartbeat');
  }

  // --- helpers ---------------------------------------------------------------------------

  #now(): number {
    return this.runtime.scheduler.now();
  }

  #param(rel: string): string {
    return this.model.get(`${this.model.root}${rel}`)?.value ?? '';
  }

  #num(rel: string): number | null {
    const v = this.#param(rel);
    if (v === '') return null;
    const n = Number(v);
    return Number.isFinite(n) ? n : null;
  }

  /** The model's own DeviceId when it has one (templates carry it), else DeviceInfo.*. */
  #deviceId(): DeviceIdStruct {
    const own = (this.model as Partial<CpeDevice>).deviceId;
    if (typeof own === 'function') return own.call(this.model);
    return {
      manufacturer: this.#param('DeviceInfo.Manufacturer'),
      oui: this.#param('DeviceInfo.ManufacturerOUI'),
      productClass: this.#param('DeviceInfo.ProductClass'),
      serialNumber: this.serialNumber,
    };
  }

  #acsUrl(): URL | null {
    const raw = this.#param('ManagementServer.URL') || this.runtime.acsUrl;
    if (raw === undefined || raw === '') return null;
    try {
      return new URL(raw);
    } catch {
      return null;
    }
  }

  #credentials(): Credentials | null {
    const username = this.#param('ManagementServer.Username');
    if (username !== '') return { username, password: this.#param('ManagementServer.Password') };
    return this.runtime.credentials;
  }

  #extra(): Extra {
    this.#x ??= { transfers: [], outbox: [], timers: [], lastActiveNotifyAt: 0, bootstrapPending: false, heartbeat: null, heartbeatDue: false };
    return this.#x;
  }

  #timerEntry(at: number, kind: CpeTimer, arg?: unknown): TimerEntry {
    return this.runtime.scheduler.at(at, this, kind, arg);
  }

  /** A one-off timer remembered for cancellation (stop, factory reset). */
  #timer(at: number, kind: CpeTimer, arg?: unknown): void {
    const x = this.#extra();
    x.timers = x.timers.filter((t) => !t.cancelled);
    x.timers.push(this.#timerEntry(at, kind, arg));
  }
}
