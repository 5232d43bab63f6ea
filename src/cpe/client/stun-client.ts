/**
 * The CPE's side of TR-069 Annex G: from its UDP connection-request socket (the binding the
 * ACS must reach), Binding Requests to the STUN server the ACS configured
 * (ManagementServer.STUNEnable, STUNServerAddress/Port, STUNUsername/Password,
 * STUNMinimumKeepAlivePeriod), read afresh on every tick so a SetParameterValues takes effect
 * at the next one.
 *
 * - Discovery: until the first answer, a request every second (a lost datagram costs a second).
 * - Keep-alive: then one every STUNMinimumKeepAlivePeriod seconds, which also holds the NAT's
 *   mapping open.
 * - Change: an answer with another address than the last one is a binding change: the
 *   device is told (`onBinding`: it sets UDPConnectionRequestAddress and informs with
 *   4 VALUE CHANGE), and the next request, sent at once, carries BINDING-CHANGE until one of
 *   those is answered.
 * Answers are read with the `stun` package; they must match the outstanding transaction and,
 * when the request was signed, carry a valid MESSAGE-INTEGRITY. Anything else is ignored.
 */
import { randomBytes } from 'node:crypto';
import stun from 'stun';
import { buildBindingRequest } from '../../cwmp/stun-message.js';

export interface StunConfig {
  enabled: boolean;
  host: string;
  port: number;
  username: string;
  password: string;
  /** Seconds between keep-alives (at least 1). */
  keepAliveSeconds: number;
}

export interface StunClientOptions {
  config: () => StunConfig;
  /** Sends from the connection-request socket (the binding must be that socket's). */
  send: (datagram: Buffer, port: number, host: string) => void;
  /** The device's own address: a public address that differs means a NAT. */
  localHost: string;
  onBinding: (binding: { address: string; natDetected: boolean }, changed: boolean) => void;
  /** Discovery retry (default 1000 ms). */
  retryMs?: number;
}

export class StunBindingClient {
  readonly #opts: StunClientOptions;
  #timer: NodeJS.Timeout | null = null;
  #pending: { id: Buffer; password: string | null; bindingChange: boolean } | null = null;
  #address: string | null = null;
  #changePending = false;
  #stopped = false;
  /** Answers ignored (wrong transaction, bad integrity, not decodable). */
  ignored = 0;

  constructor(opts: StunClientOptions) {
    this.#opts = opts;
  }

  get address(): string | null {
    return this.#address;
  }

  start(delayMs = 0): void {
    this.#stopped = false;
    this.#schedule(delayMs);
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }

  #schedule(ms: number): void {
    if (this.#stopped) return;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#tick(), ms);
    this.#timer.unref?.();
  }

  #tick(): void {
    const c = this.#opts.config();
    const retry = this.#opts.retryMs ?? 1000;
    if (!c.enabled || c.host === '' || c.port < 1) return this.#schedule(Math.max(retry, 5000));
    const id = randomBytes(12);
    const signed = c.username !== '' && c.password !== '';
    this.#pending = { id, password: signed ? c.password : null, bindingChange: this.#changePending };
    const datagram = buildBindingRequest({
      transactionId: id,
      connectionRequestBinding: true,
      bindingChange: this.#changePending,
      ...(signed ? { username: c.username, password: c.password } : {}),
    });
    try {
      this.#opts.send(datagram, c.port, c.host);
    } catch {
      // Network down: try again at the next tick.
    }
    this.#schedule(this.#address === null || this.#changePending ? retry : Math.max(1, c.keepAliveSeconds) * 1000);
  }

  /** A STUN datagram that arrived on the connection-request socket. */
  handle(datagram: Buffer): void {
    const pending = this.#pending;
    let mapped: { address: string; port: number } | undefined;
    try {
      const msg = stun.decode(datagram);
      if (pending === null || !msg.transactionId.equals(pending.id)) throw new Error('not ours');
      if (pending.password !== null && !stun.validateMessageIntegrity(msg, pending.password)) throw new Error('integrity');
      mapped = msg.getXorAddress() ?? msg.getAddress();
    } catch {
      this.ignored++;
      return;
    }
    if (mapped === undefined) {
      // An error answer (401: credentials not accepted yet); the next tick tries again.
      this.#pending = null;
      return;
    }
    this.#pending = null;
    const wasDiscovering = this.#address === null || this.#changePending;
    if (pending.bindingChange) this.#changePending = false;
    const address = `${mapped.address.includes(':') ? `[${mapped.address}]` : mapped.address}:${mapped.port}`;
    if (address === this.#address) {
      // Answered while retrying quickly (discovery, a change to report): back to the keep-alive pace.
      if (wasDiscovering && !this.#changePending) this.#schedule(Math.max(1, this.#opts.config().keepAliveSeconds) * 1000);
      return;
    }
    const changed = this.#address !== null;
    this.#address = address;
    this.#opts.onBinding({ address, natDetected: mapped.address !== this.#opts.localHost }, changed);
    if (changed) {
      // Annex G: tell the server at once, with BINDING-CHANGE.
      this.#changePending = true;
      this.#schedule(0);
    } else {
      this.#schedule(Math.max(1, this.#opts.config().keepAliveSeconds) * 1000);
    }
  }
}
