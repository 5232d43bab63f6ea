/**
 * Device.Ethernet.Interface and Device.IP.Interface from `ip -j addr` and `ip -j -s link`
 * (netlink underneath), plus link speed and duplex from /sys/class/net. Every link is an
 * IP.Interface; links with an Ethernet-like hardware address are also Ethernet.Interface
 * rows, which their IP.Interface names as LowerLayers. Rows keep their instance number
 * across restarts (keyed by interface name), so a path the ACS stored stays right.
 */
import type { Declarer, Provider, ProviderContext } from '../provider.js';
import { bool, ipJson, maskOf, readTrim } from '../system.js';

interface Address {
  family: 'inet' | 'inet6';
  local: string;
  prefixlen: number;
  dynamic: boolean;
  scope: string;
}

interface Stats {
  rxBytes: number;
  txBytes: number;
  rxPackets: number;
  txPackets: number;
  rxErrors: number;
  txErrors: number;
  rxDropped: number;
  txDropped: number;
  multicast: number;
}

export interface Link {
  name: string;
  up: boolean;
  lowerUp: boolean;
  loopback: boolean;
  ether: boolean;
  mac: string;
  mtu: number;
  speedMbps: number;
  duplex: string;
  addresses: Address[];
  stats: Stats;
}

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const rec = (v: unknown): Record<string, unknown> => (typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {});

/** The host's links, in ifindex order. */
export async function readLinks(): Promise<Link[]> {
  const [addrs, links] = await Promise.all([ipJson(['addr', 'show']), ipJson(['-s', 'link', 'show'])]);
  const statsByName = new Map<string, Stats>();
  for (const l of links.map(rec)) {
    const s = rec(l.stats64 ?? l.stats);
    const rx = rec(s.rx);
    const tx = rec(s.tx);
    statsByName.set(str(l.ifname), {
      rxBytes: num(rx.bytes),
      txBytes: num(tx.bytes),
      rxPackets: num(rx.packets),
      txPackets: num(tx.packets),
      rxErrors: num(rx.errors),
      txErrors: num(tx.errors),
      rxDropped: num(rx.dropped),
      txDropped: num(tx.dropped),
      multicast: num(rx.multicast),
    });
  }
  const out: Link[] = [];
  for (const l of addrs.map(rec)) {
    const name = str(l.ifname);
    if (name === '') continue;
    const flags = Array.isArray(l.flags) ? l.flags.map(str) : [];
    const linkType = str(l.link_type);
    const speed = Number(await readTrim(`/sys/class/net/${name}/speed`));
    const addresses: Address[] = [];
    for (const a of (Array.isArray(l.addr_info) ? l.addr_info : []).map(rec)) {
      const family = str(a.family);
      if (family !== 'inet' && family !== 'inet6') continue;
      addresses.push({ family, local: str(a.local), prefixlen: num(a.prefixlen), dynamic: a.dynamic === true, scope: str(a.scope) });
    }
    out.push({
      name,
      up: flags.includes('UP'),
      lowerUp: flags.includes('LOWER_UP'),
      loopback: linkType === 'loopback',
      ether: linkType === 'ether',
      mac: str(l.address).toUpperCase(),
      mtu: num(l.mtu),
      speedMbps: Number.isFinite(speed) && speed > 0 ? speed : 0,
      duplex: (await readTrim(`/sys/class/net/${name}/duplex`)) ?? '',
      addresses,
      stats: statsByName.get(name) ?? { rxBytes: 0, txBytes: 0, rxPackets: 0, txPackets: 0, rxErrors: 0, txErrors: 0, rxDropped: 0, txDropped: 0, multicast: 0 },
    });
  }
  return out;
}

const ETH = 'Device.Ethernet.Interface.';
const IPI = 'Device.IP.Interface.';

/** Where each interface name sits in the tree (other providers point at it: Hosts, Routing, DNS). */
export class InterfacePaths {
  #ip = new Map<string, string>();
  set(names: Map<string, string>): void {
    this.#ip = names;
  }
  ipInterface(name: string): string {
    return this.#ip.get(name) ?? '';
  }
}

export class NetworkProvider implements Provider {
  readonly name = 'network';
  readonly paths: InterfacePaths;
  #links: Link[] = [];
  readonly #read: () => Promise<Link[]>;

  constructor(paths = new InterfacePaths(), read: () => Promise<Link[]> = readLinks) {
    this.paths = paths;
    this.#read = read;
  }

  async refresh(ctx: ProviderContext): Promise<void> {
    this.#links = await this.#read();
    this.paths.set(new Map(this.#links.map((l) => [l.name, `${IPI}${ctx.instance(IPI, l.name)}`])));
  }

  declare(d: Declarer, ctx: ProviderContext): void {
    const s = { type: 'string' };
    const u = { type: 'unsignedInt' };
    const c32 = { type: 'unsignedInt', activeNotify: 'canDeny' as const };
    const c64 = { type: 'unsignedLong', activeNotify: 'canDeny' as const };
    const status = (l: Link): string => (!l.up ? 'Down' : l.lowerUp || l.loopback ? 'Up' : 'LowerLayerDown');
    const stats = (pre: string, st: Stats): void => {
      d.object(`${pre}Stats.`);
      d.param(`${pre}Stats.BytesSent`, c64, String(st.txBytes));
      d.param(`${pre}Stats.BytesReceived`, c64, String(st.rxBytes));
      d.param(`${pre}Stats.PacketsSent`, c64, String(st.txPackets));
      d.param(`${pre}Stats.PacketsReceived`, c64, String(st.rxPackets));
      d.param(`${pre}Stats.ErrorsSent`, c32, String(st.txErrors));
      d.param(`${pre}Stats.ErrorsReceived`, c32, String(st.rxErrors));
      d.param(`${pre}Stats.DiscardPacketsSent`, c32, String(st.txDropped));
      d.param(`${pre}Stats.DiscardPacketsReceived`, c32, String(st.rxDropped));
      d.param(`${pre}Stats.MulticastPacketsReceived`, c64, String(st.multicast));
    };

    const ether = this.#links.filter((l) => l.ether);
    d.object('Device.Ethernet.');
    d.param('Device.Ethernet.InterfaceNumberOfEntries', u, String(ether.length));
    d.object(ETH, { table: true });
    const ethPath = new Map<string, string>();
    for (const l of ether) {
      const pre = `${ETH}${ctx.instance(ETH, l.name)}.`;
      ethPath.set(l.name, pre.slice(0, -1));
      d.object(pre);
      d.param(`${pre}Enable`, { type: 'boolean' }, bool(l.up));
      d.param(`${pre}Status`, s, status(l));
      d.param(`${pre}Name`, s, l.name);
      d.param(`${pre}LowerLayers`, s, '');
      d.param(`${pre}Upstream`, { type: 'boolean' }, 'false');
      d.param(`${pre}MACAddress`, s, l.mac);
      d.param(`${pre}MaxBitRate`, { type: 'int' }, String(l.speedMbps > 0 ? l.speedMbps : -1));
      d.param(`${pre}CurrentBitRate`, u, String(l.speedMbps));
      d.param(`${pre}DuplexMode`, s, l.duplex === 'full' ? 'Full' : l.duplex === 'half' ? 'Half' : 'Auto');
      stats(pre, l.stats);
    }

    d.object('Device.IP.');
    d.param('Device.IP.IPv4Capable', { type: 'boolean' }, 'true');
    d.param('Device.IP.IPv4Status', s, 'Enabled');
    d.param('Device.IP.IPv6Capable', { type: 'boolean' }, 'true');
    d.param('Device.IP.IPv6Status', s, this.#links.some((l) => l.addresses.some((a) => a.family === 'inet6')) ? 'Enabled' : 'Disabled');
    d.param('Device.IP.InterfaceNumberOfEntries', u, String(this.#links.length));
    d.object(IPI, { table: true });
    for (const l of this.#links) {
      const pre = `${IPI}${ctx.instance(IPI, l.name)}.`;
      const v4 = l.addresses.filter((a) => a.family === 'inet');
      const v6 = l.addresses.filter((a) => a.family === 'inet6');
      d.object(pre);
      d.param(`${pre}Enable`, { type: 'boolean' }, bool(l.up));
      d.param(`${pre}Status`, s, status(l));
      d.param(`${pre}Name`, s, l.name);
      d.param(`${pre}Type`, s, l.loopback ? 'Loopback' : 'Normal');
      d.param(`${pre}Loopback`, { type: 'boolean' }, bool(l.loopback));
      d.param(`${pre}LowerLayers`, s, ethPath.get(l.name) ?? '');
      d.param(`${pre}MaxMTUSize`, u, String(Math.min(l.mtu, 65535)));
      d.param(`${pre}IPv4Enable`, { type: 'boolean' }, bool(v4.length > 0));
      d.param(`${pre}IPv6Enable`, { type: 'boolean' }, bool(v6.length > 0));
      d.param(`${pre}IPv4AddressNumberOfEntries`, u, String(v4.length));
      d.param(`${pre}IPv6AddressNumberOfEntries`, u, String(v6.length));
      d.object(`${pre}IPv4Address.`, { table: true });
      // Addresses are numbered by position: they are the system's, keyed by nothing stabler.
      v4.forEach((a, i) => {
        const ap = `${pre}IPv4Address.${i + 1}.`;
        d.object(ap);
        d.param(`${ap}Enable`, { type: 'boolean' }, 'true');
        d.param(`${ap}Status`, s, 'Enabled');
        d.param(`${ap}IPAddress`, s, a.local);
        d.param(`${ap}SubnetMask`, s, maskOf(a.prefixlen));
        d.param(`${ap}AddressingType`, s, a.dynamic ? 'DHCP' : 'Static');
      });
      d.object(`${pre}IPv6Address.`, { table: true });
      v6.forEach((a, i) => {
        const ap = `${pre}IPv6Address.${i + 1}.`;
        d.object(ap);
        d.param(`${ap}Enable`, { type: 'boolean' }, 'true');
        d.param(`${ap}Status`, s, 'Enabled');
        d.param(`${ap}IPAddressStatus`, s, 'Preferred');
        d.param(`${ap}IPAddress`, s, a.local);
        d.param(`${ap}Origin`, s, a.scope === 'link' ? 'AutoConfigured' : a.dynamic ? 'DHCPv6' : 'Static');
      });
      stats(pre, l.stats);
    }
  }
}
