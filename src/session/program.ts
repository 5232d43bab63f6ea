/**
 * A session program: one kind of work the ACS does in a CWMP session (the device's queued
 * tasks, discovery of a new device; later policies, diagnostics, quirks). The driver
 * (./driver.ts) runs a session's programs in order: it asks the current one for its next RPC
 * until it has none, then moves to the next, and hands each answer back to the program that
 * asked for it. Programs never touch the store or the wire: they read the session's view and
 * report task outcomes through the recorder; the driver writes everything in one commit.
 */
import type { RpcOutcome } from '../cwmp/acs-session.js';
import type { AcsRequest, CpeRequest, CpeResponse, Inform, ParameterValue } from '../cwmp/types.js';
import type { CommitSample, CredentialWrite, DeviceCredentials, DeviceSummary, PolicyCommit, RequestOutcome, SessionOpenResult, StoredParameter, TaskRecord } from '../store/types.js';

export interface ProgramRpc {
  request: AcsRequest;
  /** What the session log names as the RPC's cause: the task id(s), or null for the ACS's own work. */
  requestId: string | null;
  /**
   * What the stored tree records of the request once answered, when not the request itself
   * (a SetParameterValues of passwords records them blank: the tree never holds them).
   */
  recordAs?: AcsRequest;
  /**
   * The program has another way to the same answer if this request faults (discovery's
   * GetParameterValues of the whole tree, else batches of names): a layer that knows the device
   * cannot take it (quirks.ts: a device limited to so many names per read) may answer it with
   * a fault instead of sending it.
   */
  optional?: boolean;
}

/**
 * How the CPE opened the session: no check, the shared bootstrap credential, one of its own
 * (the current set, a pending one it uses for the first time, its factory set), or a client
 * certificate naming it (mTLS).
 */
export type SessionAuth = 'anyone' | 'bootstrap' | 'current' | 'pending' | 'factory' | 'certificate';

export interface Program {
  /** For logs ("tasks", "discovery", …). */
  readonly name: string;
  /**
   * Stored values this program reads (exact paths, or subtrees ending in "."). The driver
   * fetches every program's paths together, in one store round trip, before it first asks
   * any program for an RPC; with no paths declared it makes no such trip.
   */
  readonly storedPaths?: readonly string[];
  /** True when the ACS should go first (HoldRequests in the InformResponse) for this program. */
  holdRequests?(): boolean;
  /**
   * Optional, awaited by the driver before each `next` of this program: asynchronous work the
   * program's next step needs that is neither the store nor the CPE (policy scripts' extension
   * GETs). It must be bounded in time; an error finishes the program, not the session.
   */
  prepare?(): Promise<void>;
  /** The next RPC to send, or null: the program is finished and is not asked again. */
  next(): ProgramRpc | null;
  /** The CPE's answer (response or fault) to the RPC this program's `next` returned last. */
  learn(answer: RpcOutcome): void;
  /**
   * A request the CPE sent this session (TransferComplete …), as it arrives: before the
   * program's first `next` as a rule, after its last when the ACS held the CPE's requests.
   */
  cpeRequest?(request: Exclude<CpeRequest, Inform>): void;
  /**
   * The session ended (timed out, or a new Inform replaced it) while this program's last RPC
   * was unanswered. Optional: for programs that learn from a silence (quirks).
   */
  interrupted?(outcome: string): void;
}

/** What a program can read about its session. */
export interface SessionView {
  readonly deviceId: string;
  readonly inform: Inform;
  /** What the store knew of the device when the session opened (null: a new device). */
  readonly device: DeviceSummary | null;
  /** The policy engine's memo for this device, as openSession read it (null: none yet). */
  readonly policyMemo: string | null;
  /** How the CPE authenticated (the ACS's check before the session opened). */
  readonly auth: SessionAuth;
  /** The device's credentials as openSession read them (null: none of its own). */
  readonly credentials: DeviceCredentials | null;
  /** When the session began (the Inform's arrival). */
  readonly startedAt: number;
  /** A value learnt this session (the Inform's, then each answer's, later ones winning). */
  learnt(path: string): ParameterValue | undefined;
  /** Paths learnt this session under a prefix ("X.Y."), with secrets read back blank (no value known). */
  learntUnder(prefix: string): string[];
  /**
   * A stored value among the paths programs declared in `storedPaths`, as the store held it
   * when the session read it; undefined before that read (before the first `next`) or when
   * the store has no such row.
   */
  stored(path: string): StoredParameter | undefined;
  /** Stored rows under a declared subtree ("X.Y."), in path order. */
  storedUnder(prefix: string): StoredParameter[];
  /** The session's clock. */
  now(): number;
}

/** How programs report what becomes of tasks; written with the session's commit. */
export interface SessionRecorder {
  settle(outcome: RequestOutcome): void;
  /** A task linked to an `M …` event of the Inform (carried out by the CPE already). */
  link(taskId: string): void;
  /** What policy evaluation concluded (the last call wins); written with the commit. */
  policy(commit: PolicyCommit): void;
  /** A change of the device's credentials, written with the commit. */
  credentials(write: CredentialWrite): void;
  /**
   * A step of a task that spans sessions: its response is kept on the task, which stays open
   * (back to queued at commit) for a later session to finish.
   */
  progress(taskId: string, response: CpeResponse): void;
  /** KPI samples (value changes, sampling profiles), written with the commit. */
  samples(list: readonly CommitSample[]): void;
  /**
   * Values the ACS computed (virtual parameters, src/policies), written into the device's tree
   * with the commit like values the CPE reported. Optional: recorders that keep no tree skip it.
   */
  values?(params: readonly ParameterValue[]): void;
}

/** What a program factory gets: one session, opened, with its lock held. */
export interface ProgramContext {
  readonly view: SessionView;
  /** The device's tasks openSession handed to this session, in order (now `running`). */
  readonly queue: readonly TaskRecord[];
  readonly record: SessionRecorder;
  /** What openSession said beyond the device and queue (the device's subscriber, …). */
  readonly opened: Pick<SessionOpenResult, 'subscriber'>;
}

/** Builds a session's programs, in the order they run. Called once per session, at Inform. */
export type ProgramFactory = (ctx: ProgramContext) => Program[];
