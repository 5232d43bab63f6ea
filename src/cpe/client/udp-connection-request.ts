/**
 * The CPE's UDP connection-request listener (TR-069 Annex G): one socket per device, as a
 * device behind a NAT has one binding, its address put in UDPConnectionRequestAddress. A
 * datagram that parses, carries the device's ConnectionRequestUsername, is signed with its
 * ConnectionRequestPassword and is neither a repeat nor older than the last one taken opens
 * a session with 6 CONNECTION REQUEST, within the same rate limit as HTTP requests.
 * Everything else is dropped in silence: UDP has no answer to give.
 */
import dgram from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { isStun } from '../../cwmp/stun-message.js';
import { checkUdpConnectionRequest, parseUdpConnectionRequest, remember, type UdpReplayState, type UdpVerdict } from '../../cwmp/udp-connection-request.js';
import type { ConnectionRequestTarget } from './connection-request.js';
import { TokenBuckets, type RateLimit } from './rate-limit.js';

export type UdpRequestOutcome = 'accepted' | 'limited' | 'malformed' | Exclude<UdpVerdict, 'accept'>;

export interface UdpListenerOptions {
  host?: string;
  /** 0 picks a free one. */
  port?: number;
  /** Host put in UDPConnectionRequestAddress when it differs from the bind address. */
  advertisedHost?: string;
  rateLimit?: RateLimit;
  now?: () => number;
  onRequest?: (outcome: UdpRequestOutcome) => void;
  /** STUN answers arriving on this socket (Annex G: the binding is this socket's; stun-client.ts). */
  onStun?: (datagram: Buffer) => void;
}

export class UdpConnectionRequestListener {
  readonly #socket: dgram.Socket;
  readonly #target: ConnectionRequestTarget;
  readonly #buckets: TokenBuckets;
  readonly #now: () => number;
  readonly #onRequest: UdpListenerOptions['onRequest'];
  readonly #onStun: UdpListenerOptions['onStun'];
  readonly #state: UdpReplayState = { lastTs: 0, lastId: null };
  #address = '';

  private constructor(socket: dgram.Socket, target: ConnectionRequestTarget, opts: UdpListenerOptions) {
    this.#socket = socket;
    this.#target = target;
    this.#buckets = new TokenBuckets(opts.rateLimit);
    this.#now = opts.now ?? Date.now;
    this.#onRequest = opts.onRequest;
    this.#onStun = opts.onStun;
  }

  static async listen(target: ConnectionRequestTarget, opts: UdpListenerOptions = {}): Promise<UdpConnectionRequestListener> {
    const host = opts.host ?? '127.0.0.1';
    const socket = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
    const l = new UdpConnectionRequestListener(socket, target, opts);
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(opts.port ?? 0, host, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    // A socket error (ICMP noise) must not take the device down.
    socket.on('error', () => undefined);
    socket.on('message', (msg) => l.#handle(msg));
    const shown = opts.advertisedHost ?? (host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host);
    l.#address = `${shown.includes(':') ? `[${shown}]` : shown}:${(socket.address() as AddressInfo).port}`;
    return l;
  }

  /** "host:port", the value of UDPConnectionRequestAddress. */
  get address(): string {
    return this.#address;
  }

  /** Send from this socket (STUN Binding Requests, so the NAT binding is this socket's). */
  send(datagram: Buffer, port: number, host: string): void {
    this.#socket.send(datagram, port, host, () => undefined);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#socket.close(() => resolve()));
  }

  #handle(datagram: Buffer): void {
    if (isStun(datagram)) return this.#onStun?.(datagram);
    const parsed = parseUdpConnectionRequest(datagram);
    if (!parsed.ok) return this.#onRequest?.('malformed');
    const verdict = checkUdpConnectionRequest(parsed.request, this.#target.connectionRequestCredentials(), this.#state);
    if (verdict !== 'accept') return this.#onRequest?.(verdict);
    // Taken even when rate-limited: its copies are repeats, not new requests.
    remember(this.#state, parsed.request);
    if (!this.#buckets.take('udp', this.#now())) return this.#onRequest?.('limited');
    this.#onRequest?.('accepted');
    this.#target.connectionRequest();
  }
}
