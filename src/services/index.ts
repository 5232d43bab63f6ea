/**
 * The application services under the REST API (and any other front end): built once per
 * process from the store, the bus and the configuration, handed to the API. Background jobs
 * are separate (./jobs.ts): a process can serve the API without running them.
 */
import type { EventBus } from '../events/bus.js';
import { ConnectionRequester, type ConnectionRequesterOptions } from '../reach/requester.js';
import type { Store } from '../store/types.js';
import { AuditService } from './audit.js';
import type { FilterParser } from '../policies/validate.js';
import { PolicyService } from './policies.js';
import { SubscriberServiceLayer } from './subscribers.js';
import { DiagnosticsService } from './diagnostics.js';
import { TaskService } from './tasks.js';
import { FileService, type FileServiceOptions } from './files.js';
import { FileRepository } from '../files/repository.js';
import { UrlSigner } from '../files/signing.js';
import type { BlobStore } from '../files/blobs.js';

export { ServiceError, SERVICE_ERROR_CODES, type ServiceErrorCode } from './errors.js';
export { TaskService, type TaskBody } from './tasks.js';
export { PolicyService } from './policies.js';
export { DiagnosticsService } from './diagnostics.js';
export { AuditService } from './audit.js';
export { FileService } from './files.js';

export interface ServicesOptions {
  store: Store;
  bus: EventBus;
  /** Connection requests; false disables them. */
  connectionRequests?: Omit<ConnectionRequesterOptions, 'store'> | false;
  /** Default task lifetime in seconds (default 7 days; 0 = none). */
  taskExpirySeconds?: number;
  /** The NBI's filter language (policies' `filter`); without it a policy with a filter is refused. */
  parseFilter?: FilterParser;
  /**
   * The file repository: where bytes go (default: the store's chunked rows), the signer of
   * transfer URLs (default: a random key, fine for one process), the transfer endpoint's
   * public URL, the largest upload.
   */
  files?: { blobs?: BlobStore; signer?: UrlSigner; publicUrl?: () => string; maxUploadBytes?: number };
  now?: () => number;
}

export interface Services {
  readonly tasks: TaskService;
  readonly policies: PolicyService;
  readonly subscribers: SubscriberServiceLayer;
  readonly diagnostics: DiagnosticsService;
  readonly audit: AuditService;
  readonly files: FileService;
}

/** Largest file the repository accepts by default: 1 GiB (firmware images are tens to hundreds of MiB). */
export const DEFAULT_MAX_FILE_BYTES = 1024 ** 3;

export function createServices(opts: ServicesOptions): Services {
  const now = opts.now ?? Date.now;
  const requester =
    opts.connectionRequests === false ? null : new ConnectionRequester({ store: opts.store, now, ...(opts.connectionRequests ?? {}) });
  const f = opts.files ?? {};
  const filesOptions: FileServiceOptions = {
    repo: new FileRepository({ store: opts.store, now, ...(f.blobs !== undefined ? { blobs: f.blobs } : {}) }),
    signer: f.signer ?? UrlSigner.random(),
    publicUrl: f.publicUrl ?? (() => 'http://127.0.0.1:7567'),
    maxUploadBytes: f.maxUploadBytes ?? DEFAULT_MAX_FILE_BYTES,
    now,
  };
  const files = new FileService(filesOptions);
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
  return { tasks, policies, diagnostics: new DiagnosticsService({ store: opts.store }), subscribers: new SubscriberServiceLayer({ store: opts.store, tasks, now }), audit: new AuditService({ store: opts.store }), files };
}
