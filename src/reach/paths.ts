/**
 * One connection request over the paths a device has, in the order path-choice.ts gives:
 * the first that gets through ends it (HTTP 2xx, the UDP datagrams sent, the XMPP IQ
 * answered with a result); otherwise the last failure is the outcome. Every outcome names
 * its path. The caller has already taken the rate-limit token: one token covers every path
 * tried for one request, so no path is a way around the limits.
 */
import type { Credentials } from '../auth/client.js';
import type { ReachPath } from '../store/reach.js';
import type { ConnectionRequestOutcome } from '../tasks/types.js';
import { choosePaths, type PathFacts } from './path-choice.js';

export interface PathResult {
  outcome: ConnectionRequestOutcome;
  status?: number;
  detail?: string;
  path?: ReachPath;
}

export interface PathSenders {
  http: (url: string, credentials: Credentials | null) => Promise<PathResult>;
  udp: ((address: string, credentials: Credentials) => Promise<PathResult>) | null;
  xmpp: ((jid: string, credentials: Credentials | null) => Promise<PathResult>) | null;
}

export const reached = (r: PathResult): boolean => r.outcome === 'answered' || r.outcome === 'udp-sent';

export async function sendOverPaths(facts: PathFacts, credentials: Credentials | null, senders: PathSenders): Promise<PathResult> {
  const paths = choosePaths(facts, { udp: senders.udp !== null, xmpp: senders.xmpp !== null });
  if (paths.length === 0) return { outcome: 'no-url', detail: 'no ConnectionRequestURL, STUN binding, UDPConnectionRequestAddress or JID known' };
  const failures: string[] = [];
  let last: PathResult | null = null;
  for (const path of paths) {
    let r: PathResult;
    if (path === 'http') r = await senders.http(facts.url!, credentials);
    else if (path === 'udp') {
      // The datagram is signed with the device's credentials: without them it would be ignored.
      r = credentials === null ? { outcome: 'auth-failed', detail: 'no credentials to sign a UDP connection request' } : await senders.udp!(facts.udpAddress!, credentials);
    } else r = await senders.xmpp!(facts.jid!, credentials);
    r = { ...r, path };
    if (reached(r)) return failures.length === 0 ? r : { ...r, detail: `${failures.join('; ')}; ${r.detail ?? r.outcome}` };
    failures.push(`${path.toUpperCase()} ${r.detail ?? r.outcome}`);
    last = r;
  }
  // One path: its own detail; several: what each said.
  return failures.length === 1 ? last! : { ...last!, detail: failures.join('; ') };
}
