/**
 * What a finished session adds to the process's metrics (src/metrics/registry.ts): its
 * outcome and duration, its Inform's events, the RPCs the ACS sent and how they ended.
 * Counted in memory when the session ends; nothing here touches the store.
 */
import type { SessionSummary } from '../session/driver.js';
import { eventLabel, faultLabel, informs, outcomeLabel, rpcs, sessionDuration, sessions } from '../metrics/registry.js';

export function recordSessionEnd(summary: SessionSummary | null): void {
  // No summary: the commit threw (the CPE was answered with an error and will retry).
  if (summary === null) {
    sessions.inc({ outcome: 'failed' });
    return;
  }
  sessions.inc({ outcome: outcomeLabel(summary.outcome) });
  if (!summary.committed) return;
  sessionDuration.observe(Math.max(0, summary.endedAt - summary.startedAt) / 1000);
  for (const code of summary.events) informs.inc({ event: eventLabel(code) });
  for (const rpc of summary.rpcs) {
    rpcs.inc({ method: rpc.method, outcome: rpc.outcome, fault_code: rpc.outcome === 'fault' ? faultLabel(rpc.faultCode) : '' });
  }
}
