/**
 * UDP connection requests (TR-069 Annex G): how an ACS reaches a CPE behind a NAT, whose
 * HTTP ConnectionRequestURL is not reachable from outside. The CPE learns its public
 * binding (STUN) and reports it in ManagementServer.UDPConnectionRequestAddress; the ACS
 * sends one datagram holding an HTTP GET request line whose query carries the proof:
 *
 *   GET http://host:port?ts=1120673700&id=1234&un=CPE57689&cn=XTGRWIPC6D3IPXS3&sig=3545F7… HTTP/1.1
 *   Host: host:port
 *
 * ts: seconds since the epoch; id: a message id (copies of one request share it); un: the
 * ConnectionRequestUsername; cn: a random cnonce; sig: hex HMAC-SHA1, keyed with the
 * ConnectionRequestPassword, of ts, id, un and cn concatenated. There is no answer: the CPE
 * either opens a session with 6 CONNECTION REQUEST or stays silent. UDP can lose a datagram,
 * so the ACS sends a few copies, and the CPE ignores repeats and replays: a message is taken
 * only when its ts is not older than the last one taken and its id is new.
 *
 * Pure: building, parsing and checking; the sockets are in src/acs and src/cpe.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface UdpConnectionRequest {
  /** The host (and port) the request was addressed to, as written. */
  host: string;
  ts: number;
  id: string;
  un: string;
  cn: string;
  /** Hex, as received (compared case-insensitively). */
  sig: string;
}

export type UdpRequestFields = Omit<UdpConnectionRequest, 'host' | 'sig'>;

/** A datagram this large is not a connection request (real ones are a few hundred bytes). */
export const MAX_UDP_REQUEST_BYTES = 2_048;

export function udpSignature(f: UdpRequestFields, password: string): string {
  return createHmac('sha1', password).update(`${f.ts}${f.id}${f.un}${f.cn}`, 'utf8').digest('hex').toUpperCase();
}

/** The datagram an ACS sends to `address` ("host:port"). */
export function buildUdpConnectionRequest(address: string, f: UdpRequestFields, password: string): string {
  const q = new URLSearchParams({ ts: String(f.ts), id: f.id, un: f.un, cn: f.cn, sig: udpSignature(f, password) });
  return `GET http://${address}?${q.toString()} HTTP/1.1\r\nHost: ${address}\r\n\r\n`;
}

export type UdpParseResult = { ok: true; request: UdpConnectionRequest } | { ok: false; reason: string };

/** Read a datagram; anything that is not a well-formed request says why, never throws. */
export function parseUdpConnectionRequest(datagram: Buffer | string): UdpParseResult {
  const bytes = typeof datagram === 'string' ? Buffer.byteLength(datagram) : datagram.length;
  if (bytes > MAX_UDP_REQUEST_BYTES) return { ok: false, reason: 'too large' };
  const text = typeof datagram === 'string' ? datagram : datagram.toString('latin1');
  const line = text.split(/\r?\n/, 1)[0] ?? '';
  const m = /^GET\s+(\S+)\s+HTTP\/1\.[01]$/.exec(line.trim());
  if (m === null) return { ok: false, reason: 'not an HTTP GET request line' };
  let url: URL;
  try {
    url = new URL(m[1]!);
  } catch {
    return { ok: false, reason: 'not an absolute URI' };
  }
  const q = url.searchParams;
  const fields = ['ts', 'id', 'un', 'cn', 'sig'] as const;
  for (const f of fields) if (q.get(f) === null) return { ok: false, reason: `no ${f}` };
  const ts = Number(q.get('ts'));
  if (!Number.isSafeInteger(ts) || ts < 0) return { ok: false, reason: 'ts is not a time' };
  const sig = q.get('sig')!;
  if (!/^[0-9a-fA-F]{40}$/.test(sig)) return { ok: false, reason: 'sig is not an HMAC-SHA1' };
  return { ok: true, request: { host: url.host, ts, id: q.get('id')!, un: q.get('un')!, cn: q.get('cn')!, sig } };
}

/** What a CPE remembers of the last request it took. */
export interface UdpReplayState {
  lastTs: number;
  lastId: string | null;
}

export type UdpVerdict = 'accept' | 'duplicate' | 'stale' | 'wrong-username' | 'bad-signature';

/**
 * Whether a CPE with these credentials takes the request; on 'accept' it must record the
 * request in its state (`remember`). Checks the signature before anything the sender
 * could use to probe the state.
 */
export function checkUdpConnectionRequest(req: UdpConnectionRequest, creds: { username: string; password: string }, state: UdpReplayState): UdpVerdict {
  if (req.un !== creds.username) return 'wrong-username';
  const expected = Buffer.from(udpSignature(req, creds.password), 'latin1');
  const got = Buffer.from(req.sig.toUpperCase(), 'latin1');
  if (expected.length !== got.length || !timingSafeEqual(expected, got)) return 'bad-signature';
  if (req.id === state.lastId) return 'duplicate';
  if (req.ts < state.lastTs) return 'stale';
  return 'accept';
}

export function remember(state: UdpReplayState, req: UdpConnectionRequest): void {
  state.lastTs = req.ts;
  state.lastId = req.id;
}
