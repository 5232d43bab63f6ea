/**
 * Which connection-request paths to try for a device, in which order (TR-069 3.2.2 HTTP,
 * Annex G UDP through the STUN binding, Annex K XMPP), from what the ACS knows of it. Pure.
 *
 * - A device behind a NAT (the STUN server saw another address than its own) cannot be
 *   reached on its ConnectionRequestURL from outside: UDP and XMPP first, HTTP last.
 * - Otherwise HTTP first: it is the only path with an answer from the device itself.
 * - UDP to an address the device only reported (no STUN binding seen) goes after XMPP: UDP
 *   has no answer, so a "sent" to a private address would end the search without reaching
 *   anything, while an XMPP answer is proof.
 * - The path that worked last time goes first among the paths the device has, unless the
 *   STUN binding is newer than that success (fresher knowledge: the order above holds).
 */
import type { ReachPath } from '../store/reach.js';

export interface PathFacts {
  url: string | null;
  /** "host:port": the STUN binding when there is one, else UDPConnectionRequestAddress. */
  udpAddress: string | null;
  /** The UDP address is the binding the STUN server saw (not only what the device reported). */
  udpFromBinding?: boolean;
  jid: string | null;
  natDetected: boolean | null;
  lastPath: ReachPath | null;
  /** The binding was learnt (or changed) after the last success. */
  bindingNewer?: boolean;
}

export function choosePaths(f: PathFacts, enabled: { udp: boolean; xmpp: boolean } = { udp: true, xmpp: true }): ReachPath[] {
  const have: Record<ReachPath, boolean> = {
    http: f.url !== null,
    udp: enabled.udp && f.udpAddress !== null,
    xmpp: enabled.xmpp && f.jid !== null,
  };
  const udpKnown = f.udpFromBinding === true;
  const order: ReachPath[] =
    f.natDetected === true ? (udpKnown ? ['udp', 'xmpp', 'http'] : ['xmpp', 'udp', 'http']) : udpKnown ? ['http', 'udp', 'xmpp'] : ['http', 'xmpp', 'udp'];
  if (f.lastPath !== null && f.bindingNewer !== true) order.sort((a, b) => (a === f.lastPath ? -1 : b === f.lastPath ? 1 : 0));
  return order.filter((p) => have[p]);
}
