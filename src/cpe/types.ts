/**
 * The seam between the CPE's data model (src/cpe/model, src/cpe/rpc: pure, no I/O) and its
 * session and transport (src/cpe/client, src/cpe/sim: sockets, timers, files).
 *
 * An RPC handler never performs I/O: it answers the ACS and returns the side effects that
 * the client must carry out after the session (reboot, transfers, diagnostics, …).
 */
import type { AcsRequest, CpeResponse, DownloadFile, EventStruct, Fault, ParameterValue, TransferTarget } from '../cwmp/types.js';

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
  /** Answer one ACS request (TR-069 A.3.2 semantics). */
  handle(request: AcsRequest): RpcOutcome;
}

/** Events a CPE keeps until an Inform carrying them succeeds (TR-069 3.7.1.5). */
export type PendingEvents = EventStruct[];
