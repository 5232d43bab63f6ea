/**
 * `flotilla agent`: a TR-069 client for the Linux host it runs on. The same client as the
 * simulator (src/cpe/client: sessions, retries with the TR-069 back-off, periodic informs,
 * connection requests with Digest and a rate limit), over a LiveModel whose providers read
 * the real system, with persistent state and real operations.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { Cpe } from '../client/cpe.js';
import { ConnectionRequestServer } from '../client/connection-request.js';
import { EV } from '../client/events.js';
import type { RateLimit } from '../client/rate-limit.js';
import type { SessionReport } from '../client/runtime.js';
import type { TransferComplete } from '../../cwmp/types.js';
import { diagnosticKind } from '../client/diagnostics.js';
import { httpTest, ipPing, nsLookup, traceRoute } from './diagnostics.js';
import { LiveModel } from './model.js';
import { Operations, type Hooks } from './operations.js';
import type { Provider } from './provider.js';
import { DeviceInfoProvider, dmiIdentity, machineId, type Identity } from './providers/device-info.js';
import { DiagnosticsProvider } from './providers/diagnostics.js';
import { DnsClientProvider, HostsProvider, RoutingProvider } from './providers/dns-hosts-routing.js';
import { ManagementServerProvider } from './providers/management-server.js';
import { NetworkProvider } from './providers/network.js';
import { TimeProvider } from './providers/time.js';
import { StateFile } from './state.js';
import { ipJson } from './system.js';

export interface AgentLog {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
}

export interface AgentOptions {
  acsUrl: string;
  username?: string;
  password?: string;
  /** Default: DMI product serial, else /etc/machine-id, else the host name. */
  serialNumber?: string;
  stateDir: string;
  /** Identity beyond what DMI says. */
  identity?: Partial<Omit<Identity, 'serialNumber'>>;
  connectionRequest?: {
    host?: string;
    port?: number;
    /** Address the ACS should use (default: this host's source address toward the ACS). */
    advertisedHost?: string;
    username?: string;
    password?: string;
    rateLimit?: RateLimit;
  };
  /** Seconds between periodic informs (0: off). */
  periodicInformInterval?: number;
  /** PEM CA bundle the ACS's certificate must chain to; verification is always on unless `insecure`. */
  caFile?: string;
  insecure?: boolean;
  hooks?: Hooks;
  /** Where downloads are staged (default <stateDir>/staging). */
  stagingDir?: string;
  logFile?: string;
  /** Seconds between polls of parameters with notification on (default 30, at least 1). */
  pollInterval?: number;
  /** Your own providers, after the built-in ones. */
  providers?: readonly Provider[];
  /** Replace the built-in providers altogether (tests, or a device with its own model). */
  builtinProviders?: boolean;
  retry?: { minimumWait?: number; multiplier?: number };
  /** CWMP 1.4: versions announced in SupportedCWMPVersions (absent: none, as a pre-1.4 CPE). */
  cwmpVersions?: readonly string[];
  /** After a reboot hook returned without the host going down, carry on as after a boot this much later (default 5 s). */
  rebootDelayMs?: number;
  log?: AgentLog;
  onSession?: (r: SessionReport) => void;
}

const RECENT_LOG_LINES = 500;

export class Agent {
  readonly cpe: Cpe;
  readonly model: LiveModel;
  readonly state: StateFile;
  readonly connectionRequestUrl: string;
  readonly #cr: ConnectionRequestServer;
  readonly #log: AgentLog;
  readonly #recent: string[] = [];
  #poll: NodeJS.Timeout | null = null;

  private constructor(parts: { cpe: Cpe; model: LiveModel; state: StateFile; cr: ConnectionRequestServer; url: string; log: AgentLog; recent: string[] }) {
    this.cpe = parts.cpe;
    this.model = parts.model;
    this.state = parts.state;
    this.#cr = parts.cr;
    this.connectionRequestUrl = parts.url;
    this.#log = parts.log;
    this.#recent = parts.recent;
  }

  static async start(o: AgentOptions): Promise<Agent> {
    const recent: string[] = [];
    const base = o.log ?? { info: () => undefined, warn: () => undefined };
    const remember = (level: string, msg: string): void => {
      recent.push(`${new Date().toISOString()} ${level} ${msg}`);
      if (recent.length > RECENT_LOG_LINES) recent.shift();
    };
    const log: AgentLog = {
      info: (m, f) => (remember('info', m), base.info(m, f)),
      warn: (m, f) => (remember('warn', m), base.warn(m, f)),
    };
    const state = new StateFile(o.stateDir);
    const dmi = await dmiIdentity();
    const serialNumber = o.serialNumber ?? dmi.serialNumber ?? (await machineId()) ?? hostname();
    const identity: Identity = {
      manufacturer: o.identity?.manufacturer ?? dmi.manufacturer ?? 'Flotilla',
      oui: o.identity?.oui ?? '000000',
      modelName: o.identity?.modelName ?? dmi.modelName ?? 'Linux host',
      productClass: o.identity?.productClass ?? 'LinuxHost',
      serialNumber,
      hardwareVersion: o.identity?.hardwareVersion ?? dmi.hardwareVersion ?? process.arch,
      softwareVersion: o.identity?.softwareVersion ?? agentVersion(),
      description: o.identity?.description ?? `flotilla agent on ${hostname()}`,
    };
    const tls = o.insecure === true ? { rejectUnauthorized: false } : { rejectUnauthorized: true, ...(o.caFile !== undefined ? { ca: readFileSync(o.caFile) } : {}) };

    const crOpts = o.connectionRequest ?? {};
    const bindHost = crOpts.host ?? '0.0.0.0';
    const advertised = crOpts.advertisedHost ?? (bindHost === '0.0.0.0' || bindHost === '::' ? await sourceToward(o.acsUrl) : bindHost);
    const cr = await ConnectionRequestServer.listen({
      host: bindHost,
      port: crOpts.port ?? 7547,
      advertisedHost: advertised,
      realm: 'flotilla-agent',
      ...(crOpts.rateLimit !== undefined ? { rateLimit: crOpts.rateLimit } : {}),
      onRequest: (_k, outcome) => log.info('connection request', { outcome }),
    });

    const mgmt = new ManagementServerProvider(
      {
        url: o.acsUrl,
        username: o.username ?? '',
        password: o.password ?? '',
        periodicInformInterval: o.periodicInformInterval ?? 3600,
        connectionRequestUsername: crOpts.username ?? '',
        connectionRequestPassword: crOpts.password ?? '',
      },
      () => state.state.parameterKey,
    );
    const diagnostics = new DiagnosticsProvider();
    const network = new NetworkProvider();
    const builtins: Provider[] =
      o.builtinProviders === false
        ? [new DeviceInfoProvider(identity), mgmt]
        : [new DeviceInfoProvider(identity), new TimeProvider(), mgmt, network, new DnsClientProvider(), new HostsProvider(network.paths), new RoutingProvider(network.paths), diagnostics];
    const ops = new Operations({
      hooks: o.hooks ?? {},
      stagingDir: o.stagingDir ?? join(o.stateDir, 'staging'),
      ...(o.logFile !== undefined ? { logFile: o.logFile } : {}),
      recentLog: () => `${recent.join('\n')}\n`,
      tls,
      onHookFailed: (what, detail) => log.warn(`${what} hook failed`, { detail }),
    });
    const refuse = new Map<string, number>();
    if (!ops.canReboot) refuse.set('Reboot', 9001);
    if (!ops.canFactoryReset) refuse.set('FactoryReset', 9001);
    if (!ops.canInstall) refuse.set('Download', 9001).set('ScheduleDownload', 9001);

    // eslint-disable-next-line prefer-const -- the hooks below run only once `cpe` exists
    let cpe: Cpe;
    const model: LiveModel = new LiveModel({
      providers: [...builtins, ...(o.providers ?? [])],
      state,
      refuse,
      transfers: () => cpe.allQueuedTransfers(),
      onError: (provider, e) => log.warn('provider failed', { provider, error: e instanceof Error ? e.message : String(e) }),
      live: {
        refresh: async () => void (await model.refresh()),
        hasValueChange: () => model.hasValueChange(),
        runDiagnostic: async (objectPath) => {
          const read = (n: string): string => {
            const v = model.get(objectPath + n)?.value ?? '';
            // Interface is a reference ("Device.IP.Interface.2"); the tools want its name.
            return n === 'Interface' && v.startsWith('Device.') ? (model.get(`${v.replace(/\.$/, '')}.Name`)?.value ?? '') : v;
          };
          const kind = diagnosticKind(objectPath);
          const r =
            kind === 'IPPing' ? await ipPing(read)
            : kind === 'TraceRoute' ? await traceRoute(read)
            : kind === 'Download' ? await httpTest(read, 'download', tls)
            : kind === 'Upload' ? await httpTest(read, 'upload', tls)
            : objectPath.includes('NSLookup') ? await nsLookup(read)
            : { state: 'Error_Internal', values: {} };
          diagnostics.complete(objectPath, r.state, r.values, r.rows);
          model.rebuild();
          log.info('diagnostic done', { objectPath, state: r.state });
        },
        runTransfer: (t) => ops.transfer(t, model),
        restarting: ({ commandKey, factoryReset, pendingEvents }) => {
          // Keep "M Reboot" for the session after a real restart, then run the hook.
          state.state.events = keptEvents(pendingEvents);
          state.save();
          log.info(factoryReset ? 'factory reset: running the hook' : 'reboot: running the hook', { commandKey });
          void ops.restart(factoryReset);
        },
      },
    });
    const acsKey = (): string => model.get('Device.ManagementServer.URL')?.value ?? o.acsUrl;
    const url = cr.register('', { connectionRequest: () => cpe.connectionRequest(), connectionRequestCredentials: () => cpe.connectionRequestCredentials() });
    mgmt.connectionRequestUrl = url;
    await model.refresh();

    const persist = (): void => {
      state.state.events = keptEvents(cpe.pendingEvents);
      state.state.transferCompletes = cpe.pendingRequests.filter((r): r is TransferComplete => r.method === 'TransferComplete');
      state.save();
    };
    cpe = new Cpe({
      model,
      runtime: {
        tls,
        bootstrap: state.state.bootstrappedWith !== acsKey(),
        // A real reboot takes the process down first; if the hook returns, the agent carries on as after a boot.
        rebootDelayMs: o.rebootDelayMs ?? 5_000,
        ...(o.retry !== undefined ? { retry: o.retry } : {}),
        ...(o.cwmpVersions !== undefined ? { cwmpVersions: o.cwmpVersions } : {}),
        observer: {
          sessionEnded: (r) => {
            if (r.ok && r.events.includes(EV.BOOTSTRAP)) state.state.bootstrappedWith = acsKey();
            persist();
            log.info(r.ok ? 'session done' : 'session failed', { events: r.events, rpcs: r.rpcs.map((x) => x.method), error: r.error });
            o.onSession?.(r);
          },
          transferDone: (r) => {
            persist();
            log.info('transfer done', { kind: r.kind, commandKey: r.commandKey, faultCode: r.faultCode, bytes: r.bytes });
          },
        },
      },
    });
    // What a previous run left undelivered goes out with this start's first Inform.
    for (const e of state.state.events) cpe.inform(e.eventCode, e.commandKey);
    for (const tc of state.state.transferCompletes) cpe.send(tc);

    const agent = new Agent({ cpe, model, state, cr, url, log, recent });
    agent.#startPolling(Math.max(1, o.pollInterval ?? 30));
    cpe.start();
    log.info('agent started', { serialNumber, connectionRequestUrl: url, acs: acsKey() });
    return agent;
  }

  /** Read the system now and then for parameters with notification on; an active one opens a session (throttled by the client). */
  #startPolling(seconds: number): void {
    let busy = false;
    this.#poll = setInterval(() => {
      if (busy || !this.model.watching() || this.cpe.phase === 'off') return;
      busy = true;
      void this.model
        .refresh()
        .then((changes) => {
          if (changes.length > 0) this.#log.info('value change', { parameters: changes.map(([p]) => p) });
          // setValue re-checks the attribute and applies DefaultActiveNotificationThrottle.
          if (this.model.hasActiveChange()) {
            const [path, value] = changes[0] ?? [];
            if (path !== undefined && value !== undefined) this.cpe.setValue(path, value);
          }
        })
        .finally(() => (busy = false));
    }, seconds * 1000);
    this.#poll.unref();
  }

  recentLog(): string {
    return this.#recent.join('\n');
  }

  async stop(): Promise<void> {
    if (this.#poll !== null) clearInterval(this.#poll);
    this.cpe.runtime.stopping = true;
    this.cpe.stop();
    this.cpe.runtime.scheduler.stop();
    this.state.state.events = keptEvents(this.cpe.pendingEvents);
    this.state.save();
    await this.#cr.close();
  }
}

/** Events worth keeping across a restart: method events with their CommandKeys and TRANSFER COMPLETE (a boot brings its own BOOT). */
function keptEvents(events: readonly { eventCode: string; commandKey: string }[]): { eventCode: string; commandKey: string }[] {
  return events.filter((e) => e.eventCode.startsWith('M ') || e.eventCode === EV.TRANSFER_COMPLETE).map((e) => ({ eventCode: e.eventCode, commandKey: e.commandKey }));
}

/** This host's source address toward the ACS: what the ACS can reach us at (no NAT between). */
async function sourceToward(acsUrl: string): Promise<string> {
  try {
    const host = new URL(acsUrl).hostname.replace(/^\[|\]$/g, '');
    const { lookup } = await import('node:dns/promises');
    const ip = (await lookup(host)).address;
    const r = (await ipJson(['route', 'get', ip]))[0] as Record<string, unknown> | undefined;
    if (typeof r?.prefsrc === 'string') return r.prefsrc;
  } catch {
    // fall through
  }
  return hostname();
}

function agentVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../../package.json', import.meta.url), 'utf8')) as { version?: string };
    if (typeof pkg.version === 'string') return pkg.version;
  } catch {
    // not installed from the package
  }
  return '0.0.0';
}
