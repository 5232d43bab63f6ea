/**
 * The STUN server built into `flotilla serve` (TR-069 Annex G, RFC 5389 Binding): a UDP
 * socket that answers Binding Requests with the source address it saw (XOR-MAPPED-ADDRESS,
 * and MAPPED-ADDRESS for old clients), and learns where each device's connection-request
 * binding is.
 *
 * - A request with USERNAME must carry a MESSAGE-INTEGRITY made with that device's STUN
 *   password (stun-credentials.ts: derived, no store lookup); otherwise it gets 401 and
 *   teaches nothing. The answer is signed with the same password.
 * - A signed request with CONNECTION-REQUEST-BINDING is the device's connection-request
 *   binding: when it is new to this process, differs from the last one seen, or the CPE
 *   says BINDING-CHANGE, it is written to the reach store (every process reads it there).
 *   Keep-alives that show the same binding write nothing, except once per `refreshMs` (an
 *   hour): that keeps `seenAt` honest, so a binding the device stopped keeping goes stale.
 * - Anything else that is not a well-formed Binding Request is dropped and counted; a
 *   hostile sender gets little to reflect (answers stay under 100 bytes, no larger than a few
 *   times the request, as with any RFC 5389 server; errors are never sent to malformed input).
 */
import dgram from 'node:dgram';
import type { AddressInfo } from 'node:net';
import stun from 'stun';
import type { ReachStore, StunBinding } from '../store/reach.js';
import type { StunCredentials } from './stun-credentials.js';
import { BINDING_ERROR, BINDING_SUCCESS, integrityMatches, parseBindingRequest, type BindingRequest } from '../cwmp/stun-message.js';

export interface StunServerOptions {
  host?: string;
  /** 0 picks a free one (tests). */
  port: number;
  credentials: StunCredentials;
  /** Where learnt bindings go; without it they are only reported to `onBinding`. */
  reach?: ReachStore;
  /** Whether the device is behind a NAT, given the public host it came from (asked on a change only). */
  natDetected?: (deviceId: string, publicHost: string) => Promise<boolean>;
  /** A device's binding is new to this process or changed (after it is stored). */
  onBinding?: (deviceId: string, binding: StunBinding, reportedChange: boolean) => void;
  now?: () => number;
  /** Rewrite an unchanged binding this often (default 1 h), so the store knows it is still kept. */
  refreshMs?: number;
  /** Told about store errors (the answer has gone out anyway). */
  onError?: (err: Error) => void;
}

export interface StunCounters {
  answered: number;
  /** Not STUN, not a Binding Request, bad framing or fingerprint. */
  malformed: number;
  /** USERNAME without a valid MESSAGE-INTEGRITY. */
  badIntegrity: number;
  /** Bindings written (new or changed). */
  bindingsLearnt: number;
  /** Requests that carried BINDING-CHANGE. */
  bindingChanges: number;
}

/** Devices remembered per process before the map is started afresh (each then costs one write again). */
const MAX_REMEMBERED = 1_000_000;

export class StunServer {
  readonly #socket: dgram.Socket;
  readonly #opts: StunServerOptions;
  readonly #now: () => number;
  /** deviceId → what was last written and when, so keep-alives cost nothing. */
  readonly #known = new Map<string, { key: string; at: number; natDetected: boolean | null }>();
  readonly counters: StunCounters = { answered: 0, malformed: 0, badIntegrity: 0, bindingsLearnt: 0, bindingChanges: 0 };

  private constructor(socket: dgram.Socket, opts: StunServerOptions) {
    this.#socket = socket;
    this.#opts = opts;
    this.#now = opts.now ?? Date.now;
  }

  static async listen(opts: StunServerOptions): Promise<StunServer> {
    const host = opts.host ?? '0.0.0.0';
    const socket = dgram.createSocket({ type: host.includes(':') ? 'udp6' : 'udp4', reuseAddr: false });
    const server = new StunServer(socket, opts);
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(opts.port, host, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    // ICMP port-unreachable and friends must not take the server down.
    socket.on('error', () => undefined);
    socket.on('message', (msg, rinfo) => server.#handle(msg, rinfo));
    return server;
  }

  get port(): number {
    return (this.#socket.address() as AddressInfo).port;
  }

  /**
   * Send a datagram from the STUN port: UDP connection requests go out this way, because a
   * NAT that filters by address and port lets in only what comes from where the binding went.
   */
  sendFrom(datagram: Buffer, port: number, host: string): Promise<void> {
    return new Promise((resolve, reject) => this.#socket.send(datagram, port, host, (err) => (err ? reject(err) : resolve())));
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#socket.close(() => resolve()));
  }

  #handle(msg: Buffer, from: dgram.RemoteInfo): void {
    const parsed = parseBindingRequest(msg);
    if (!parsed.ok) {
      this.counters.malformed++;
      return;
    }
    const req = parsed.request;
    let password: string | null = null;
    if (req.username !== null) {
      password = this.#opts.credentials.password(req.username);
      if (!integrityMatches(req, password)) {
        this.counters.badIntegrity++;
        this.#send(this.#error(req, 401, 'Unauthorized'), from);
        return;
      }
    }
    const res = stun.createMessage(BINDING_SUCCESS, req.transactionId);
    res.addXorAddress(from.address, from.port);
    res.addAddress(from.address, from.port);
    if (password !== null) res.addMessageIntegrity(password);
    res.addFingerprint();
    this.#send(stun.encode(res), from);
    this.counters.answered++;
    if (req.bindingChange) this.counters.bindingChanges++;
    if (password !== null && req.connectionRequestBinding) this.#learn(this.#opts.credentials.deviceId(req.username!), from, req);
  }

  #error(req: BindingRequest, code: number, reason: string): Buffer {
    const res = stun.createMessage(BINDING_ERROR, req.transactionId);
    res.addError(code, reason);
    res.addFingerprint();
    return stun.encode(res);
  }

  #send(buf: Buffer, to: dgram.RemoteInfo): void {
    this.#socket.send(buf, to.port, to.address, () => undefined);
  }

  #learn(deviceId: string, from: dgram.RemoteInfo, req: BindingRequest): void {
    const key = `${from.address}:${from.port}`;
    const now = this.#now();
    const known = this.#known.get(deviceId);
    const same = known !== undefined && known.key === key && !req.bindingChange;
    if (same && now - known.at < (this.#opts.refreshMs ?? 3_600_000)) return;
    if (this.#known.size >= MAX_REMEMBERED) this.#known.clear();
    const entry = { key, at: now, natDetected: same ? known.natDetected : null };
    this.#known.set(deviceId, entry);
    void this.#store(deviceId, from.address, from.port, req.bindingChange, entry).catch((e: unknown) => {
      // Not written: forget it, so the next keep-alive tries again.
      this.#known.delete(deviceId);
      this.#opts.onError?.(e instanceof Error ? e : new Error(String(e)));
    });
  }

  async #store(deviceId: string, host: string, port: number, reportedChange: boolean, entry: { natDetected: boolean | null }): Promise<void> {
    // A refresh of the same binding reuses what was found out about it: no read.
    const natDetected = entry.natDetected ?? (this.#opts.natDetected === undefined ? true : await this.#opts.natDetected(deviceId, host));
    entry.natDetected = natDetected;
    const binding: StunBinding = { host, port, natDetected };
    await this.#opts.reach?.recordBinding(deviceId, binding, this.#now());
    this.counters.bindingsLearnt++;
    this.#opts.onBinding?.(deviceId, binding, reportedChange);
  }
}
