/**
 * The host's resolver (Device.DNS.Client, from /etc/resolv.conf), its neighbour table
 * (Device.Hosts, `ip -j neigh`) and its IPv4 routes (Device.Routing.Router.1.IPv4Forwarding,
 * `ip -j -4 route`, read-only: the agent reports routes, it does not change them).
 */
import type { Declarer, Provider, ProviderContext } from '../provider.js';
import { bool, ipJson, maskOf, readText } from '../system.js';
import type { InterfacePaths } from './network.js';

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const rec = (v: unknown): Record<string, unknown> => (typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {});

export class DnsClientProvider implements Provider {
  readonly name = 'dns';
  #servers: string[] = [];
  readonly #file: string;

  constructor(resolvConf = '/etc/resolv.conf') {
    this.#file = resolvConf;
  }

  async refresh(): Promise<void> {
    const text = (await readText(this.#file)) ?? '';
    this.#servers = [...text.matchAll(/^\s*nameserver\s+(\S+)/gm)].map((m) => m[1]!).slice(0, 16);
  }

  declare(d: Declarer): void {
    d.object('Device.DNS.');
    d.object('Device.DNS.Client.');
    d.param('Device.DNS.Client.Enable', { type: 'boolean' }, 'true');
    d.param('Device.DNS.Client.Status', { type: 'string' }, 'Enabled');
    d.param('Device.DNS.Client.ServerNumberOfEntries', { type: 'unsignedInt' }, String(this.#servers.length));
    d.object('Device.DNS.Client.Server.', { table: true });
    this.#servers.forEach((ip, i) => {
      const pre = `Device.DNS.Client.Server.${i + 1}.`;
      d.object(pre);
      d.param(`${pre}Enable`, { type: 'boolean' }, 'true');
      d.param(`${pre}Status`, { type: 'string' }, 'Enabled');
      d.param(`${pre}DNSServer`, { type: 'string' }, ip);
      d.param(`${pre}Type`, { type: 'string' }, 'Static');
    });
  }
}

interface Neighbour {
  ip: string;
  mac: string;
  dev: string;
  active: boolean;
}

export class HostsProvider implements Provider {
  readonly name = 'hosts';
  readonly #paths: InterfacePaths;
  #hosts: Neighbour[] = [];

  constructor(paths: InterfacePaths) {
    this.#paths = paths;
  }

  async refresh(): Promise<void> {
    const rows = (await ipJson(['neigh', 'show'])).map(rec);
    this.#hosts = [];
    for (const r of rows) {
      const mac = str(r.lladdr).toUpperCase();
      if (mac === '') continue; // incomplete or failed entries: nobody answered there
      const state = Array.isArray(r.state) ? r.state.map(str) : [];
      this.#hosts.push({ ip: str(r.dst), mac, dev: str(r.dev), active: state.some((s) => s === 'REACHABLE' || s === 'DELAY' || s === 'PROBE' || s === 'PERMANENT') });
    }
    this.#hosts = this.#hosts.slice(0, 512);
  }

  declare(d: Declarer, ctx: ProviderContext): void {
    d.object('Device.Hosts.');
    d.param('Device.Hosts.HostNumberOfEntries', { type: 'unsignedInt' }, String(this.#hosts.length));
    d.object('Device.Hosts.Host.', { table: true });
    for (const h of this.#hosts) {
      const pre = `Device.Hosts.Host.${ctx.instance('Device.Hosts.Host.', `${h.mac}|${h.ip}`)}.`;
      d.object(pre);
      d.param(`${pre}PhysAddress`, { type: 'string' }, h.mac);
      d.param(`${pre}IPAddress`, { type: 'string' }, h.ip);
      d.param(`${pre}Layer3Interface`, { type: 'string' }, this.#paths.ipInterface(h.dev));
      d.param(`${pre}Active`, { type: 'boolean' }, bool(h.active));
    }
  }
}

interface Route {
  dest: string;
  mask: string;
  gateway: string;
  dev: string;
  metric: number;
  static: boolean;
  dhcp: boolean;
}

export class RoutingProvider implements Provider {
  readonly name = 'routing';
  readonly #paths: InterfacePaths;
  #routes: Route[] = [];

  constructor(paths: InterfacePaths) {
    this.#paths = paths;
  }

  async refresh(): Promise<void> {
    const rows = (await ipJson(['-4', 'route', 'show'])).map(rec);
    this.#routes = rows.slice(0, 256).map((r) => {
      const dst = str(r.dst);
      const [net, len] = dst === 'default' ? ['0.0.0.0', 0] : [dst.split('/')[0] ?? '', dst.includes('/') ? Number(dst.split('/')[1]) : 32];
      return {
        dest: net,
        mask: maskOf(len),
        gateway: str(r.gateway),
        dev: str(r.dev),
        metric: typeof r.metric === 'number' ? r.metric : 0,
        // Routes the kernel made for an address, or a DHCP client added, are not static.
        static: r.protocol === undefined || r.protocol === 'static' || r.protocol === 'boot',
        dhcp: r.protocol === 'dhcp',
      };
    });
  }

  declare(d: Declarer): void {
    const base = 'Device.Routing.Router.1.';
    d.object('Device.Routing.');
    d.param('Device.Routing.RouterNumberOfEntries', { type: 'unsignedInt' }, '1');
    d.object('Device.Routing.Router.', { table: true });
    d.object(base);
    d.param(`${base}Enable`, { type: 'boolean' }, 'true');
    d.param(`${base}Status`, { type: 'string' }, 'Enabled');
    d.param(`${base}IPv4ForwardingNumberOfEntries`, { type: 'unsignedInt' }, String(this.#routes.length));
    d.object(`${base}IPv4Forwarding.`, { table: true });
    this.#routes.forEach((r, i) => {
      const pre = `${base}IPv4Forwarding.${i + 1}.`;
      d.object(pre);
      d.param(`${pre}Enable`, { type: 'boolean' }, 'true');
      d.param(`${pre}Status`, { type: 'string' }, 'Enabled');
      d.param(`${pre}StaticRoute`, { type: 'boolean' }, bool(r.static));
      d.param(`${pre}DestIPAddress`, { type: 'string' }, r.dest);
      d.param(`${pre}DestSubnetMask`, { type: 'string' }, r.mask);
      d.param(`${pre}GatewayIPAddress`, { type: 'string' }, r.gateway);
      d.param(`${pre}Interface`, { type: 'string' }, this.#paths.ipInterface(r.dev));
      d.param(`${pre}Origin`, { type: 'string' }, r.dhcp ? 'DHCPv4' : 'Static');
      d.param(`${pre}ForwardingMetric`, { type: 'int' }, String(Math.min(r.metric, 2 ** 31 - 1)));
    });
  }
}
