/**
 * XMPP connection requests (TR-069 Annex K): the ACS sends the CPE's JID an IQ "get"
 * holding
 *
 *   <connectionRequest xmlns="urn:broadband-forum-org:cwmp:xmppConnReq-1-0">
 *     <username>ConnectionRequestUsername</username><password>ConnectionRequestPassword</password>
 *   </connectionRequest>
 *
 * and the CPE answers an empty IQ "result" and opens a session with 6 CONNECTION REQUEST, or
 * an IQ "error": `cancel`/`service-unavailable` when the sender's JID is not in
 * ConnReqAllowedJabberIDs, `auth`/`not-authorized` when the credentials are wrong
 * (cwmp-xmppConnReq-1-0.xsd; Annex K.2). The XMPP stream is over TLS in the field, so the
 * password travelling in the stanza is as protected as the stream.
 *
 * Pure: the checks and the error conditions; the XML elements are @xmpp/client's, in
 * src/reach/xmpp.ts (ACS) and src/cpe/client/xmpp-connection-request.ts (CPE).
 */
import { timingSafeEqual } from 'node:crypto';

export const XMPP_CONN_REQ_NS = 'urn:broadband-forum-org:cwmp:xmppConnReq-1-0';
export const XMPP_STANZAS_NS = 'urn:ietf:params:xml:ns:xmpp-stanzas';

export type XmppVerdict = 'accept' | 'not-allowed' | 'bad-credentials' | 'malformed';

/** The IQ error each refusal is answered with (type, defined condition). */
export const XMPP_REFUSAL: Record<Exclude<XmppVerdict, 'accept'>, { type: 'cancel' | 'auth' | 'modify'; condition: string }> = {
  'not-allowed': { type: 'cancel', condition: 'service-unavailable' },
  'bad-credentials': { type: 'auth', condition: 'not-authorized' },
  malformed: { type: 'modify', condition: 'bad-request' },
};

/** Longest username/password read from a request (TR-181 gives them 256 characters). */
const MAX_FIELD = 256;

/** The bare JID ("user@domain") of a full one ("user@domain/resource"), lower-cased as JIDs compare. */
export function bareJid(jid: string): string {
  const slash = jid.indexOf('/');
  return (slash < 0 ? jid : jid.slice(0, slash)).toLowerCase();
}

/**
 * ConnReqAllowedJabberIDs: a comma-separated list of JIDs; a bare JID allows every resource
 * of it, a full JID only itself. An empty list allows any sender.
 */
export function jidAllowed(from: string, allowed: string): boolean {
  const list = allowed.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (list.length === 0) return true;
  const full = from.toLowerCase();
  const bare = bareJid(from);
  return list.some((a) => (a.includes('/') ? a.toLowerCase() === full : a.toLowerCase() === bare));
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Whether the CPE takes a request from `from` carrying these credentials. */
export function checkXmppConnectionRequest(
  req: { from: string; username: string | null; password: string | null },
  cpe: { allowedJids: string; username: string; password: string },
): XmppVerdict {
  if (req.username === null || req.password === null || req.username.length > MAX_FIELD || req.password.length > MAX_FIELD) return 'malformed';
  if (!jidAllowed(req.from, cpe.allowedJids)) return 'not-allowed';
  // Both compared, so the time says nothing about which one was wrong.
  const u = same(req.username, cpe.username);
  const p = same(req.password, cpe.password);
  return u && p ? 'accept' : 'bad-credentials';
}
