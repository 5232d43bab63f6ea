/**
 * The ACS's XMPP account (TR-069 Annex K): it logs into the operator's XMPP server with
 * @xmpp/client, stays online (the library reconnects), and sends connection requests as IQ
 * stanzas to the JIDs devices report (ManagementServer.ConnReqJabberID). The stanza is
 * built from the pure rules in src/cwmp/xmpp-connection-request.ts.
 *
 * Outcomes: an IQ result is 'answered'; not-authorized is 'auth-failed'; service-unavailable
 * or forbidden (our JID not allowed) is 'refused'; recipient-unavailable, item-not-found,
 * no answer in time, or the ACS offline is 'unreachable'. Stanzas the ACS is not waiting for
 * (requests in other namespaces, messages) are not acted on, only counted.
 */
import { client, xml, type Element, type XmppClient } from '@xmpp/client';
import { XMPP_CONN_REQ_NS } from '../cwmp/xmpp-connection-request.js';
import type { Credentials } from '../auth/client.js';
import type { PathResult } from './paths.js';

export interface XmppAcsOptions {
  /** "xmpp://host:5222" (STARTTLS when the server offers it) or "xmpps://host:5223". */
  service: string;
  /** The ACS's JID, "acs@example.net" (optionally /resource). */
  jid: string;
  password: string;
  /** Per request (default 5000 ms). */
  timeoutMs?: number;
  onError?: (err: Error) => void;
}

export interface XmppCounters {
  sent: number;
  answered: number;
  refused: number;
  /** Stanzas in namespaces (or of kinds) the ACS does not handle: ignored. */
  unknown: number;
}

const TERMINAL_UNREACHABLE = new Set(['recipient-unavailable', 'item-not-found', 'remote-server-not-found', 'remote-server-timeout']);

export class XmppConnectionRequester {
  readonly #xmpp: XmppClient;
  readonly #timeoutMs: number;
  #online = false;
  readonly counters: XmppCounters = { sent: 0, answered: 0, refused: 0, unknown: 0 };

  private constructor(xmpp: XmppClient, timeoutMs: number) {
    this.#xmpp = xmpp;
    this.#timeoutMs = timeoutMs;
  }

  /** Log in; resolves once online (rejects if the first login fails). */
  static async connect(o: XmppAcsOptions): Promise<XmppConnectionRequester> {
    const [bare, resource] = o.jid.split('/', 2) as [string, string | undefined];
    const at = bare.indexOf('@');
    if (at <= 0) throw new Error('the ACS JID must be user@domain');
    const xmpp = client({ service: o.service, domain: bare.slice(at + 1), username: bare.slice(0, at), password: o.password, resource: resource ?? 'acs' });
    const r = new XmppConnectionRequester(xmpp, o.timeoutMs ?? 5_000);
    xmpp.on('error', (e) => o.onError?.(e));
    xmpp.on('online', () => (r.#online = true));
    xmpp.on('offline', () => (r.#online = false));
    xmpp.on('status', (s) => {
      if (s !== 'online') r.#online = false;
    });
    xmpp.middleware.use((ctx, next) => {
      const s = ctx.stanza;
      // Our own IQ answers go on to the caller; requests and messages addressed to us are not ours to act on.
      if ((s.name === 'iq' && (s.attrs.type === 'get' || s.attrs.type === 'set')) || s.name === 'message') r.counters.unknown++;
      return next();
    });
    await xmpp.start();
    r.#online = true;
    return r;
  }

  get online(): boolean {
    return this.#online;
  }

  async connectionRequest(jid: string, credentials: Credentials | null): Promise<PathResult> {
    if (!this.#online) return { outcome: 'unreachable', detail: 'the ACS is not connected to its XMPP server' };
    if (credentials === null) return { outcome: 'auth-failed', detail: 'no connection-request credentials known' };
    const iq = xml(
      'iq',
      { type: 'get', to: jid },
      xml('connectionRequest', { xmlns: XMPP_CONN_REQ_NS }, xml('username', {}, credentials.username), xml('password', {}, credentials.password)),
    );
    this.counters.sent++;
    try {
      await this.#xmpp.iqCaller.request(iq, this.#timeoutMs);
      this.counters.answered++;
      return { outcome: 'answered', detail: 'IQ result' };
    } catch (e) {
      const condition = (e as { condition?: string }).condition;
      if (condition === undefined) return { outcome: 'unreachable', detail: (e as { name?: string }).name === 'TimeoutError' ? `no answer in ${this.#timeoutMs} ms` : 'error' };
      this.counters.refused++;
      if (condition === 'not-authorized') return { outcome: 'auth-failed', detail: 'not-authorized' };
      if (TERMINAL_UNREACHABLE.has(condition)) return { outcome: 'unreachable', detail: condition };
      return { outcome: 'refused', detail: condition };
    }
  }

  async close(): Promise<void> {
    this.#online = false;
    await this.#xmpp.stop().catch(() => undefined);
  }
}

export type { Element };
