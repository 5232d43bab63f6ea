/**
 * Sending UDP connection requests (TR-069 Annex G) to a CPE behind a NAT, at the address it
 * reported in ManagementServer.UDPConnectionRequestAddress. The message is built by the pure
 * core (src/cwmp/udp-connection-request.ts); here are the socket, the copies and the outcome.
 *
 * UDP gives no answer: the outcome is only that the datagrams left ('udp-sent'); whether
 * the CPE came shows on the task (the session it opens runs it). Datagrams get lost, so a
 * few copies go out a little apart; the CPE takes the first and ignores the rest (one id).
 * The address comes from the CPE, so it is untrusted: only a literal IP or a host name and a
 * port are accepted, the requester's target guard (`admit`, ./target-guard.ts) decides where
 * it may go and with which credentials (the same rules as HTTP), and nothing but the outcome
 * is logged.
 */
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { buildUdpConnectionRequest } from '../cwmp/udp-connection-request.js';
import type { Credentials } from '../auth/client.js';
import type { ConnectionRequestResult } from './types.js';
import type { Admission } from './http.js';

export interface UdpSendOptions {
  /** Datagrams per request (default 3). */
  copies?: number;
  /** Between copies (default 100 ms). */
  intervalMs?: number;
  /**
   * Send from this socket instead of a fresh one: the STUN server's (src/reach/stun-server.ts),
   * since most NATs let in only datagrams from the address and port the binding was made with.
   */
  send?: (datagram: Buffer, port: number, host: string) => Promise<void>;
}

/** "host:port" or "[v6]:port" → its parts; null when it is neither. */
export function parseUdpAddress(address: string): { host: string; port: number } | null {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(address.trim());
  if (m === null) return null;
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return null;
  return { host: m[1] ?? m[2]!, port };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Send one UDP connection request (its copies). Never throws. With `admit`, a target it
 * refuses gets nothing ('blocked'), and the datagram is signed with the credentials it hands back.
 */
export async function sendUdpConnectionRequest(
  address: string,
  given: Credentials,
  opts: UdpSendOptions & { admit?: (host: string, port: number) => Promise<Admission> } = {},
): Promise<ConnectionRequestResult> {
  const target = parseUdpAddress(address);
  if (target === null) return { outcome: 'no-url', detail: 'UDPConnectionRequestAddress is not host:port' };
  let ip = target.host;
  let credentials: Credentials | null = given;
  if (opts.admit !== undefined) {
    const admitted = await opts.admit(target.host, target.port);
    if (!admitted.ok) return { outcome: 'blocked', detail: admitted.detail };
    ip = admitted.address;
    credentials = admitted.credentials;
    if (credentials === null) return { outcome: 'auth-failed', detail: 'no credentials of its own to sign a UDP connection request' };
  }
  try {
    if (isIP(ip) === 0) ip = (await lookup(ip)).address;
  } catch (e) {
    return { outcome: 'unreachable', detail: (e as { code?: string }).code ?? 'lookup failed' };
  }
  const fields = {
    ts: Math.floor(Date.now() / 1000),
    id: randomBytes(4).toString('hex'),
    un: credentials.username,
    cn: randomBytes(8).toString('hex'),
  };
  const message = Buffer.from(buildUdpConnectionRequest(address.trim(), fields, credentials.password), 'latin1');
  const socket = opts.send === undefined ? dgram.createSocket(isIP(ip) === 6 ? 'udp6' : 'udp4') : null;
  socket?.on('error', () => undefined);
  const send = opts.send ?? ((m: Buffer, port: number, host: string) => new Promise<void>((resolve, reject) => socket!.send(m, port, host, (err) => (err ? reject(err) : resolve()))));
  const copies = Math.max(1, opts.copies ?? 3);
  try {
    for (let i = 0; i < copies; i++) {
      if (i > 0) await sleep(opts.intervalMs ?? 100);
      await send(message, target.port, ip);
    }
    return { outcome: 'udp-sent', detail: `${copies} datagram${copies === 1 ? '' : 's'} to ${target.host}:${target.port}` };
  } catch (e) {
    return { outcome: 'unreachable', detail: (e as { code?: string }).code ?? 'send failed' };
  } finally {
    socket?.close();
  }
}
