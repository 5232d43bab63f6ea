/**
 * The application services under the REST API (and any other front end): built once per
 * process from the store, the bus and the configuration, handed to the API. Background jobs
 * are separate (./jobs.ts): a process can serve the API without running them.
 */
import type { EventBus } from '../events/bus.js';
import { ConnectionRequester, type ConnectionRequesterOptions } from '../reach/requester.js';
import type { LockoutPolicy, Store } from '../store/types.js';
import { AuditService } from './audit.js';
import { CredentialService } from './credentials.js';
import type { Sealer } from '../auth/sealing.js';
import type { FilterParser } from '../policies/validate.js';
import { PolicyService } from './policies.js';
import { VirtualParameterService } from './virtual-parameters.js';
import { SubscriberServiceLayer } from './subscribers.js';
import { DiagnosticsService } from './diagnostics.js';
import { MonitoringService } from './monitoring.js';
import { AlarmService } from './alarms.js';
import { ConformanceService } from './conformance.js';
import { QuirkService } from './quirks.js';
import { TaskService } from './tasks.js';
import { CampaignService, type CampaignFiles } from './campaigns.js';
import { FileService } from './files.js';
import { UserService, type Directory } from './users.js';
import { FileRepository } from '../files/repository.js';
import { UrlSigner } from '../files/signing.js';
import type { BlobStore } from '../files/blobs.js';

export { ServiceError, SERVICE_ERROR_CODES, type ServiceErrorCode } from './errors.js';
export { TaskService, type TaskBody } from './tasks.js';
export { PolicyService } from './policies.js';
export { DiagnosticsService } from './diagnostics.js';
export { MonitoringService } from './monitoring.js';
export { AlarmService } from './alarms.js';
export { ConformanceService } from './conformance.js';
export { QuirkService } from './quirks.js';
export { AuditService } from './audit.js';
export { CredentialService, parseCredentialCsv } from './credentials.js';
export { CampaignService, type CampaignFile, type CampaignFiles } from './campaigns.js';
export { FileService } from './files.js';
export { UserService, DEFAULT_LOCKOUT, type Directory, type UserView, type SignInResult } from './users.js';

export interface ServicesOptions {
  store: Store;
  bus: EventBus;
  /** Connection requests; false disables them. */
  connectionRequests?: Omit<ConnectionRequesterOptions, 'store'> | false;
  /** Default task lifetime in seconds (default 7 days; 0 = none). */
  taskExpirySeconds?: number;
  /** The NBI's filter language (policies' `filter`); without it a policy with a filter is refused. */
  parseFilter?: FilterParser;
  /** Per-device credentials (rotation, reset windows, imports): the ACS's sealer and Digest realm. */
  credentials?: { sealer: Sealer; realm: string };
  /** Seals other secrets kept at rest (users' TOTP secrets); default: `credentials.sealer`. */
  sealer?: Sealer;
  /** The file repository as campaigns see it (default: the repository below, `FileService.campaignFiles`). */
  files?: CampaignFiles;
  /**
   * The file repository: where bytes go (default: the store's chunked rows), the signer of
   * transfer URLs (default: a random key, fine for one process), the transfer endpoint's
   * public URL, the largest upload.
   */
  repository?: { blobs?: BlobStore; signer?: UrlSigner; publicUrl?: () => string; maxUploadBytes?: number };
  now?: () => number;
  /** Alarm rules changed through the API (this process's alarm evaluator reloads them). */
  onAlarmRulesChanged?: () => void;
  /** People's sign-in: failures before a lock, and for how long (default 5, 15 minutes). */
  lockout?: LockoutPolicy;
  /** A directory (LDAP) that checks the passwords of the users it knows. */
  directory?: Directory | null;
}

export interface Services {
  readonly tasks: TaskService;
  readonly policies: PolicyService;
  readonly virtualParameters: VirtualParameterService;
  readonly subscribers: SubscriberServiceLayer;
  readonly diagnostics: DiagnosticsService;
  readonly monitoring: MonitoringService;
  readonly alarms: AlarmService;
  readonly conformance: ConformanceService;
  readonly quirks: QuirkService;
  readonly audit: AuditService;
  readonly users: UserService;
  /** Null in a process without the ACS's sealing keys. */
  readonly credentials: CredentialService | null;
  readonly campaigns: CampaignService;
  readonly files: FileService;
  /** Connection requests (null: disabled), shared with the background jobs. */
  readonly requester: ConnectionRequester | null;
}

/** Largest file the repository accepts by default: 1 GiB (firmware images are tens to hundreds of MiB). */
export const DEFAULT_MAX_FILE_BYTES = 1024 ** 3;

export function createServices(opts: ServicesOptions): Services {
  const now = opts.now ?? Date.now;
  const r = opts.repository ?? {};
  const files = new FileService({
    repo: new FileRepository({ store: opts.store, now, ...(r.blobs !== undefined ? { blobs: r.blobs } : {}) }),
    signer: r.signer ?? UrlSigner.random(),
    publicUrl: r.publicUrl ?? (() => 'http://127.0.0.1:7567'),
    maxUploadBytes: r.maxUploadBytes ?? DEFAULT_MAX_FILE_BYTES,
    now,
  });
  const requester =
    opts.connectionRequests === false ? null : new ConnectionRequester({ store: opts.store, now, ...(opts.connectionRequests ?? {}) });
  const tasks = new TaskService({
    files,
    store: opts.store,
    bus: opts.bus,
    requester,
    now,
    ...(opts.taskExpirySeconds !== undefined ? { defaultExpirySeconds: opts.taskExpirySeconds } : {}),
  });
  const policies = new PolicyService({
    store: opts.store,
    bus: opts.bus,
    now,
    parseFilter:
      opts.parseFilter ??
      (() => {
        throw new Error('filters are not available in this process');
      }),
  });
  const campaigns = new CampaignService({
    store: opts.store,
    bus: opts.bus,
    files: opts.files ?? files.campaignFiles(),
    now,
    parseFilter:
      opts.parseFilter ??
      (() => {
        throw new Error('filters are not available in this process');
      }),
  });
  // A file a campaign names is not deleted under it.
  files.repo.addUsageCheck(async (f) => {
    const ids = await campaigns.usingFile(f.id);
    return ids.length > 0 ? `campaign${ids.length === 1 ? '' : 's'} ${ids.join(', ')} use${ids.length === 1 ? 's' : ''} it` : null;
  });
  const audit = new AuditService({ store: opts.store });
  return {
    files,
    tasks,
    policies,
    virtualParameters: new VirtualParameterService({ store: opts.store, bus: opts.bus, now }),
    diagnostics: new DiagnosticsService({ store: opts.store }),
    monitoring: new MonitoringService({ store: opts.store, bus: opts.bus, now }),
    alarms: new AlarmService({ store: opts.store, bus: opts.bus, now, ...(opts.onAlarmRulesChanged ? { onRulesChanged: opts.onAlarmRulesChanged } : {}) }),
    conformance: new ConformanceService({ store: opts.store }),
    quirks: new QuirkService({ store: opts.store, bus: opts.bus, now }),
    subscribers: new SubscriberServiceLayer({ store: opts.store, tasks, now }),
    audit,
    users: new UserService({ store: opts.store, audit, now, ...(opts.lockout ? { lockout: opts.lockout } : {}), directory: opts.directory ?? null, sealer: opts.sealer ?? opts.credentials?.sealer ?? null }),
    campaigns,
    requester,
    credentials: opts.credentials === undefined ? null : new CredentialService({ store: opts.store, now, ...opts.credentials }),
  };
}
