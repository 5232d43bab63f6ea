/**
 * A NAT on this machine for tests: network namespaces joined by veth pairs,
 *
 *   root ── (api link) ── isp ── (wan link) ── gw [nft masquerade, random ports] ── (lan link) ── home
 *
 * "isp" holds the ACS (and the XMPP server), "home" the simulated CPEs behind "gw"'s NAT.
 * The test process, in the root namespace, reaches only the ACS's API, over its own link.
 * Only the namespaces' own addresses are used. `destroy()` deletes everything it made
 * (also on process exit), whatever happened before.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';

export interface Nat {
  isp: string;
  gw: string;
  home: string;
  /** The ACS's address on the api link (reachable from the test process). */
  ispApiAddress: string;
  /** The ACS's address on the wan link (what the CPEs and the XMPP server use). */
  ispWanAddress: string;
  /** The NAT's public address. */
  gwWanAddress: string;
  /** The CPEs' private address. */
  homeAddress: string;
  /** Run a command inside a namespace; throws on failure. */
  exec(ns: string, cmd: string, args: string[]): string;
  /** Forget every NAT mapping (the gateway reboots, or its table overflowed). */
  flushMappings(): void;
  destroy(): void;
}

/** Why a NAT cannot be built here, or null. */
export function natMissing(): string | null {
  if (process.getuid?.() !== 0) return 'not root';
  for (const bin of ['/usr/sbin/ip', '/usr/sbin/nft', '/usr/sbin/conntrack']) if (!existsSync(bin) && !existsSync(bin.replace('/usr/sbin', '/sbin'))) return `${bin.split('/').pop()} is not installed`;
  const probe = `fl-probe-${randomBytes(3).toString('hex')}`;
  try {
    execFileSync('ip', ['netns', 'add', probe], { stdio: 'pipe' });
    execFileSync('ip', ['netns', 'del', probe], { stdio: 'pipe' });
  } catch {
    return '`ip netns add` is not allowed here';
  }
  return null;
}

const sh = (cmd: string, args: string[]): string => execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', timeout: 15_000 });

export function buildNat(): Nat {
  const id = randomBytes(2).toString('hex');
  // A /16 of 10.x and a 192.168.x per run, so parallel runs do not share addresses.
  const x = 100 + (parseInt(id, 16) % 150);
  const ns = { isp: `fl-isp-${id}`, gw: `fl-gw-${id}`, home: `fl-home-${id}` };
  const made: string[] = [];
  const links: string[] = [];
  const destroy = (): void => {
    for (const l of links) {
      try {
        sh('ip', ['link', 'del', l]);
      } catch {
        // Gone with its namespace.
      }
    }
    for (const n of made.reverse()) {
      try {
        sh('ip', ['netns', 'del', n]);
      } catch {
        // Already gone.
      }
    }
    made.length = 0;
    links.length = 0;
  };
  const onExit = (): void => destroy();
  process.once('exit', onExit);
  const exec = (n: string, cmd: string, args: string[]): string => sh('ip', ['netns', 'exec', n, cmd, ...args]);
  try {
    for (const n of [ns.isp, ns.gw, ns.home]) {
      sh('ip', ['netns', 'add', n]);
      made.push(n);
      exec(n, 'ip', ['link', 'set', 'lo', 'up']);
    }
    const veth = (a: string, aNs: string | null, aAddr: string, b: string, bNs: string, bAddr: string): void => {
      sh('ip', ['link', 'add', a, 'type', 'veth', 'peer', 'name', b]);
      if (aNs === null) links.push(a);
      if (aNs !== null) sh('ip', ['link', 'set', a, 'netns', aNs]);
      sh('ip', ['link', 'set', b, 'netns', bNs]);
      const inA = (cmd: string[]): string => (aNs === null ? sh('ip', cmd) : exec(aNs, 'ip', cmd));
      inA(['addr', 'add', aAddr, 'dev', a]);
      inA(['link', 'set', a, 'up']);
      exec(bNs, 'ip', ['addr', 'add', bAddr, 'dev', b]);
      exec(bNs, 'ip', ['link', 'set', b, 'up']);
    };
    veth(`flr${id}`, null, `10.${x}.1.1/30`, `fli${id}`, ns.isp, `10.${x}.1.2/30`);
    veth(`flw${id}`, ns.isp, `10.${x}.2.1/24`, `flg${id}`, ns.gw, `10.${x}.2.2/24`);
    veth(`fll${id}`, ns.gw, `192.168.${x}.1/24`, `flh${id}`, ns.home, `192.168.${x}.2/24`);
    exec(ns.home, 'ip', ['route', 'add', 'default', 'via', `192.168.${x}.1`]);
    exec(ns.gw, 'sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
    // Masquerade with random ports: a flushed mapping comes back on another port, as on a real CGN.
    exec(ns.gw, 'nft', ['add table ip nat']);
    exec(ns.gw, 'nft', ['add chain ip nat post { type nat hook postrouting priority 100 ; }']);
    exec(ns.gw, 'nft', [`add rule ip nat post oifname "flg${id}" masquerade random`]);
  } catch (e) {
    destroy();
    process.off('exit', onExit);
    throw e;
  }
  return {
    ...ns,
    ispApiAddress: `10.${x}.1.2`,
    ispWanAddress: `10.${x}.2.1`,
    gwWanAddress: `10.${x}.2.2`,
    homeAddress: `192.168.${x}.2`,
    exec,
    flushMappings: () => {
      exec(ns.gw, 'conntrack', ['-F']);
    },
    destroy: () => {
      destroy();
      process.off('exit', onExit);
    },
  };
}
