/**
 * What CPEs share: settings, the timer heap, the session gate and the observer. A device
 * maker embedding one CPE gets a runtime of its own by default; the simulator builds one
 * for the whole fleet, so the per-CPE object holds only its own state.
 */
import type { Credentials } from '../../auth/client.js';
import { DEFAULT_RETRY, type RetryPolicy } from './events.js';
import { ConnectionPool, type TlsOptions } from './http.js';
import type { Quirks } from './quirks.js';
import { HeapScheduler, type Scheduler } from './scheduler.js';

export interface SessionReport {
  serialNumber: string;
  ok: boolean;
  error?: string;
  events: string[];
  rpcs: { method: string; faultCode: number }[];
  startedAt: number;
  durationMs: number;
  exchanges: number;
}

export interface TransferReport {
  serialNumber: string;
  kind: 'download' | 'upload';
  commandKey: string;
  fileType: string;
  faultCode: number;
  bytes: number;
}

/** Hooks for statistics and tests. All optional, all synchronous, none may throw. */
export interface CpeObserver {
  sessionEnded?(report: SessionReport): void;
  transferDone?(report: TransferReport): void;
  /** A connection request reached the CPE: accepted, refused for lack of (Digest) credentials, or over the rate limit. */
  connectionRequest?(serialNumber: string, outcome: 'accepted' | 'unauthorized' | 'limited'): void;
  diagnosticsDone?(serialNumber: string, objectPath: string): void;
}

export interface DownloadedFile {
  fileType: string;
  targetFileName: string;
  url: string;
  body: Buffer;
}

export interface RuntimeOptions {
  scheduler?: Scheduler;
  /** ACS URL when the model's ManagementServer.URL is empty. */
  acsUrl?: string;
  /** Credentials toward the ACS when the model's ManagementServer.Username is empty. */
  credentials?: Credentials | null;
  quirks?: Quirks;
  /**
   * CWMP 1.4 version negotiation: the versions the CPE speaks ("1.0" … "1.4"), announced in
   * the Inform's SupportedCWMPVersions; the Inform goes out in the highest one's namespace and
   * the ACS's UseCWMPVersion picks the rest of the session's. Absent: an older CPE (no header).
   */
  cwmpVersions?: readonly string[];
  /** Seconds; overrides the model's PeriodicInformInterval (and enables periodic informs). */
  informInterval?: number;
  /** Spread of each periodic interval, as a fraction (0.1 = ±10 %). */
  informJitter?: number;
  /** Overrides ManagementServer.CWMPRetryMinimumWaitInterval / CWMPRetryIntervalMultiplier. */
  retry?: Partial<RetryPolicy>;
  /** Per HTTP exchange with the ACS. */
  sessionTimeoutMs?: number;
  /** How long a simulated reboot takes. */
  rebootDelayMs?: number;
  /** At most this many sessions at once across the runtime (the rest queue). */
  maxConcurrentSessions?: number;
  tls?: TlsOptions;
  observer?: CpeObserver;
  random?: () => number;
  /** First start of a device that has never met its ACS: 0 BOOTSTRAP (default true). */
  bootstrap?: boolean;
  transferTimeoutMs?: number;
  /**
   * Hand keep-alive connections from one session to the next (at most this many idle).
   * Off by default: a real CPE opens a new TCP connection for each session.
   */
  reuseConnections?: number;
  /** Called with the bytes of every successful Download (the device maker installs them). */
  onDownload?: (file: DownloadedFile) => void;
  /** Fault injection: every download's connection drops once after this many bytes (it resumes with Range). */
  dropDownloadsAfterBytes?: number;
}

/** Anything the gate can start. */
export interface Gated {
  beginSession(): void;
}

/**
 * Bounds concurrent sessions. A storm of ten thousand periodic informs becomes a queue,
 * which is also how a real access network spreads them; it keeps sockets bounded.
 */
export class SessionGate {
  readonly limit: number;
  #active = 0;
  #queue: Gated[] = [];
  #head = 0;

  constructor(limit: number) {
    this.limit = limit;
  }

  get active(): number {
    return this.#active;
  }

  get waiting(): number {
    return this.#queue.length - this.#head;
  }

  enter(who: Gated): void {
    if (this.#active < this.limit) {
      this.#active++;
      who.beginSession();
    } else this.#queue.push(who);
  }

  leave(): void {
    this.#active--;
    while (this.#active < this.limit && this.#head < this.#queue.length) {
      const next = this.#queue[this.#head++]!;
      if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
        this.#queue = this.#queue.slice(this.#head);
        this.#head = 0;
      }
      this.#active++;
      next.beginSession();
    }
  }

  /** Forget queued CPEs (the simulator is stopping). */
  clear(): void {
    this.#queue = [];
    this.#head = 0;
  }
}

export class CpeRuntime {
  readonly scheduler: Scheduler;
  readonly acsUrl: string | undefined;
  readonly credentials: Credentials | null;
  readonly quirks: Quirks;
  readonly cwmpVersions: readonly string[] | undefined;
  readonly informInterval: number | undefined;
  readonly informJitter: number;
  readonly retry: Partial<RetryPolicy>;
  readonly sessionTimeoutMs: number;
  readonly rebootDelayMs: number;
  readonly gate: SessionGate;
  readonly tls: TlsOptions | undefined;
  readonly observer: CpeObserver;
  readonly random: () => number;
  readonly bootstrap: boolean;
  readonly transferTimeoutMs: number;
  readonly onDownload: ((file: DownloadedFile) => void) | undefined;
  /** Fault injection (mutable: tests switch it on and off). */
  dropDownloadsAfterBytes: number | undefined;
  readonly pool: ConnectionPool | null;
  /** Set when the owner stops: no new session starts. */
  stopping = false;
  /**
   * Failure injection for firmware installs (the simulator's fleet option, ../sim/fleet.ts):
   * per serial number, a fault code the install fails with (9010, 9018), 'vanish' (the device
   * powers off for good after the download: it never comes back), or null (it installs).
   * Mutable: tests change it between waves.
   */
  installFailure: ((serialNumber: string) => number | 'vanish' | null) | undefined = undefined;

  constructor(opts: RuntimeOptions = {}) {
    this.scheduler = opts.scheduler ?? new HeapScheduler();
    this.acsUrl = opts.acsUrl;
    this.credentials = opts.credentials ?? null;
    this.quirks = opts.quirks ?? {};
    this.cwmpVersions = opts.cwmpVersions;
    this.informInterval = opts.informInterval;
    this.informJitter = opts.informJitter ?? 0;
    this.retry = opts.retry ?? {};
    this.sessionTimeoutMs = opts.sessionTimeoutMs ?? 30_000;
    this.rebootDelayMs = opts.rebootDelayMs ?? 1_000;
    this.gate = new SessionGate(opts.maxConcurrentSessions ?? Infinity);
    this.tls = opts.tls;
    this.observer = opts.observer ?? {};
    this.random = opts.random ?? Math.random;
    this.bootstrap = opts.bootstrap ?? true;
    this.transferTimeoutMs = opts.transferTimeoutMs ?? 120_000;
    this.onDownload = opts.onDownload;
    this.dropDownloadsAfterBytes = opts.dropDownloadsAfterBytes;
    this.pool = opts.reuseConnections !== undefined && opts.reuseConnections > 0 ? new ConnectionPool(opts.reuseConnections) : null;
  }

  /** The retry policy: runtime override, else the model's values, else TR-069's defaults. */
  retryPolicy(modelMinimumWait: number | null, modelMultiplier: number | null): RetryPolicy {
    return {
      minimumWait: this.retry.minimumWait ?? modelMinimumWait ?? DEFAULT_RETRY.minimumWait,
      multiplier: this.retry.multiplier ?? modelMultiplier ?? DEFAULT_RETRY.multiplier,
    };
  }
}
