/**
 * The seam between the CPE's data model (src/cpe/model, src/cpe/rpc: pure, no I/O) and its
 * session and transport (src/cpe/client, src/cpe/sim: sockets, timers, files).
 *
 * An RPC handler never performs I/O: it answers the ACS and returns the side effects that
 * the client must carry out after the session (reboot, transfers, diagnostics, …).
 */
import type { AcsRequest, CpeResponse, DownloadFile, EventStruct, Fault, FaultStruct, ParameterValue, TransferTarget } from '../cwmp/types.js';

/** What the client must do once the current session has ended (or, for some, at once). */
export type CpeEffect =
  | { kind: 'reboot'; commandKey: string }
  | { kind: 'factoryReset' }
  | ({ kind: 'download'; delaySeconds: number } & DownloadFile)
  | ({ kind: 'upload'; delaySeconds: number } & TransferTarget)
  | { kind: 'scheduleInform'; commandKey: string; delaySeconds: number }
  | ({ kind: 'scheduleDownload'; windowStartSeconds: number; windowEndSeconds: number } & DownloadFile)
  | { kind: 'cancelTransfer'; commandKey: string }
  /** DiagnosticsState was set to Requested under `objectPath` (e.g. "Device.IP.Diagnostics.IPPing."). */
  | { kind: 'diagnostics'; objectPath: string }
  /** ManagementServer.* changed (URL, credentials, PeriodicInform*): the client re-reads its settings. */
  | { kind: 'managementServerChanged' };

export interface RpcOutcome {
  response: CpeResponse | Fault;
  effects: CpeEffect[];
}

/**
 * One virtual device's state. Implemented in src/cpe/model over a shared immutable template
 * with copy-on-write per device.
 */
export interface CpeDataModel {
  readonly root: 'Device.' | 'InternetGatewayDevice.';
  /** The value of a parameter, or undefined if there is no such parameter. */
  get(path: string): ParameterValue | undefined;
  /** Set without any access check (the device's own firmware changing a value). */
  setInternal(path: string, value: string): void;
  /** Forced-inform parameters plus value-changed parameters with notification ≥ 1, for the next Inform. */
  informParameters(): ParameterValue[];
  /** True when a parameter with active notification (2) changed since the last Inform. */
  hasActiveChange(): boolean;
  /** Clear the value-changed set after an Inform was delivered. */
  markInformed(): void;
  /** Back to the template's defaults (FactoryReset). */
  reset(): void;
  /**
   * The device's own firmware rewriting a result table (TraceRoute.RouteHops, NSLookup Result):
   * its instances become 1..count. Optional: a model without it reports fewer rows.
   */
  resizeTable?(table: string, count: number): void;
  /** Answer one ACS request (TR-069 A.3.2 semantics). */
  handle(request: AcsRequest): RpcOutcome;
  /** Optional: a model backed by a real system does these itself (see LiveHooks). */
  readonly live?: LiveHooks;
}

/** A queued transfer as a live model performs it. */
export type LiveTransfer = { kind: 'download' | 'upload' | 'scheduleDownload' } & DownloadFile;

export interface LiveTransferOutcome {
  fault: FaultStruct;
  bytes: number;
  startTime: string;
  completeTime: string;
  /** The device restarts to finish (a firmware image installed). */
  reboot: boolean;
}

/**
 * What the client simulates for a template-backed device and a model backed by the real
 * host (`flotilla agent`, src/cpe/agent) does for real. Every hook is optional.
 */
export interface LiveHooks {
  /** Read the system before a session (the Inform and the RPCs' answers are the host's now). */
  refresh?(): Promise<void>;
  /** After refresh: a notified parameter changed since the last Inform ("4 VALUE CHANGE"). */
  hasValueChange?(): boolean;
  /** Run the diagnostic under `objectPath` (DiagnosticsState was set to Requested); results go in through setInternal. */
  runDiagnostic?(objectPath: string): Promise<void>;
  /** Perform a queued Download / Upload / ScheduleDownload. */
  runTransfer?(transfer: LiveTransfer): Promise<LiveTransferOutcome>;
  /**
   * The device is about to restart: a Reboot (commandKey), a FactoryReset, or its own
   * (commandKey null). `pendingEvents` (with "M Reboot") must outlive a real restart.
   */
  restarting?(what: { commandKey: string | null; factoryReset: boolean; pendingEvents: EventStruct[] }): void;
}

/** Events a CPE keeps until an Inform carrying them succeeds (TR-069 3.7.1.5). */
export type PendingEvents = EventStruct[];
