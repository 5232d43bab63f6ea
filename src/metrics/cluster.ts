/**
 * /metrics across the processes of `flotilla serve --workers N` (node:cluster). The scrape
 * lands on whichever worker the kernel hands the connection to; that worker asks the primary,
 * the primary asks every worker for its registry (prom-client's AggregatorRegistry, over the
 * IPC channel) and answers with the sum, so any scrape shows the whole deployment: counters
 * and histograms are totals, gauges are sums (sessions in progress across workers), the
 * process figures follow prom-client's own aggregation (CPU and memory summed, event-loop lag
 * averaged). Processes on other hosts (PostgreSQL deployments behind a balancer) are scraped
 * one by one, as Prometheus does with any fleet of targets.
 */
import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry } from 'prom-client';
import { registry } from './registry.js';

const REQ = 'flotilla:metrics-req';
const RES = 'flotilla:metrics-res';
const TIMEOUT_MS = 5_000;

interface MetricsRequest {
  type: typeof REQ;
  id: number;
}
interface MetricsResponse {
  type: typeof RES;
  id: number;
  text?: string;
  error?: string;
}

const isRequest = (m: unknown): m is MetricsRequest => typeof m === 'object' && m !== null && (m as { type?: unknown }).type === REQ && typeof (m as { id?: unknown }).id === 'number';
const isResponse = (m: unknown): m is MetricsResponse => typeof m === 'object' && m !== null && (m as { type?: unknown }).type === RES && typeof (m as { id?: unknown }).id === 'number';

let workerReady = false;
/** In a worker: answer the primary's collection requests with this registry. */
function joinCluster(): void {
  if (workerReady || !cluster.isWorker) return;
  workerReady = true;
  AggregatorRegistry.setRegistries([registry]);
  // Constructing one installs prom-client's listener for the primary's requests.
  new AggregatorRegistry();
}

let primaryReady = false;
/** In the primary: answer workers that were scraped with the sum over every worker. */
export function aggregateForWorkers(): void {
  if (primaryReady || !cluster.isPrimary) return;
  primaryReady = true;
  const aggregator = new AggregatorRegistry();
  cluster.on('message', (worker: Worker, message: unknown) => {
    if (!isRequest(message)) return;
    aggregator.clusterMetrics().then(
      (text) => reply(worker, { type: RES, id: message.id, text }),
      (e: unknown) => reply(worker, { type: RES, id: message.id, error: e instanceof Error ? e.message : String(e) }),
    );
  });
}

function reply(worker: Worker, message: MetricsResponse): void {
  if (worker.isConnected()) worker.send(message, undefined, () => undefined);
}

let nextId = 1;
const pending = new Map<number, { resolve: (text: string) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
let listening = false;

function listen(): void {
  if (listening) return;
  listening = true;
  process.on('message', (m: unknown) => {
    if (!isResponse(m)) return;
    const p = pending.get(m.id);
    if (p === undefined) return;
    pending.delete(m.id);
    clearTimeout(p.timer);
    if (m.error !== undefined || m.text === undefined) p.reject(new Error(m.error ?? 'no metrics'));
    else p.resolve(m.text);
  });
}

/** Whether this process is one of several (its /metrics answer is the cluster's). */
export const clustered = (): boolean => cluster.isWorker && process.connected;

/**
 * The text for GET /metrics: this process's registry, or in a worker the whole cluster's.
 * A primary that does not answer (stopping) leaves this worker's own figures, labelled so.
 */
export async function metricsText(): Promise<string> {
  if (!clustered() || process.send === undefined) return registry.metrics();
  joinCluster();
  listen();
  const id = nextId++;
  try {
    return await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error('the cluster primary did not answer'));
      }, TIMEOUT_MS);
      pending.set(id, { resolve, reject, timer });
      process.send!({ type: REQ, id } satisfies MetricsRequest, undefined, {}, (err) => {
        if (err === null) return;
        pending.delete(id);
        clearTimeout(timer);
        reject(err);
      });
    });
  } catch {
    return `# flotilla: the cluster primary did not answer; these are worker ${process.pid}'s figures only\n${await registry.metrics()}`;
  }
}

/** Workers must be listening before the first scrape reaches any of them. */
export function prepareClusterMetrics(): void {
  joinCluster();
}

export const contentType = registry.contentType;
