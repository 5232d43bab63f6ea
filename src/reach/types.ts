/**
 * What every connection-request path (HTTP, UDP, and later STUN-assisted UDP and XMPP)
 * reports: one outcome vocabulary, so the requester can choose and fall back between them
 * and the task records the outcome whatever path it took. The paths import this module, never
 * each other.
 */
import type { ConnectionRequestOutcome } from '../tasks/types.js';

export type { ConnectionRequestOutcome };

export interface ConnectionRequestResult {
  outcome: ConnectionRequestOutcome;
  status?: number;
  detail?: string;
  /** Which path the outcome is of (./paths.ts). */
  path?: 'http' | 'udp' | 'xmpp';
}
