/**
 * Device.ManagementServer: how the agent reaches its ACS and how the ACS reaches it. Values
 * the ACS writes (URL, credentials, periodic informs, retry policy) are kept in the state
 * file (0600) and win over the configuration from then on, as on any CPE; FactoryReset goes
 * back to the configuration.
 */
import type { Declarer, ParamDecl, Provider, ProviderContext } from '../provider.js';

export interface ManagementSettings {
  url: string;
  username: string;
  password: string;
  periodicInformInterval: number;
  connectionRequestUsername: string;
  connectionRequestPassword: string;
}

const W = (type: string, extra: Partial<ParamDecl> = {}): ParamDecl => ({ type, writable: true, ...extra });

/** Writable parameters: name → declaration and the default from the configuration. */
function writables(c: ManagementSettings): [string, ParamDecl, string][] {
  return [
    ['URL', W('string', { maxLength: 256 }), c.url],
    ['Username', W('string', { maxLength: 256 }), c.username],
    ['Password', W('string', { maxLength: 256, hidden: true }), c.password],
    ['PeriodicInformEnable', W('boolean'), c.periodicInformInterval > 0 ? 'true' : 'false'],
    ['PeriodicInformInterval', W('unsignedInt', { min: '1' }), String(c.periodicInformInterval > 0 ? c.periodicInformInterval : 3600)],
    ['PeriodicInformTime', W('dateTime'), '0001-01-01T00:00:00Z'],
    ['ConnectionRequestUsername', W('string', { maxLength: 256 }), c.connectionRequestUsername],
    ['ConnectionRequestPassword', W('string', { maxLength: 256, hidden: true }), c.connectionRequestPassword],
    ['DefaultActiveNotificationThrottle', W('unsignedInt'), '0'],
    ['CWMPRetryMinimumWaitInterval', W('unsignedInt', { min: '1', max: '65535' }), '5'],
    ['CWMPRetryIntervalMultiplier', W('unsignedInt', { min: '1000', max: '65535' }), '2000'],
  ];
}

/** HeartbeatPolicy (TR-069 Annex O): the client library sends the heartbeats (src/cpe/client/cpe.ts). */
const HEARTBEAT: [string, ParamDecl, string][] = [
  ['Enable', W('boolean'), 'false'],
  ['ReportingInterval', W('unsignedInt', { min: '30' }), '300'],
  ['InitiationTime', W('dateTime'), '0001-01-01T00:00:00Z'],
];

export class ManagementServerProvider implements Provider {
  readonly name = 'managementserver';
  readonly #config: ManagementSettings;
  readonly #parameterKey: () => string;
  /** Set once the connection-request listener is up. */
  connectionRequestUrl = '';

  constructor(config: ManagementSettings, parameterKey: () => string) {
    this.#config = config;
    this.#parameterKey = parameterKey;
  }

  declare(d: Declarer, ctx: ProviderContext): void {
    const base = 'Device.ManagementServer.';
    d.object(base);
    for (const [name, decl, def] of writables(this.#config)) d.param(base + name, decl, ctx.stored(name) ?? def);
    d.param(`${base}ParameterKey`, { type: 'string', maxLength: 32 }, this.#parameterKey());
    d.param(`${base}ConnectionRequestURL`, { type: 'string', maxLength: 256 }, this.connectionRequestUrl);
    d.param(`${base}UpgradesManaged`, W('boolean'), ctx.stored('UpgradesManaged') ?? 'false');
    d.param(`${base}AliasBasedAddressing`, { type: 'boolean' }, 'false');
    d.object(`${base}HeartbeatPolicy.`);
    for (const [name, decl, def] of HEARTBEAT) d.param(`${base}HeartbeatPolicy.${name}`, decl, ctx.stored(`HeartbeatPolicy.${name}`) ?? def);
  }

  check(path: string, value: string): number {
    if (!path.endsWith('.URL')) return 0;
    try {
      const u = new URL(value);
      return u.protocol === 'http:' || u.protocol === 'https:' ? 0 : 9007;
    } catch {
      return 9007;
    }
  }

  commit(writes: ReadonlyArray<readonly [string, string]>, ctx: ProviderContext): void {
    for (const [path, value] of writes) ctx.store(path.slice('Device.ManagementServer.'.length), value);
  }
}
