/**
 * Which connection-request paths to try for a device, in which order (TR-069 3.2.2 HTTP,
 * Annex G UDP through the STUN binding, Annex K XMPP), from what the ACS knows of it. Pure.
 *
 * - A device behind a NAT (the STUN server saw another address than its own) cannot be
 *   reached on its ConnectionRequestURL from outside: UDP and XMPP first, HTTP last.
 * - Otherwise HTTP first: it is the only path with an answer from the device itself.
 * - The path that worked last time goes first among the paths the device has.
 */
import type { ReachPath } from '../store/reach.js';

export interface PathFacts {
  url: string | null;
  /** "host:port": the STUN binding when there is one, else UDPConnectionRequestAddress. */
  udpAddress: string | null;
  jid: string | null;
  natDetected: boolean | null;
  lastPath: ReachPath | null;
}

export function choosePaths(f: PathFacts, enabled: { udp: boolean; xmpp: boolean } = { udp: true, xmpp: true }): ReachPath[] {
  const have: Record<ReachPath, boolean> = {
    http: f.url !== null,
    udp: enabled.udp && f.udpAddress !== null,
    xmpp: enabled.xmpp && f.jid !== null,
  };
  const order: ReachPath[] = f.natDetected === true ? ['udp', 'xmpp', 'http'] : ['http', 'udp', 'xmpp'];
  if (f.lastPath !== null) order.sort((a, b) => (a === f.lastPath ? -1 : b === f.lastPath ? 1 : 0));
  return order.filter((p) => have[p]);
}
