/**
 * IP addresses as the connection-request rules compare them (TR-069 3.2.2: the ACS contacts
 * the CPE at its ConnectionRequestURL, which the CPE reports; the ACS must only contact the
 * device itself). Pure: text in, canonical bytes out.
 *
 * Every spelling of one address compares equal: IPv4 in decimal (2130706433), octal (0177.1),
 * hex (0x7f.0.0.1) or short forms (127.1) — the WHATWG URL parser normalises these the way
 * browsers and Node's http client do, so we use it rather than a second grammar — and IPv6 in
 * any compression, with IPv4-mapped addresses (::ffff:127.0.0.1) taken as the IPv4 address
 * they stand for (a dual-stack socket reports IPv4 peers that way).
 */

/**
 * The parameter the ACS writes at each session's commit: the peer address of the session's
 * Inform (canonical text). The CWMP endpoint writes it, the connection requester reads it.
 */
export const SESSION_SOURCE_PATH = 'Flotilla.SessionSourceAddress';

export type IpAddress = { v: 4; bytes: readonly number[] } | { v: 6; bytes: readonly number[] };

/** A literal IP (any spelling above, IPv6 with or without brackets) → its canonical form; null for a host name or garbage. */
export function parseIp(text: string): IpAddress | null {
  const t = text.trim();
  if (t === '' || t.length > 100) return null;
  const bracketed = t.startsWith('[') && t.endsWith(']') ? t.slice(1, -1) : t;
  if (bracketed.includes(':')) return parseV6(bracketed);
  if (!/^[0-9a-fA-FxX.]+$/.test(t)) return null;
  let host: string;
  try {
    host = new URL(`http://${t}/`).hostname;
  } catch {
    return null;
  }
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(host);
  if (m === null) return null;
  return { v: 4, bytes: [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4])] };
}

function parseV6(text: string): IpAddress | null {
  // Zone ids (fe80::1%eth0) name an interface of this host: never a remote device's address.
  if (!/^[0-9a-fA-F:.]+$/.test(text)) return null;
  let host: string;
  try {
    host = new URL(`http://[${text}]/`).hostname.slice(1, -1);
  } catch {
    return null;
  }
  const [head = '', tail] = host.split('::') as [string, string | undefined];
  const words = (s: string): number[] => (s === '' ? [] : s.split(':').map((w) => parseInt(w, 16)));
  const left = words(head);
  const right = tail === undefined ? [] : words(tail);
  const fill = 8 - left.length - right.length;
  if (fill < 0 || (tail === undefined && fill !== 0)) return null;
  const all = [...left, ...new Array<number>(fill).fill(0), ...right];
  const bytes = all.flatMap((w) => [w >> 8, w & 0xff]);
  // ::ffff:a.b.c.d is the IPv4 address a.b.c.d.
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) return { v: 4, bytes: bytes.slice(12) };
  return { v: 6, bytes };
}

export function formatIp(a: IpAddress): string {
  if (a.v === 4) return a.bytes.join('.');
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push((a.bytes[i]! << 8) | a.bytes[i + 1]!);
  return new URL(`http://[${words.map((w) => w.toString(16)).join(':')}]/`).hostname.slice(1, -1);
}

export function sameIp(a: IpAddress, b: IpAddress): boolean {
  return a.v === b.v && a.bytes.every((x, i) => x === b.bytes[i]);
}

export interface Cidr {
  base: IpAddress;
  bits: number;
}

/** "10.0.0.0/8", "2001:db8::/32", or a single address (a /32 or /128). Null when malformed. */
export function parseCidr(text: string): Cidr | null {
  const slash = text.indexOf('/');
  const base = parseIp(slash < 0 ? text : text.slice(0, slash));
  if (base === null) return null;
  const max = base.v === 4 ? 32 : 128;
  if (slash < 0) return { base, bits: max };
  const bitsText = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(bitsText)) return null;
  const bits = Number(bitsText);
  // An IPv4-mapped prefix (::ffff:10.0.0.0/104) counts its IPv4 part only.
  const adjusted = base.v === 4 && text.slice(0, slash).includes(':') ? bits - 96 : bits;
  if (adjusted < 0 || adjusted > max) return null;
  return { base, bits: adjusted };
}

export function inCidr(a: IpAddress, c: Cidr): boolean {
  if (a.v !== c.base.v) return false;
  let left = c.bits;
  for (let i = 0; left > 0; i++, left -= 8) {
    const mask = left >= 8 ? 0xff : (0xff << (8 - left)) & 0xff;
    if ((a.bytes[i]! & mask) !== (c.base.bytes[i]! & mask)) return false;
  }
  return true;
}

const cidrs = (list: string[]): Cidr[] => list.map((t) => parseCidr(t)!);

/** Where no connection request may ever go, whoever asks. */
const NEVER: { name: string; ranges: Cidr[] }[] = [
  { name: 'an unspecified address', ranges: cidrs(['0.0.0.0/8', '::/128']) },
  // Cloud metadata services live here (169.254.169.254, fd00:ec2::254) as do link-local peers.
  { name: 'a link-local or metadata address', ranges: cidrs(['169.254.0.0/16', 'fe80::/10', 'fd00:ec2::254/128', '100.100.100.200/32']) },
  { name: 'a multicast or broadcast address', ranges: cidrs(['224.0.0.0/4', '255.255.255.255/32', 'ff00::/8']) },
];

const LOOPBACK = cidrs(['127.0.0.0/8', '::1/128']);

export function isLoopback(a: IpAddress): boolean {
  return LOOPBACK.some((c) => inCidr(a, c));
}

/** Why `a` is never a connection-request target, or null. */
export function forbiddenKind(a: IpAddress): string | null {
  for (const { name, ranges } of NEVER) if (ranges.some((c) => inCidr(a, c))) return name;
  return null;
}
