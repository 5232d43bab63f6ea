/**
 * `flotilla sim`: a fleet of virtual CPEs against any ACS. Stops by itself at --duration or
 * --sessions (or on SIGINT/SIGTERM) and prints a JSON summary on stdout; a progress line is
 * drawn while it runs when stdout is a terminal.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { parseQuirks, QUIRK_NAMES } from '../cpe/client/quirks.js';
import { Fleet, type ConnectionRequestMode, type FleetOptions } from '../cpe/sim/fleet.js';
import { startProgress } from '../cpe/sim/progress.js';
import { opt, parseCwmpVersions, parseHostPort, parsePort, parsePositive } from './options.js';
import { fleetStun } from '../cpe/sim/stun.js';

function parseCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`not a positive integer: ${value}`);
  return n;
}

function parseNonNegative(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`not a number ≥ 0: ${value}`);
  return n;
}

function parseUrl(value: string): string {
  try {
    const u = new URL(value);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error();
    return u.toString();
  } catch {
    throw new InvalidArgumentError(`not an http(s) URL: ${value}`);
  }
}

function parseMode(value: string): ConnectionRequestMode {
  if (value === 'shared' || value === 'per-device' || value === 'off') return value;
  throw new InvalidArgumentError('expected shared, per-device or off');
}

interface SimFlags {
  acs: string;
  count: number;
  model: string;
  serialPrefix: string;
  firstIndex?: number;
  informInterval?: number;
  jitter: number;
  ramp: number;
  username?: string;
  password?: string;
  crUsername?: string;
  crPassword?: string;
  quirks?: string;
  cwmpVersions?: string[];
  crMode: ConnectionRequestMode;
  crHost: string;
  crPort: number;
  udpCr?: boolean;
  stun?: { host: string; port: number };
  stunKeepalive: number;
  xmppService?: string;
  xmppDomain?: string;
  xmppPassword?: string;
  concurrency: number;
  duration?: number;
  sessions?: number;
  sessionTimeout: number;
  rebootDelay: number;
  retryMinWait?: number;
  insecure?: boolean;
  bootstrap: boolean;
  reuseConnections?: boolean;
  installFailures?: number;
  installFailure: 9010 | 9018 | 'vanish';
}

function parseFraction(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError(`not a fraction from 0 to 1: ${value}`);
  return n;
}

function parseFailure(value: string): 9010 | 9018 | 'vanish' {
  if (value === '9010' || value === '9018') return Number(value) as 9010 | 9018;
  if (value === 'vanish') return value;
  throw new InvalidArgumentError('expected 9010, 9018 or vanish');
}

export function flagsToOptions(f: SimFlags): FleetOptions {
  if ((f.username === undefined) !== (f.password === undefined)) throw new InvalidArgumentError('--username and --password go together');
  return {
    acsUrl: f.acs,
    count: f.count,
    model: f.model,
    serialPrefix: f.serialPrefix,
    firstIndex: f.firstIndex,
    informInterval: f.informInterval,
    informJitter: f.jitter,
    rampSeconds: f.ramp,
    credentials: f.username !== undefined ? { username: f.username, password: f.password ?? '' } : undefined,
    connectionRequestCredentials:
      f.crUsername !== undefined ? { username: f.crUsername, password: f.crPassword ?? '' } : undefined,
    quirks: f.quirks !== undefined ? parseQuirks(f.quirks) : undefined,
    cwmpVersions: f.cwmpVersions,
    connectionRequests: f.crMode,
    connectionRequestHost: f.crHost,
    connectionRequestPort: f.crPort,
    udpConnectionRequests: f.udpCr === true,
    stun: f.stun !== undefined ? fleetStun(f.stun.host, f.stun.port, f.stunKeepalive) : undefined,
    xmpp:
      f.xmppService !== undefined
        ? { service: f.xmppService, domain: f.xmppDomain ?? new URL(f.xmppService).hostname, password: () => f.xmppPassword ?? '' }
        : undefined,
    maxConcurrentSessions: f.concurrency,
    durationMs: f.duration !== undefined ? f.duration * 1000 : undefined,
    sessions: f.sessions,
    sessionTimeoutMs: f.sessionTimeout * 1000,
    rebootDelayMs: f.rebootDelay * 1000,
    retry: f.retryMinWait !== undefined ? { minimumWait: f.retryMinWait } : undefined,
    insecure: f.insecure,
    bootstrap: f.bootstrap,
    reuseConnections: f.reuseConnections,
    installFailures: f.installFailures !== undefined ? { fraction: f.installFailures, mode: f.installFailure } : undefined,
  };
}

export function registerSimCommand(program: Command): void {
  program
    .command('sim')
    .description('run a fleet of virtual CPEs against an ACS; prints a JSON summary at the end')
    .addOption(opt('--acs <url>', 'ACS URL the CPEs inform to').argParser(parseUrl).makeOptionMandatory())
    .addOption(opt('--count <n>', 'number of CPEs').argParser(parseCount).default(1))
    .addOption(opt('--model <file>', 'device model: CSV dump, flotilla-model JSON, or a shipped name').default('tr181-router'))
    .addOption(opt('--serial-prefix <prefix>', 'serial numbers are <prefix><index>').default('SIM'))
    .addOption(opt('--first-index <n>', 'index of the first serial number').argParser(parseNonNegative))
    .addOption(opt('--inform-interval <seconds>', 'PeriodicInformInterval (default: the model\'s)').argParser(parsePositive))
    .addOption(opt('--jitter <fraction>', 'spread of each periodic interval, ± fraction').argParser(parseNonNegative).default(0.1))
    .addOption(opt('--ramp <seconds>', 'power the fleet on over this many seconds').argParser(parseNonNegative).default(0))
    .addOption(opt('--username <user>', 'CPE→ACS username (ManagementServer.Username)'))
    .addOption(opt('--password <password>', 'CPE→ACS password'))
    .addOption(opt('--cr-username <user>', 'connection-request username the ACS must use'))
    .addOption(opt('--cr-password <password>', 'connection-request password'))
    .addOption(opt('--cwmp-versions <list>', 'CWMP 1.4 negotiation: versions the devices announce (e.g. 1.0,1.1,1.2,1.3,1.4); default none, as a pre-1.4 device').argParser(parseCwmpVersions))
    .addOption(opt('--quirks <list>', `comma-separated: ${Object.keys(QUIRK_NAMES).join(', ')}`))
    .addOption(opt('--cr-mode <mode>', 'connection-request listeners: shared, per-device or off').argParser(parseMode).default('shared'))
    .addOption(opt('--cr-host <address>', 'bind address of connection-request listeners').default('127.0.0.1'))
    .addOption(opt('--cr-port <port>', 'shared listener port, or first port per device (0 = any)').argParser(parsePort).default(0))
    .addOption(opt('--udp-cr', 'also take UDP connection requests (TR-069 Annex G, devices behind NAT): a UDP socket per CPE on --cr-host'))
    .addOption(opt('--stun <host:port>', 'keep a STUN binding from each CPE\'s UDP socket (Annex G; implies --udp-cr); the ACS sets the credentials').argParser(parseHostPort))
    .addOption(opt('--stun-keepalive <seconds>', 'STUNMinimumKeepAlivePeriod the CPEs start with').argParser(parsePositive).default(30))
    .addOption(opt('--xmpp-service <url>', 'XMPP server the CPEs log into for connection requests (Annex K), xmpp://host:port'))
    .addOption(opt('--xmpp-domain <domain>', 'XMPP domain of the CPE accounts (<serial lower-cased>@domain; default: the service host)'))
    .addOption(opt('--xmpp-password <password>', 'password of every CPE\'s XMPP account'))
    .addOption(opt('--concurrency <n>', 'sessions in flight at once, at most').argParser(parseCount).default(256))
    .addOption(opt('--duration <seconds>', 'stop after this long').argParser(parsePositive))
    .addOption(opt('--sessions <n>', 'stop after this many sessions').argParser(parseCount))
    .addOption(opt('--session-timeout <seconds>', 'per HTTP exchange with the ACS').argParser(parsePositive).default(30))
    .addOption(opt('--reboot-delay <seconds>', 'how long a simulated reboot takes').argParser(parseNonNegative).default(2))
    .addOption(opt('--install-failures <fraction>', 'this fraction of the fleet (chosen by serial number) fails firmware installs').argParser(parseFraction))
    .addOption(opt('--install-failure <how>', 'how they fail: 9010 or 9018 (TransferComplete fault), or vanish (never come back)').argParser(parseFailure).default(9010))
    .addOption(opt('--retry-min-wait <seconds>', 'CWMPRetryMinimumWaitInterval override (default 5)').argParser(parsePositive))
    .addOption(opt('--insecure', 'do not verify TLS certificates (test ACSes only)'))
    .addOption(opt('--reuse-connections', 'keep TCP connections between sessions (real CPEs open one per session)'))
    .addOption(opt('--no-bootstrap', 'the ACS already knows these devices: first session says 1 BOOT, not 0 BOOTSTRAP'))
    .action(async (flags: SimFlags) => {
      const fleet = new Fleet(flagsToOptions(flags));
      const stopProgress = startProgress(fleet, process.stdout);
      // Said on stderr as they first happen, TTY or not (the summary comes only at the end).
      fleet.stats.onFirstError = (kind, r) => {
        const why =
          kind === 'auth'
            ? 'the ACS refused the credentials (401): check --username/--password (the ACS printed its bootstrap credential at its first start)'
            : kind === 'connect'
              ? `cannot reach ${flags.acs}: is the ACS running, and is this its CWMP URL?`
              : (r.error ?? kind);
        process.stderr.write(`${process.stdout.isTTY === true ? '\r\x1b[K' : ''}sim: ${r.serialNumber}: ${why}\n`);
      };
      const onSignal = (): void => fleet.requestStop();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        const summary = await fleet.run();
        stopProgress();
        process.stdout.write(`${JSON.stringify(summary)}\n`);
      } finally {
        stopProgress();
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
}
