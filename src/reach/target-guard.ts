/**
 * Where a connection request may go. The ConnectionRequestURL and UDPConnectionRequestAddress
 * come from the CPE, so without a check the ACS would send requests (and answer challenges
 * with credentials) to any address a CPE names: its own API, loopback ports, metadata
 * services, other networks. The rule (issue 10):
 *
 *  - The target's address must be where the device is seen: the address its CWMP sessions
 *    come from (stored at each session's commit as SESSION_SOURCE_PATH, no extra round trip)
 *    or, for UDP, the public address its STUN binding came from; or lie in an operator's
 *    `--connection-request-allowed-cidrs` (devices behind a known CGNAT, management VLANs).
 *  - Whatever the above says, never an unspecified, link-local, metadata, multicast or
 *    broadcast address, and never one of this ACS's own listening endpoints.
 *  - Host names are resolved once and the request goes to the address that was checked
 *    (pinned), so a name cannot resolve differently between check and connect.
 *
 * Spellings (decimal, octal, hex, IPv4-mapped IPv6) are normalised before any comparison
 * (src/cwmp/address.ts). A refused target is not contacted.
 */
import { lookup } from 'node:dns/promises';
import { networkInterfaces } from 'node:os';
import { forbiddenKind, formatIp, inCidr, isLoopback, parseCidr, parseIp, sameIp, SESSION_SOURCE_PATH, type Cidr, type IpAddress } from '../cwmp/address.js';

export { SESSION_SOURCE_PATH };

export interface Endpoint {
  /** As listened on: an address, or '0.0.0.0' / '::' for all of this host's. */
  host: string;
  port: number;
}

export interface TargetGuardOptions {
  /** Reported addresses in these ranges are allowed besides the observed ones. */
  allowedCidrs?: readonly string[];
  /** This ACS's listening endpoints (CWMP, API, STUN): never a target. */
  ownEndpoints?: () => readonly Endpoint[];
  /** Tests: resolve a host name (default: the system resolver, every address). */
  resolve?: (host: string) => Promise<string[]>;
}

export type TargetVerdict =
  | {
      ok: true;
      /** The address to connect to (checked; a name is pinned to it). */
      address: string;
      family: 4 | 6;
      /** The address is where the device was seen (not only reported): the only place a default credential may go. */
      observed: boolean;
    }
  | { ok: false; detail: string };

/** Parse `--connection-request-allowed-cidrs`; throws on a malformed entry. */
export function parseAllowedCidrs(list: readonly string[]): Cidr[] {
  return list.map((t) => {
    const c = parseCidr(t.trim());
    if (c === null) throw new Error(`not a CIDR: ${JSON.stringify(t)}`);
    return c;
  });
}

export class TargetGuard {
  readonly #allowed: Cidr[];
  readonly #own: () => readonly Endpoint[];
  readonly #resolve: (host: string) => Promise<string[]>;
  readonly #extraOwn: Endpoint[] = [];

  constructor(opts: TargetGuardOptions = {}) {
    this.#allowed = parseAllowedCidrs(opts.allowedCidrs ?? []);
    this.#own = opts.ownEndpoints ?? (() => []);
    this.#resolve = opts.resolve ?? (async (host) => (await lookup(host, { all: true, verbatim: true })).map((a) => a.address));
  }

  /** One more endpoint of this ACS (e.g. the API, known once it listens). */
  addOwnEndpoint(e: Endpoint): void {
    this.#extraOwn.push(e);
  }

  /**
   * May a request go to `host`:`port` for a device seen at `observed` (session source, STUN
   * binding host; unparseable entries are ignored)? Resolves names; never throws.
   */
  async check(host: string, port: number, observed: readonly string[]): Promise<TargetVerdict> {
    const seen = observed.map(parseIp).filter((a): a is IpAddress => a !== null);
    const literal = parseIp(host);
    let candidates: IpAddress[];
    if (literal !== null) candidates = [literal];
    else {
      try {
        candidates = (await this.#resolve(host.replace(/^\[|\]$/g, ''))).map(parseIp).filter((a): a is IpAddress => a !== null);
      } catch (e) {
        return { ok: false, detail: `cannot resolve ${host}: ${(e as { code?: string }).code ?? 'lookup failed'}` };
      }
      if (candidates.length === 0) return { ok: false, detail: `cannot resolve ${host}` };
    }
    // Every address a name resolves to must pass: otherwise which one we get decides.
    let first: TargetVerdict | null = null;
    for (const a of candidates) {
      const v = this.#one(a, port, seen);
      if (!v.ok) return literal === null ? { ok: false, detail: `${host} → ${v.detail}` } : v;
      first ??= v;
    }
    return first!;
  }

  #one(a: IpAddress, port: number, seen: IpAddress[]): TargetVerdict {
    const shown = formatIp(a);
    const never = forbiddenKind(a);
    if (never !== null) return { ok: false, detail: `target ${shown} is ${never}` };
    if (this.#isOwn(a, port)) return { ok: false, detail: `target ${shown}:${port} is this ACS` };
    const observed = seen.some((s) => sameIp(s, a));
    if (!observed && !this.#allowed.some((c) => inCidr(a, c))) {
      const where = seen.length === 0 ? 'no session address is known' : `its sessions come from ${seen.map(formatIp).join(', ')}`;
      return { ok: false, detail: `target ${shown} is not where the device is (${where}) nor in the allowed CIDRs` };
    }
    return { ok: true, address: shown, family: a.v, observed };
  }

  #isOwn(a: IpAddress, port: number): boolean {
    for (const e of [...this.#own(), ...this.#extraOwn]) {
      if (e.port !== port) continue;
      const listened = parseIp(e.host);
      // Listening on every address: any address of this host is ours.
      if (listened === null || forbiddenKind(listened) === 'an unspecified address') {
        if (isLoopback(a) || localAddresses().some((l) => sameIp(l, a))) return true;
      } else if (sameIp(listened, a)) return true;
    }
    return false;
  }
}

function localAddresses(): IpAddress[] {
  return Object.values(networkInterfaces())
    .flat()
    .map((i) => (i === undefined ? null : parseIp(i.address.split('%')[0]!)))
    .filter((a): a is IpAddress => a !== null);
}
