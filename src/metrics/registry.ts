/**
 * The ACS's own figures, in one prom-client registry per process (GET /metrics shows it,
 * src/nbi/metrics.ts). Every metric here is a counter, gauge or histogram updated as things
 * happen (a session ends, an RPC is answered, a store call returns): a scrape reads memory and
 * never scans the store, so it stays cheap on a million-device store.
 *
 * Labels take their values from small closed sets only. Anything a CPE says (event codes,
 * fault codes, RPC names it sends) is folded into a bounded vocabulary first, so a hostile
 * device cannot grow the number of series (label()).
 *
 * With `--workers` every worker keeps its own registry and the primary sums them on request
 * (./cluster.ts): counters and histograms are totals over every process.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export const registry = new Registry();

let processMetrics = false;
/** Process figures (CPU, memory, handles, GC, event-loop lag): once per process, by whoever serves /metrics. */
export function enableProcessMetrics(): void {
  if (processMetrics) return;
  processMetrics = true;
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 20 });
}

const SESSION_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];
const STORE_SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

export const sessions = new Counter({
  name: 'flotilla_cwmp_sessions_total',
  help: 'CWMP sessions that ended, by outcome (ok, timeout, superseded, protocol-error, shutdown, busy, refused, failed)',
  labelNames: ['outcome'] as const,
  registers: [registry],
});
export const sessionDuration = new Histogram({
  name: 'flotilla_cwmp_session_duration_seconds',
  help: 'From the Inform to the end of the session (committed sessions)',
  buckets: SESSION_SECONDS,
  registers: [registry],
});
export const activeSessions = new Gauge({
  name: 'flotilla_cwmp_sessions_active',
  help: 'CWMP sessions in progress',
  registers: [registry],
});
export const informs = new Counter({
  name: 'flotilla_cwmp_informs_total',
  help: 'Inform events received in committed sessions, by event code (vendor M X_ codes as "vendor", unknown ones as "other")',
  labelNames: ['event'] as const,
  registers: [registry],
});
export const rpcs = new Counter({
  name: 'flotilla_cwmp_rpcs_total',
  help: 'RPCs the ACS sent, by method and outcome (done or fault) with the CPE fault code',
  labelNames: ['method', 'outcome', 'fault_code'] as const,
  registers: [registry],
});
export const cwmpRequests = new Counter({
  name: 'flotilla_cwmp_http_requests_total',
  help: 'HTTP requests on the CWMP port, by what became of them (session message, challenge, refused body, malformed, no session)',
  labelNames: ['result'] as const,
  registers: [registry],
});
export const listingsRecalled = new Counter({
  name: 'flotilla_cwmp_listings_recalled_total',
  help: 'GetParameterNames and GetParameterValues answers read from the answer memo (a remembered answer of the same frame; only the structs that differ parsed)',
  registers: [registry],
});
export const tasks = new Counter({
  name: 'flotilla_tasks_total',
  help: 'Task outcomes by type and state (done, faulted, expired) and tasks queued (state "queued")',
  labelNames: ['type', 'state'] as const,
  registers: [registry],
});
export const connectionRequests = new Counter({
  name: 'flotilla_connection_requests_total',
  help: 'Connection requests by path (http, udp, xmpp, none) and outcome',
  labelNames: ['path', 'outcome'] as const,
  registers: [registry],
});
export const storeCalls = new Histogram({
  name: 'flotilla_store_call_duration_seconds',
  help: 'Store round trips (one interface call is one transaction or statement) by method, with their latency',
  labelNames: ['method'] as const,
  buckets: STORE_SECONDS,
  registers: [registry],
});
export const storeErrors = new Counter({
  name: 'flotilla_store_errors_total',
  help: 'Store calls that failed, by method',
  labelNames: ['method'] as const,
  registers: [registry],
});
export const events = new Counter({
  name: 'flotilla_events_published_total',
  help: 'Events published by this process, by type (relayed ones are counted where they were published)',
  labelNames: ['type'] as const,
  registers: [registry],
});
export const webhookDeliveries = new Counter({
  name: 'flotilla_webhook_deliveries_total',
  help: 'Webhook POST outcomes: delivered, retried (will be tried again), failed (given up), dropped (could not be queued)',
  labelNames: ['outcome'] as const,
  registers: [registry],
});
export const webhookQueued = new Counter({
  name: 'flotilla_webhook_deliveries_queued_total',
  help: 'Webhook deliveries queued (one per event and matching webhook); backlog = queued - delivered - failed - dropped',
  registers: [registry],
});
export const webhookInFlight = new Gauge({
  name: 'flotilla_webhook_deliveries_in_flight',
  help: 'Webhook POSTs under way',
  registers: [registry],
});

/** Inform event codes worth a series of their own (TR-069 Table 7); vendor and unknown codes are folded. */
const EVENT_CODES = new Set([
  '0 BOOTSTRAP', '1 BOOT', '2 PERIODIC', '3 SCHEDULED', '4 VALUE CHANGE', '5 KICKED', '6 CONNECTION REQUEST',
  '7 TRANSFER COMPLETE', '8 DIAGNOSTICS COMPLETE', '9 REQUEST DOWNLOAD', '10 AUTONOMOUS TRANSFER COMPLETE',
  '11 DU STATE CHANGE COMPLETE', '12 AUTONOMOUS DU STATE CHANGE COMPLETE', '13 WAKEUP', '14 HEARTBEAT',
  'M Reboot', 'M ScheduleInform', 'M Download', 'M ScheduleDownload', 'M Upload', 'M ChangeDUState',
]);

export function eventLabel(code: string): string {
  const c = code.trim();
  if (EVENT_CODES.has(c)) return c;
  return c.startsWith('M X_') || c.startsWith('X ') ? 'vendor' : 'other';
}

/** CWMP fault codes are 8000-8999 (ACS) and 9000-9899 (CPE); vendor ranges fold into "vendor". */
export function faultLabel(code: number | undefined): string {
  if (code === undefined || !Number.isInteger(code)) return '';
  if (code >= 8000 && code <= 9099) return String(code);
  return code >= 9800 && code <= 9899 ? 'vendor' : 'other';
}

/** "protocol-error: body too large", "timeout after protocol-error: …" → their first word. */
export function outcomeLabel(outcome: string): string {
  const m = /^[a-z-]+/.exec(outcome);
  return m === null ? 'other' : m[0];
}
