/**
 * `flotilla agent`: run the TR-069 client for this Linux host (src/cpe/agent). Flags, their
 * FLOTILLA_<FLAG> environment variables, or a JSON --config file (0600, keys named like the
 * flags in camelCase: {"acs": "...", "password": "...", "rebootHook": ["systemctl", "reboot"]});
 * a flag given on the command line or in the environment wins over the file.
 */
import { statSync, readFileSync } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import { pino, type Level } from 'pino';
import { resolve as resolvePath } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Agent, type AgentOptions } from '../cpe/agent/agent.js';
import type { Provider } from '../cpe/agent/provider.js';
import type { RateLimit } from '../cpe/client/rate-limit.js';
import { opt, parseCwmpVersions, parsePort, parsePositive } from './options.js';

interface AgentFlags {
  acs?: string;
  username?: string;
  password?: string;
  serial?: string;
  stateDir: string;
  connectionRequestPort: number;
  connectionRequestHost: string;
  connectionRequestAdvertisedHost?: string;
  crUsername?: string;
  crPassword?: string;
  periodicInformInterval: number;
  caFile?: string;
  insecure?: boolean;
  rebootHook?: string | string[];
  factoryResetHook?: string | string[];
  installHook?: string | string[];
  stagingDir?: string;
  logFile?: string;
  pollInterval: number;
  oui?: string;
  manufacturer?: string;
  productClass?: string;
  modelName?: string;
  retryMinWait?: number;
  /** From the command line a parsed list; from --config a "1.0,1.4" string or an array. */
  cwmpVersions?: string[] | string;
  logLevel: Level;
  config?: string;
  provider?: string[];
  crRateLimit?: RateLimit;
}

function parseRate(value: string): RateLimit {
  const m = /^(\d+):(\d+(?:\.\d+)?)$/.exec(value);
  if (!m || Number(m[1]) < 1 || Number(m[2]) <= 0) throw new InvalidArgumentError('expected <burst>:<seconds per request>, e.g. 3:10');
  return { burst: Number(m[1]), refillSeconds: Number(m[2]) };
}

/**
 * Load providers from modules (the daemon's plug-ins): each module's default export is a
 * Provider, an array of them, or a function (sync or async) returning either.
 */
async function loadProviders(modules: readonly string[]): Promise<Provider[]> {
  const out: Provider[] = [];
  for (const m of modules) {
    const mod = (await import(pathToFileURL(resolvePath(m)).href)) as { default?: unknown };
    let v: unknown = mod.default;
    if (typeof v === 'function') v = await (v as () => unknown)();
    for (const p of Array.isArray(v) ? v : [v]) {
      if (typeof p !== 'object' || p === null || typeof (p as Provider).name !== 'string' || typeof (p as Provider).declare !== 'function') {
        throw new Error(`${m}: the default export is not a provider (name, declare)`);
      }
      out.push(p as Provider);
    }
  }
  return out;
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

function parseOui(value: string): string {
  if (!/^[0-9A-F]{6}$/.test(value)) throw new InvalidArgumentError('expected 6 upper-case hex digits');
  return value;
}

/** A hook as an argument list: a JSON array from the file, or words on the command line (no shell). */
function argv(v: string | string[] | undefined): string[] | undefined {
  if (v === undefined) return undefined;
  const list = Array.isArray(v) ? v.map(String) : v.split(/\s+/).filter((w) => w !== '');
  return list.length > 0 ? list : undefined;
}

/**
 * The configuration file: it may hold the ACS password, so like ssh we refuse one that
 * other users can read or write.
 */
export function readConfigFile(path: string): Record<string, unknown> {
  const st = statSync(path);
  if ((st.mode & 0o077) !== 0) throw new Error(`${path} is readable or writable by others (mode ${(st.mode & 0o777).toString(8)}); chmod 600 it`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error(`${path}: not JSON (${e instanceof Error ? e.message : String(e)})`, { cause: e });
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error(`${path}: expected a JSON object`);
  return raw as Record<string, unknown>;
}

export function registerAgentCommand(program: Command): void {
  program
    .command('agent')
    .description('run a TR-069 client for this Linux host: its real interfaces, addresses, diagnostics and operations')
    .addOption(opt('--acs <url>', 'ACS URL (ManagementServer.URL until the ACS changes it)').argParser(parseUrl))
    .addOption(opt('--username <user>', 'CPE→ACS username'))
    .addOption(opt('--password <password>', 'CPE→ACS password (prefer FLOTILLA_PASSWORD or --config: argv is visible to every user)'))
    .addOption(opt('--serial <serial>', 'SerialNumber (default: DMI product serial, else /etc/machine-id)'))
    .addOption(opt('--state-dir <dir>', 'where ParameterKey, pending events and instance numbers are kept (0600)').default('/var/lib/flotilla-agent'))
    .addOption(opt('--connection-request-port <port>', 'connection-request listener port').argParser(parsePort).default(7547))
    .addOption(opt('--connection-request-host <address>', 'connection-request listener address').default('0.0.0.0'))
    .addOption(opt('--connection-request-advertised-host <address>', 'address put in ConnectionRequestURL (default: the source address toward the ACS)'))
    .addOption(opt('--cr-username <user>', 'connection-request username the ACS must use (Digest)'))
    .addOption(opt('--cr-password <password>', 'connection-request password'))
    .addOption(opt('--periodic-inform-interval <seconds>', 'PeriodicInformInterval until the ACS sets one').argParser(parsePositive).default(3600))
    .addOption(opt('--ca-file <file>', 'PEM CA bundle the ACS certificate must chain to (verification is always on)'))
    .addOption(opt('--insecure', 'do not verify the ACS certificate (test ACSes only)'))
    .addOption(opt('--reboot-hook <command>', 'command that reboots the host (default: Reboot is refused with fault 9001)'))
    .addOption(opt('--factory-reset-hook <command>', 'command that restores factory state (default: refused with 9001)'))
    .addOption(opt('--install-hook <command>', 'command that installs a downloaded file (FLOTILLA_FILE, FLOTILLA_FILE_TYPE, FLOTILLA_SHA256 in its environment; default: Download refused)'))
    .addOption(opt('--staging-dir <dir>', 'where downloads are staged (default <state-dir>/staging)'))
    .addOption(opt('--log-file <file>', 'file sent for a "2 Vendor Log File" upload, or "journal" (default: the agent\'s recent log)'))
    .addOption(opt('--poll-interval <seconds>', 'how often parameters with notification on are read').argParser(parsePositive).default(30))
    .addOption(opt('--oui <hex>', 'ManufacturerOUI').argParser(parseOui))
    .addOption(opt('--manufacturer <name>', 'Manufacturer (default: DMI vendor)'))
    .addOption(opt('--product-class <name>', 'ProductClass').default('LinuxHost'))
    .addOption(opt('--model-name <name>', 'ModelName (default: DMI product name)'))
    .addOption(opt('--cwmp-versions <list>', 'CWMP versions announced to the ACS (SupportedCWMPVersions, e.g. 1.0,1.1,1.2,1.3,1.4); default none, as a pre-1.4 CPE').argParser(parseCwmpVersions))
    .addOption(opt('--retry-min-wait <seconds>', 'CWMPRetryMinimumWaitInterval override').argParser(parsePositive))
    .addOption(opt('--log-level <level>', 'fatal, error, warn, info, debug').default('info'))
    .addOption(opt('--cr-rate-limit <burst:seconds>', 'connection requests accepted back to back, and seconds to earn one more').argParser(parseRate))
    .addOption(opt('--provider <module...>', 'JavaScript module(s) whose default export is a provider (your own parameters)'))
    .addOption(opt('--config <file>', 'JSON configuration file (mode 0600)'))
    .action(async (flags: AgentFlags, cmd: Command) => {
      let f: AgentFlags = flags;
      if (flags.config !== undefined) {
        const file = readConfigFile(flags.config);
        const merged: Record<string, unknown> = { ...flags };
        for (const [k, v] of Object.entries(file)) {
          const source = cmd.getOptionValueSource(k);
          if (source === 'cli' || source === 'env') continue;
          merged[k] = v;
        }
        f = merged as unknown as AgentFlags;
      }
      if (f.acs === undefined) throw new Error('--acs is required (or "acs" in --config)');
      const logger = pino({
        level: f.logLevel,
        // Never log secrets, whatever a caller puts in a log line.
        redact: ['password', '*.password', 'authorization', '*.authorization'],
      });
      const opts: AgentOptions = {
        acsUrl: parseUrl(f.acs),
        ...(f.username !== undefined ? { username: f.username } : {}),
        ...(f.password !== undefined ? { password: f.password } : {}),
        ...(f.serial !== undefined ? { serialNumber: f.serial } : {}),
        stateDir: f.stateDir,
        connectionRequest: {
          host: f.connectionRequestHost,
          port: Number(f.connectionRequestPort),
          ...(f.connectionRequestAdvertisedHost !== undefined ? { advertisedHost: f.connectionRequestAdvertisedHost } : {}),
          ...(f.crUsername !== undefined ? { username: f.crUsername } : {}),
          ...(f.crPassword !== undefined ? { password: f.crPassword } : {}),
          ...(f.crRateLimit !== undefined ? { rateLimit: typeof f.crRateLimit === 'string' ? parseRate(f.crRateLimit) : f.crRateLimit } : {}),
        },
        providers: await loadProviders(f.provider === undefined ? [] : Array.isArray(f.provider) ? f.provider : [String(f.provider)]),
        periodicInformInterval: Number(f.periodicInformInterval),
        ...(f.caFile !== undefined ? { caFile: f.caFile } : {}),
        insecure: f.insecure === true,
        hooks: {
          ...(argv(f.rebootHook) ? { reboot: argv(f.rebootHook) } : {}),
          ...(argv(f.factoryResetHook) ? { factoryReset: argv(f.factoryResetHook) } : {}),
          ...(argv(f.installHook) ? { install: argv(f.installHook) } : {}),
        },
        ...(f.stagingDir !== undefined ? { stagingDir: f.stagingDir } : {}),
        ...(f.logFile !== undefined ? { logFile: f.logFile } : {}),
        pollInterval: Number(f.pollInterval),
        identity: {
          ...(f.oui !== undefined ? { oui: f.oui } : {}),
          ...(f.manufacturer !== undefined ? { manufacturer: f.manufacturer } : {}),
          ...(f.productClass !== undefined ? { productClass: f.productClass } : {}),
          ...(f.modelName !== undefined ? { modelName: f.modelName } : {}),
        },
        ...(f.retryMinWait !== undefined ? { retry: { minimumWait: Number(f.retryMinWait) } } : {}),
        ...(f.cwmpVersions !== undefined ? { cwmpVersions: parseCwmpVersions(Array.isArray(f.cwmpVersions) ? f.cwmpVersions.join(',') : String(f.cwmpVersions)) } : {}),
        log: { info: (m, x) => logger.info(x ?? {}, m), warn: (m, x) => logger.warn(x ?? {}, m) },
      };
      const agent = await Agent.start(opts);
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          void agent.stop().then(resolve);
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
