/**
 * A fleet of virtual CPEs in one process: one immutable model template shared by all
 * (each device holds only what differs), one timer heap, one session gate, one set of
 * connection-request listeners. `run` starts the fleet, stops it at its bounds (duration,
 * session count, or a signal) and returns the summary.
 */
import { closeTransferAgents } from '../client/http.js';
import { ConnectionRequestServer, type RateLimit } from '../client/connection-request.js';
import { UdpConnectionRequestListener, type UdpRequestOutcome } from '../client/udp-connection-request.js';
import { XmppConnectionRequestListener, type XmppRequestOutcome } from '../client/xmpp-connection-request.js';
import { attachStun, type FleetStunOptions, type StunHandle } from './stun.js';
import { createCpe, type TemplateCpe } from '../client/create.js';
import type { Credentials } from '../../auth/client.js';
import { HeapScheduler, type Scheduler } from '../client/scheduler.js';
import { CpeRuntime, type CpeObserver } from '../client/runtime.js';
import type { Quirks } from '../client/quirks.js';
import { loadModel } from '../model/load.js';
import type { Template } from '../model/template.js';
import { FleetStats, type Summary } from './stats.js';

export type ConnectionRequestMode = 'shared' | 'per-device' | 'off';

export interface FleetOptions {
  acsUrl: string;
  count: number;
  /** A loaded template, or what loadModel accepts (file path, shipped model name). */
  model: Template | string;
  serialPrefix?: string;
  /** First serial number's index (default 1). */
  firstIndex?: number;
  /** Seconds; written into each device's PeriodicInformInterval (the model's value otherwise). */
  informInterval?: number;
  /** ± fraction of the interval (default 0.1). */
  informJitter?: number;
  /** Seconds over which the fleet powers on (default 0: all at once). */
  rampSeconds?: number;
  credentials?: Credentials;
  connectionRequestCredentials?: Credentials;
  quirks?: Quirks;
  /** CWMP 1.4: versions each device announces in SupportedCWMPVersions (absent: none, a pre-1.4 device). */
  cwmpVersions?: readonly string[];
  connectionRequests?: ConnectionRequestMode;
  /** Bind address of the listeners (default 127.0.0.1). */
  connectionRequestHost?: string;
  /** Shared: the port (0 = any). Per device: the first port, the others follow (0 = any for each). */
  connectionRequestPort?: number;
  connectionRequestRateLimit?: RateLimit;
  /**
   * UDP connection requests (TR-069 Annex G), as devices behind a NAT take them: a UDP
   * socket per device on connectionRequestHost, its address in UDPConnectionRequestAddress.
   * With connectionRequests 'off' it is the only way to reach the devices.
   */
  udpConnectionRequests?: boolean;
  /** STUN (Annex G) from each device's UDP socket: binding discovery, keep-alives, change reports (./stun.ts). */
  stun?: FleetStunOptions;
  /**
   * XMPP connection requests (Annex K): each device logs in as `<serial lower-cased>@domain/cwmp`
   * (its ConnReqJabberID) with `password(serial)`; the accounts must exist on the server.
   */
  xmpp?: { service: string; domain: string; password: (serialNumber: string) => string; allowedJids?: string };
  maxConcurrentSessions?: number;
  sessionTimeoutMs?: number;
  rebootDelayMs?: number;
  retry?: { minimumWait?: number; multiplier?: number };
  /** Skip TLS verification of the ACS and file servers (test ACSes with self-signed certificates). */
  insecure?: boolean;
  /** Stop after this long (ms). */
  durationMs?: number;
  /** Stop after this many sessions (ok or failed). */
  sessions?: number;
  /** Time to let running sessions finish when stopping (ms, default 5000). */
  drainMs?: number;
  /** Reuse keep-alive connections across sessions (one session at a time each); default off, as real CPEs. */
  reuseConnections?: boolean;
  /** First start says 0 BOOTSTRAP (default); false for devices the ACS already knows (1 BOOT only). */
  bootstrap?: boolean;
  /** Told about every session, transfer … besides the fleet's own statistics (tests, dashboards). */
  observer?: CpeObserver;
  /** The one timer of the fleet (default a HeapScheduler); tests pass one that records what was scheduled. */
  scheduler?: Scheduler;
  /** A chosen fraction of the fleet fails firmware installs (stop-rule tests); Fleet.setInstallFailures changes it while running. */
  installFailures?: InstallFailures;
}

/**
 * Which devices fail a firmware install, and how: `fraction` (0..1) of the fleet, chosen by a
 * hash of the serial number (the same devices every run and every call); `fault` 9010
 * (download failure, the default) or 9018 (file corrupted) reported in TransferComplete, or
 * `vanish`: the device powers off after the download and never comes back.
 */
export interface InstallFailures {
  fraction: number;
  mode?: 9010 | 9018 | 'vanish';
}

/**
 * The serial as a number in [0, 1), stable across runs and processes: FNV-1a, then
 * MurmurHash3's finalizer (FNV alone keeps consecutive serials close together).
 */
export function serialShare(serialNumber: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < serialNumber.length; i++) {
    h ^= serialNumber.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 2 ** 32;
}

/** Whether `serialNumber` is among the failing `fraction`. */
export const failsInstall = (f: InstallFailures | null | undefined, serialNumber: string): boolean =>
  f !== null && f !== undefined && f.fraction > 0 && serialShare(serialNumber) < f.fraction;

const PORT_STEP_LIMIT = 65535;

export class Fleet {
  readonly opts: FleetOptions;
  readonly template: Template;
  readonly stats = new FleetStats();
  readonly runtime: CpeRuntime;
  readonly cpes: TemplateCpe[] = [];
  readonly #servers: { close(): Promise<void> }[] = [];
  /** STUN bindings kept per device (FleetOptions.stun), started with the fleet. */
  readonly stunClients: StunHandle[] = [];
  readonly #scheduler: Scheduler;
  #startedAt = 0;
  #stoppedAt = 0;
  #stop: (() => void) | null = null;
  #stopping: Promise<void> | null = null;

  constructor(opts: FleetOptions) {
    if (!Number.isInteger(opts.count) || opts.count < 1) throw new Error('count must be a positive integer');
    this.opts = opts;
    this.#scheduler = opts.scheduler ?? new HeapScheduler();
    this.template = typeof opts.model === 'string' ? loadModel(opts.model) : opts.model;
    this.runtime = new CpeRuntime({
      scheduler: this.#scheduler,
      acsUrl: opts.acsUrl,
      credentials: opts.credentials ?? null,
      quirks: opts.quirks,
      ...(opts.cwmpVersions !== undefined ? { cwmpVersions: opts.cwmpVersions } : {}),
      informJitter: opts.informJitter ?? 0.1,
      retry: opts.retry,
      sessionTimeoutMs: opts.sessionTimeoutMs,
      rebootDelayMs: opts.rebootDelayMs ?? 2_000,
      maxConcurrentSessions: opts.maxConcurrentSessions ?? 256,
      tls: opts.insecure === true ? { rejectUnauthorized: false } : undefined,
      bootstrap: opts.bootstrap,
      reuseConnections: opts.reuseConnections === true ? (opts.maxConcurrentSessions ?? 256) : undefined,
      observer: opts.observer === undefined ? this.stats : tee(this.stats, opts.observer),
    });
    this.setInstallFailures(opts.installFailures ?? null);
  }

  /** From now on, this fraction of the fleet fails firmware installs (null or fraction 0: none). */
  setInstallFailures(f: InstallFailures | null): void {
    if (f !== null && !(f.fraction >= 0 && f.fraction <= 1)) throw new Error('install failure fraction must be between 0 and 1');
    this.installFailures = f;
    this.runtime.installFailure = f === null || f.fraction === 0 ? undefined : (serial) => (failsInstall(f, serial) ? (f.mode ?? 9010) : null);
  }

  installFailures: InstallFailures | null = null;

  get startedAt(): number {
    return this.#startedAt;
  }

  serialNumber(i: number): string {
    const width = Math.max(6, String(this.opts.count + (this.opts.firstIndex ?? 1)).length);
    return `${this.opts.serialPrefix ?? 'SIM'}${String(i + (this.opts.firstIndex ?? 1)).padStart(width, '0')}`;
  }

  /** Create the devices and their listeners, and power them on along the ramp. */
  async start(): Promise<void> {
    if (this.cpes.length === 0) await this.prepare();
    const o = this.opts;
    this.#startedAt = Date.now();
    const ramp = (o.rampSeconds ?? 0) * 1000;
    this.cpes.forEach((cpe, i) => cpe.start(o.count > 1 ? Math.round((ramp * i) / o.count) : 0));
    // Spread the first Binding Requests over a second (or the ramp), not all at once.
    const spread = Math.max(1000, ramp);
    this.stunClients.forEach((s, i) => s.client.start(Math.round((spread * i) / Math.max(1, this.stunClients.length))));
  }

  /** Create the devices and their connection-request listeners, powered off (the memory benchmark measures here). */
  async prepare(): Promise<void> {
    const o = this.opts;
    const mode = o.connectionRequests ?? 'shared';
    const ms = `${this.template.root}ManagementServer.`;
    const has = (p: string): boolean => this.template.index.get(p)?.kind === 'param';
    // Settings the whole fleet shares go into each device's overrides, so the ACS reads
    // (and may change) them like any parameter, and they survive FactoryReset.
    const shared: Record<string, string> = {};
    const put = (name: string, value: string | undefined): void => {
      if (value !== undefined && has(`${ms}${name}`)) shared[`${ms}${name}`] = value;
    };
    put('URL', o.acsUrl);
    put('Username', o.credentials?.username);
    put('Password', o.credentials?.password);
    put('ConnectionRequestUsername', o.connectionRequestCredentials?.username);
    put('ConnectionRequestPassword', o.connectionRequestCredentials?.password);
    if (o.informInterval !== undefined) {
      put('PeriodicInformInterval', String(Math.round(o.informInterval)));
      put('PeriodicInformEnable', '1');
    }
    const onRequest = (key: string, outcome: 'accepted' | 'unauthorized' | 'limited' | 'unknown'): void => {
      if (outcome !== 'unknown') this.runtime.observer.connectionRequest?.(key, outcome);
    };
    const onUdpRequest = (serial: string, outcome: UdpRequestOutcome): void => {
      // Copies and replays are dropped by design, not refused: not worth a statistic.
      if (outcome === 'accepted' || outcome === 'limited') onRequest(serial, outcome);
      else if (outcome === 'wrong-username' || outcome === 'bad-signature') onRequest(serial, 'unauthorized');
    };
    const host = o.connectionRequestHost ?? '127.0.0.1';
    const rateLimit = o.connectionRequestRateLimit;
    let sharedServer: ConnectionRequestServer | null = null;
    if (mode === 'shared') {
      sharedServer = await ConnectionRequestServer.listen({ host, port: o.connectionRequestPort ?? 0, rateLimit, onRequest });
      this.#servers.push(sharedServer);
    }
    for (let i = 0; i < o.count; i++) {
      const serialNumber = this.serialNumber(i);
      let server = sharedServer;
      if (mode === 'per-device') {
        const base = o.connectionRequestPort ?? 0;
        const port = base === 0 ? 0 : base + i;
        if (port > PORT_STEP_LIMIT) throw new Error(`connection-request port ${port} out of range`);
        server = await ConnectionRequestServer.listen({ host, port, rateLimit, onRequest });
        this.#servers.push(server);
      }
      let overrides = server !== null && has(`${ms}ConnectionRequestURL`) ? { ...shared, [`${ms}ConnectionRequestURL`]: server.url(serialNumber) } : shared;
      // Filled in below: the socket must exist before the device, which answers through it.
      const late: { cpe?: TemplateCpe } = {};
      if ((o.udpConnectionRequests === true || o.stun !== undefined) && has(`${ms}UDPConnectionRequestAddress`)) {
        // The socket first, so its address is in the device from the start (a real device
        // learns its public one through STUN); the device answers through it once created.
        const onStun = { handle: (_d: Buffer): void => undefined };
        const udp = await UdpConnectionRequestListener.listen(
          { connectionRequest: () => late.cpe?.connectionRequest(), connectionRequestCredentials: () => late.cpe!.connectionRequestCredentials() },
          { host, rateLimit, onRequest: (outcome) => onUdpRequest(serialNumber, outcome), onStun: (d) => onStun.handle(d) },
        );
        this.#servers.push(udp);
        overrides = { ...overrides, [`${ms}UDPConnectionRequestAddress`]: udp.address };
        if (o.stun !== undefined) {
          overrides = { ...overrides, ...o.stun.initial(ms, serialNumber, has) };
          const handle = attachStun(o.stun, udp, late, ms, host, onStun);
          this.stunClients.push(handle);
          this.#servers.push(handle);
        }
      }
      if (o.xmpp !== undefined) {
        const jid = `${serialNumber.toLowerCase()}@${o.xmpp.domain}/cwmp`;
        overrides = { ...overrides };
        if (has(`${ms}ConnReqJabberID`)) overrides[`${ms}ConnReqJabberID`] = jid;
        if (o.xmpp.allowedJids !== undefined && has(`${ms}ConnReqAllowedJabberIDs`)) overrides[`${ms}ConnReqAllowedJabberIDs`] = o.xmpp.allowedJids;
        const param = (n: string): string => late.cpe?.model.get(`${ms}${n}`)?.value ?? '';
        const onXmpp = (outcome: XmppRequestOutcome): void => {
          if (outcome === 'accepted' || outcome === 'limited') onRequest(serialNumber, outcome);
          else if (outcome === 'not-allowed' || outcome === 'bad-credentials') onRequest(serialNumber, 'unauthorized');
        };
        this.#servers.push(
          await XmppConnectionRequestListener.connect(
            {
              connectionRequest: () => late.cpe?.connectionRequest(),
              connectionRequestCredentials: () => late.cpe!.connectionRequestCredentials(),
              allowedJabberIds: () => param('ConnReqAllowedJabberIDs'),
            },
            { service: o.xmpp.service, jid, password: o.xmpp.password(serialNumber), ...(rateLimit ? { rateLimit } : {}), onRequest: onXmpp },
          ),
        );
      }
      const cpe = (late.cpe = createCpe({ template: this.template, serialNumber, overrides, runtime: this.runtime }));
      server?.register(serialNumber, cpe);
      this.cpes.push(cpe);
    }
  }

  /** Start, wait for a bound (duration, sessions) or `stop()`, then stop and summarise. */
  async run(): Promise<Summary> {
    const done = new Promise<void>((resolve) => (this.#stop = resolve));
    const o = this.opts;
    if (o.sessions !== undefined) {
      const limit = o.sessions;
      this.stats.onSession = () => {
        if (this.stats.sessions >= limit) this.#stop?.();
      };
    }
    await this.start();
    const timer = o.durationMs !== undefined ? setTimeout(() => this.#stop?.(), o.durationMs) : null;
    await done;
    if (timer !== null) clearTimeout(timer);
    await this.stop();
    return this.summary();
  }

  /** Ask a running `run()` to finish. */
  requestStop(): void {
    this.#stop?.();
  }

  /** No new sessions; let running ones finish (up to drainMs), then power everything off. */
  stop(): Promise<void> {
    this.#stopping ??= this.#doStop();
    return this.#stopping;
  }

  async #doStop(): Promise<void> {
    this.runtime.stopping = true;
    this.#scheduler.stop();
    this.runtime.gate.clear();
    const deadline = Date.now() + (this.opts.drainMs ?? 5_000);
    while (this.runtime.gate.active > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    // Sessions that finish while draining count, so the rate is over the time they took.
    this.#stoppedAt = Date.now();
    for (const cpe of this.cpes) cpe.stop();
    this.runtime.pool?.close();
    await Promise.all(this.#servers.map((s) => s.close()));
    closeTransferAgents();
  }

  summary(): Summary {
    const end = this.#stoppedAt || Date.now();
    return this.stats.summary(this.cpes.length, end - this.#startedAt);
  }
}

/** Both observers, the fleet's statistics first. */
function tee(a: CpeObserver, b: CpeObserver): CpeObserver {
  return {
    sessionEnded: (r) => {
      a.sessionEnded?.(r);
      b.sessionEnded?.(r);
    },
    transferDone: (r) => {
      a.transferDone?.(r);
      b.transferDone?.(r);
    },
    connectionRequest: (serial, outcome) => {
      a.connectionRequest?.(serial, outcome);
      b.connectionRequest?.(serial, outcome);
    },
    diagnosticsDone: (serial, path) => {
      a.diagnosticsDone?.(serial, path);
      b.diagnosticsDone?.(serial, path);
    },
  };
}
