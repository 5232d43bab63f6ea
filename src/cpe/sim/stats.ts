/**
 * Fleet statistics: counters fed by the runtime's observer, and the JSON summary a run
 * prints at the end. Session latencies go into fixed log-spaced buckets, so percentiles
 * cost a few hundred bytes however long the run.
 */
import type { CpeObserver, SessionReport, TransferReport } from '../client/runtime.js';

/** Bucket upper bounds in ms: 1, 1.25, 1.6 … ~10 minutes (×1.25 steps). */
const BOUNDS: number[] = [];
for (let b = 1; b < 600_000; b *= 1.25) BOUNDS.push(b);

class Histogram {
  readonly #counts = new Uint32Array(BOUNDS.length + 1);
  #n = 0;
  #max = 0;

  add(ms: number): void {
    let lo = 0;
    let hi = BOUNDS.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (ms <= BOUNDS[mid]!) hi = mid;
      else lo = mid + 1;
    }
    this.#counts[lo]!++;
    this.#n++;
    if (ms > this.#max) this.#max = ms;
  }

  percentile(p: number): number {
    if (this.#n === 0) return 0;
    const want = Math.ceil(this.#n * p);
    let seen = 0;
    for (let i = 0; i < this.#counts.length; i++) {
      seen += this.#counts[i]!;
      if (seen >= want) return Math.min(Math.round(BOUNDS[i] ?? this.#max), this.#max);
    }
    return this.#max;
  }

  get max(): number {
    return this.#max;
  }
}

export interface Summary {
  cpes: number;
  sessions: number;
  failures: number;
  /** CWMP faults the CPEs answered to ACS requests. */
  faults: number;
  durationMs: number;
  sessionsPerSecond: number;
  rpcs: Record<string, number>;
  events: Record<string, number>;
  errors: Record<string, number>;
  latencyMs: { p50: number; p95: number; p99: number; max: number };
  transfers: { ok: number; failed: number; faultCodes: Record<string, number> };
  diagnostics: number;
  /** 'unauthorized' includes the 401 that opens every Digest exchange. */
  connectionRequests: { accepted: number; unauthorized: number; limited: number };
  memory: { rssBytes: number; heapUsedBytes: number };
}

function bump(map: Record<string, number>, key: string, by = 1): void {
  map[key] = (map[key] ?? 0) + by;
}

export class FleetStats implements CpeObserver {
  sessions = 0;
  failures = 0;
  faults = 0;
  diagnostics = 0;
  readonly rpcs: Record<string, number> = {};
  readonly events: Record<string, number> = {};
  readonly errors: Record<string, number> = {};
  /** Called once per kind of failure, at its first occurrence (the CLI warns on stderr). */
  onFirstError?: (kind: string, report: SessionReport) => void;
  readonly transfers = { ok: 0, failed: 0, faultCodes: {} as Record<string, number> };
  readonly connectionRequests = { accepted: 0, unauthorized: 0, limited: 0 };
  readonly #latency = new Histogram();
  /** Called after every session (the fleet checks its --sessions bound here). */
  onSession: (() => void) | null = null;

  sessionEnded(r: SessionReport): void {
    this.sessions++;
    this.#latency.add(r.durationMs);
    if (!r.ok) {
      this.failures++;
      // "connect: ECONNREFUSED …" → "connect"; keeps the error table small.
      const kind = (r.error ?? 'unknown').split(/[: ]/)[0] ?? 'unknown';
      bump(this.errors, kind);
      // The first failure of each kind is told at once: a wrong password must not run silently.
      if (this.errors[kind] === 1) this.onFirstError?.(kind, r);
    }
    for (const e of r.events) bump(this.events, e.startsWith('M ') ? e.split(' ').slice(0, 2).join(' ') : e);
    for (const rpc of r.rpcs) {
      bump(this.rpcs, rpc.method);
      if (rpc.faultCode !== 0) this.faults++;
    }
    this.onSession?.();
  }

  transferDone(r: TransferReport): void {
    if (r.faultCode === 0) this.transfers.ok++;
    else {
      this.transfers.failed++;
      bump(this.transfers.faultCodes, String(r.faultCode));
    }
  }

  diagnosticsDone(): void {
    this.diagnostics++;
  }

  connectionRequest(_serial: string, outcome: 'accepted' | 'unauthorized' | 'limited'): void {
    this.connectionRequests[outcome]++;
  }

  summary(cpes: number, durationMs: number): Summary {
    const mem = process.memoryUsage();
    return {
      cpes,
      sessions: this.sessions,
      failures: this.failures,
      faults: this.faults,
      durationMs: Math.round(durationMs),
      sessionsPerSecond: durationMs > 0 ? Math.round((this.sessions / durationMs) * 1000 * 10) / 10 : 0,
      rpcs: this.rpcs,
      events: this.events,
      errors: this.errors,
      latencyMs: {
        p50: this.#latency.percentile(0.5),
        p95: this.#latency.percentile(0.95),
        p99: this.#latency.percentile(0.99),
        max: Math.round(this.#latency.max),
      },
      transfers: this.transfers,
      diagnostics: this.diagnostics,
      connectionRequests: this.connectionRequests,
      memory: { rssBytes: mem.rss, heapUsedBytes: mem.heapUsed },
    };
  }
}
