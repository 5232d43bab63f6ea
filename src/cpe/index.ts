/**
 * Flotilla's CPE side as a library: embed a TR-069 client in a device, or run many virtual
 * ones. A device maker implements CpeDataModel (or builds one from a template with
 * createDevice), wraps it in a Cpe and starts it:
 *
 *   const cpe = new Cpe({ model, runtime: { acsUrl: 'https://acs.example/' } });
 *   cpe.start();                       // 0 BOOTSTRAP / 1 BOOT session, then periodic informs
 *   cpe.setValue(path, value);         // the device's own change: 4 VALUE CHANGE if notified
 *
 * Connection requests: ConnectionRequestServer.listen() and register the CPE under a key;
 * put the URL it returns in ManagementServer.ConnectionRequestURL.
 */
export { Cpe, type CpeOptions, type CpePhase } from './client/cpe.js';
export { createCpe, type CreateCpeOptions, type TemplateCpe } from './client/create.js';
export {
  CpeRuntime,
  SessionGate,
  type CpeObserver,
  type DownloadedFile,
  type RuntimeOptions,
  type SessionReport,
  type TransferReport,
} from './client/runtime.js';
export { HeapScheduler, type Scheduler, type TimerEntry, type TimerTarget } from './client/scheduler.js';
export {
  ConnectionRequestServer,
  DEFAULT_RATE_LIMIT,
  type ConnectionRequestServerOptions,
  type ConnectionRequestTarget,
  type RateLimit,
} from './client/connection-request.js';
export { runSession, type SessionHost, type SessionOutcome, type SessionPlan } from './client/session-runner.js';
export { parseQuirks, buildOptions, QUIRK_NAMES, type Quirks, type QuirkName } from './client/quirks.js';
export { EV, addEvent, retryDelayMs, DEFAULT_RETRY, type RetryPolicy } from './client/events.js';
export {
  basicAuthorization,
  DigestResponder,
  DigestVerifier,
  parseChallenges,
  respondTo,
  type Challenge,
  type Credentials,
} from '../auth/client.js';
export { CookieJar } from './client/cookies.js';
export { download, upload, type DownloadRequest, type UploadRequest, type TransferResult } from './client/transfer.js';
export { runDiagnostic, diagnosticKind, type DiagnosticKind } from './client/diagnostics.js';
export { CpeSession, canStep, step, type CpeSessionState, type CpeSessionEvent, type CpeReceived } from '../cwmp/cpe-session.js';
export { Fleet, failsInstall, serialShare, type FleetOptions, type ConnectionRequestMode, type InstallFailures } from './sim/fleet.js';
export type { Summary } from './sim/stats.js';
export type { CpeDataModel, CpeEffect, RpcOutcome } from './types.js';
export { createDevice, CPE_SUPPORTED_METHODS } from './device.js';
export { loadModel, type CpeDevice, type DeviceOptions, type Template } from './model/index.js';
