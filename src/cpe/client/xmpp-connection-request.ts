/**
 * The CPE's XMPP connection-request listener (TR-069 Annex K): the device logs into the
 * XMPP server with its own JID (ManagementServer.ConnReqJabberID) and answers the ACS's
 * `connectionRequest` IQ: a result and a session with 6 CONNECTION REQUEST when the sender
 * is in ConnReqAllowedJabberIDs and the credentials are its ConnectionRequestUsername/
 * Password; an IQ error otherwise (src/cwmp/xmpp-connection-request.ts). The same rate limit
 * as HTTP and UDP requests applies. Stanzas in other namespaces get the library's
 * service-unavailable and are counted.
 */
import { client, xml, type XmppClient } from '@xmpp/client';
import { checkXmppConnectionRequest, XMPP_CONN_REQ_NS, XMPP_REFUSAL, type XmppVerdict } from '../../cwmp/xmpp-connection-request.js';
import type { ConnectionRequestTarget } from './connection-request.js';
import { TokenBuckets, type RateLimit } from './rate-limit.js';

export type XmppRequestOutcome = 'accepted' | 'limited' | Exclude<XmppVerdict, 'accept'>;

export interface XmppListenerOptions {
  /** "xmpp://host:port". */
  service: string;
  /** The device's full JID, "user@domain/resource". */
  jid: string;
  password: string;
  rateLimit?: RateLimit;
  now?: () => number;
  onRequest?: (outcome: XmppRequestOutcome) => void;
  onError?: (err: Error) => void;
}

export interface XmppTarget extends ConnectionRequestTarget {
  /** ManagementServer.ConnReqAllowedJabberIDs, read at each request. */
  allowedJabberIds(): string;
}

export class XmppConnectionRequestListener {
  readonly #xmpp: XmppClient;
  /** Stanzas not in the connection-request namespace (ignored). */
  unknownStanzas = 0;

  private constructor(xmpp: XmppClient) {
    this.#xmpp = xmpp;
  }

  static async connect(target: XmppTarget, o: XmppListenerOptions): Promise<XmppConnectionRequestListener> {
    const [bare, resource] = o.jid.split('/', 2) as [string, string | undefined];
    const at = bare.indexOf('@');
    if (at <= 0) throw new Error(`not a JID: ${o.jid}`);
    const xmpp = client({ service: o.service, domain: bare.slice(at + 1), username: bare.slice(0, at), password: o.password, resource: resource ?? 'cwmp' });
    const l = new XmppConnectionRequestListener(xmpp);
    const buckets = new TokenBuckets(o.rateLimit);
    const now = o.now ?? Date.now;
    xmpp.on('error', (e) => o.onError?.(e));
    xmpp.iqCallee.get(XMPP_CONN_REQ_NS, 'connectionRequest', (ctx) => {
      const creds = target.connectionRequestCredentials();
      const verdict = checkXmppConnectionRequest(
        { from: ctx.stanza.attrs.from ?? '', username: ctx.element.getChildText('username'), password: ctx.element.getChildText('password') },
        { allowedJids: target.allowedJabberIds(), username: creds.username, password: creds.password },
      );
      if (verdict !== 'accept') {
        o.onRequest?.(verdict);
        const r = XMPP_REFUSAL[verdict];
        return xml('error', { type: r.type }, xml(r.condition, { xmlns: 'urn:ietf:params:xml:ns:xmpp-stanzas' }));
      }
      if (!buckets.take('xmpp', now())) {
        o.onRequest?.('limited');
        return xml('error', { type: 'wait' }, xml('resource-constraint', { xmlns: 'urn:ietf:params:xml:ns:xmpp-stanzas' }));
      }
      o.onRequest?.('accepted');
      target.connectionRequest();
      return {};
    });
    // Reached only by what no handler above took.
    xmpp.middleware.use((ctx, next) => {
      const s = ctx.stanza;
      // Stream-management nonzas and answers to our own IQs are not stanzas for us to judge.
      if ((s.name === 'iq' && (s.attrs.type === 'get' || s.attrs.type === 'set')) || s.name === 'message') l.unknownStanzas++;
      return next();
    });
    await xmpp.start();
    return l;
  }

  close(): Promise<void> {
    return this.#xmpp.stop().catch(() => undefined);
  }
}
