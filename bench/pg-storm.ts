/**
 * The periodic storm (bench/storm/run.ts) against PostgreSQL, with 1 and 2 CWMP worker
 * processes: `flotilla serve --db postgres://… --workers N` from dist/, the simulator in
 * this process, N CPEs informing every second (more than the ACS takes), idle sessions
 * (Inform, empty POST, 204). Prints completed sessions per second in a steady window after
 * every CPE has booted once, and database transactions per session (pg_stat_database).
 *
 * Then, in this process, the same sessions through a counting Store, for the round trips and
 * statements each session costs at the interface and on the wire.
 *
 * With --sqlite the same storm also runs on SQLite with the same worker counts (what decides
 * whether more than one worker is worth it there).
 *
 *   npm run build && node dist/bench/pg-storm.js [--url postgresql://postgres@127.0.0.1:5432/postgres]
 *      [--cpes 4000] [--window 15] [--workers 1,2] [--sqlite] [--relay-compare]
 *
 * --relay-compare runs each PostgreSQL storm twice, with and without --no-events-relay:
 * what sharing events between processes over LISTEN/NOTIFY costs a session.
 *
 * Each PostgreSQL run uses a scratch database created and dropped here.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { startCwmpServer } from '../src/acs/server.js';
import { loadModel } from '../src/cpe/model/load.js';
import type { Template } from '../src/cpe/model/template.js';
import { Fleet } from '../src/cpe/sim/fleet.js';
import { countingStore } from '../src/store/counting.js';
import { createPostgresStore } from '../src/store/postgres/index.js';
import { redactUrl } from '../src/store/redact.js';
import { CLI, freePort, processTree, procStats, requireBuild, type ProcStat } from './storm/procs.js';

const { values: args } = parseArgs({
  options: {
    url: { type: 'string', default: process.env.FLOTILLA_BENCH_PG_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres' },
    cpes: { type: 'string', default: '4000' },
    window: { type: 'string', default: '15' },
    workers: { type: 'string', default: '1,2' },
    sqlite: { type: 'boolean', default: false },
    /** Also run each PostgreSQL storm with --no-events-relay: what sharing events costs. */
    'relay-compare': { type: 'boolean', default: false },
  },
});
const CPES = Number(args.cpes);
const WINDOW_MS = Number(args.window) * 1000;
const WORKERS = args.workers.split(',').map(Number);

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(what: () => boolean, timeoutMs: number, label: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!what()) {
    if (Date.now() > end) throw new Error(`${label}: not done within ${timeoutMs} ms`);
    await sleep(50);
  }
}

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: args.url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

async function scratchDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `flotilla_bench_${randomBytes(4).toString('hex')}`;
  await admin((c) => c.query(`CREATE DATABASE ${name}`));
  const url = new URL(args.url);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined) };
}

/** Transactions committed and rolled back in one database so far, and the WAL position (bytes). */
async function transactions(url: string): Promise<{ tx: number; wal: number }> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    // Statistics are sent by backends when they go idle; give them a moment, then read.
    await sleep(600);
    await c.query('SELECT pg_stat_clear_snapshot()');
    const r = await c.query<{ n: string; w: string }>(
      `SELECT (xact_commit + xact_rollback)::text AS n, (pg_current_wal_lsn() - '0/0')::text AS w
       FROM pg_stat_database WHERE datname = current_database()`,
    );
    return { tx: Number(r.rows[0]!.n), wal: Number(r.rows[0]!.w) };
  } finally {
    await c.end();
  }
}

/** CPU seconds so far of the serve process tree, of every postgres process, and of this process. */
function cpu(servePid: number): { acs: number; postgres: number; simulator: number } {
  const all = procStats();
  const tree = processTree(all, servePid);
  const sum = (f: (p: ProcStat) => boolean) => all.filter(f).reduce((a, p) => a + p.cpuMs / 1000, 0);
  return { acs: sum((p) => tree.has(p.pid)), postgres: sum((p) => p.comm === 'postgres'), simulator: sum((p) => p.pid === process.pid) };
}

interface Serve {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

async function serve(db: string[], workers: number, dataDir: string, extra: string[] = []): Promise<Serve> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [CLI, 'serve', '--host', '127.0.0.1', '--cwmp-port', String(port), '--api-port', String(await freePort()), '--data-dir', dataDir,
      ...db, '--workers', String(workers), '--allow-unauthenticated-cpes', '--no-discover-on-bootstrap', ...extra],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-8000)));
  child.stderr?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-8000)));
  const listening = workers > 1 ? /Flotilla ACS workers listening/ : /Flotilla ACS listening/;
  await until(() => listening.test(out) || child.exitCode !== null, 30_000, 'serve start');
  if (child.exitCode !== null) throw new Error(`serve exited: ${out}`);
  return {
    url: `http://127.0.0.1:${port}/`,
    child,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(t);
    },
  };
}

interface Figure {
  store: string;
  workers: number;
  /** Events shared with the other processes (LISTEN/NOTIFY on PostgreSQL). */
  relay: boolean;
  cpes: number;
  windowSeconds: number;
  sessions: number;
  failures: number;
  sessionsPerSecond: number;
  p50ms: number;
  p99ms: number;
  transactionsPerSession?: number;
  /** Write-ahead log per session (the whole server's, so other activity counts too). */
  walBytesPerSession?: number;
  /** CPU milliseconds per completed session, by process group (in the window). */
  cpuMsPerSession: { acs: number; postgres: number; simulator: number };
}

async function storm(url: string, servePid: number, template: Template, prefix: string, txUrl?: string): Promise<Omit<Figure, 'store' | 'workers' | 'relay'>> {
  const fleet = new Fleet({
    acsUrl: url,
    count: CPES,
    model: template,
    serialPrefix: prefix,
    informInterval: 1,
    informJitter: 0.2,
    maxConcurrentSessions: 64,
    connectionRequests: 'off',
    drainMs: 10_000,
  });
  try {
    await fleet.start();
    await until(() => fleet.stats.sessions >= CPES, 240_000, 'boot sessions');
    await sleep(2000);
    const x0 = txUrl === undefined ? { tx: 0, wal: 0 } : await transactions(txUrl);
    const s0 = fleet.stats.sessions;
    const f0 = fleet.stats.failures;
    const c0 = cpu(servePid);
    const t0 = Date.now();
    await sleep(WINDOW_MS);
    const dt = (Date.now() - t0) / 1000;
    const c1 = cpu(servePid);
    const sessions = fleet.stats.sessions - s0;
    const failures = fleet.stats.failures - f0;
    const per = (a: number, b: number) => Math.round(((b - a) * 1000 * 100) / Math.max(1, sessions)) / 100;
    const x1 = txUrl === undefined ? { tx: 0, wal: 0 } : await transactions(txUrl);
    const summary = fleet.summary();
    return {
      cpes: CPES,
      windowSeconds: Math.round(dt * 10) / 10,
      sessions,
      failures,
      sessionsPerSecond: Math.round((sessions / dt) * 10) / 10,
      p50ms: summary.latencyMs.p50,
      p99ms: summary.latencyMs.p99,
      cpuMsPerSession: { acs: per(c0.acs, c1.acs), postgres: per(c0.postgres, c1.postgres), simulator: per(c0.simulator, c1.simulator) },
      // The stats reads land a little after the window, so this slightly over-counts.
      ...(txUrl === undefined
        ? {}
        : {
            transactionsPerSession: Math.round(((x1.tx - x0.tx) / (sessions + failures)) * 100) / 100,
            walBytesPerSession: Math.round((x1.wal - x0.wal) / (sessions + failures)),
          }),
    };
  } finally {
    await fleet.stop();
  }
}

/** Idle periodic sessions through a counting Store in this process. */
async function roundTrips(template: Template): Promise<{ sessions: number; roundTripsPerSession: number; statementsPerSession: number; byMethod: Record<string, number> }> {
  const db = await scratchDatabase();
  const inner = await createPostgresStore({ url: db.url });
  const store = countingStore(inner);
  const server = await startCwmpServer({
    store,
    config: { host: '127.0.0.1', cwmpPort: 0, dataDir: tmpdir(), allowUnauthenticatedCpes: true, discoverOnBootstrap: false },
  });
  const count = 50;
  const fleet = new Fleet({ acsUrl: server.cwmpUrl, count, model: template, serialPrefix: 'RT', informInterval: 1, informJitter: 0.2, connectionRequests: 'off' });
  try {
    await fleet.start();
    await until(() => fleet.stats.sessions >= count, 60_000, 'round-trip boot');
    await sleep(1500);
    store.reset();
    const st0 = inner.statements();
    const s0 = fleet.stats.sessions;
    await sleep(5000);
    await fleet.stop();
    const sessions = fleet.stats.sessions - s0;
    const byMethod = store.byMethod() as Record<string, number>;
    return {
      sessions,
      roundTripsPerSession: Math.round((store.roundTrips() / sessions) * 100) / 100,
      statementsPerSession: Math.round(((inner.statements() - st0) / sessions) * 100) / 100,
      byMethod,
    };
  } finally {
    await fleet.stop();
    await server.close();
    await store.close();
    await db.drop();
  }
}

async function main(): Promise<void> {
  requireBuild();
  const template = loadModel('tr181-router');
  const figures: Figure[] = [];
  for (const workers of WORKERS) {
    for (const relay of args['relay-compare'] ? [true, false] : [true]) {
      const db = await scratchDatabase();
      const dir = await mkdtemp(join(tmpdir(), 'flotilla-pg-storm-'));
      const s = await serve(['--db', db.url], workers, dir, relay ? [] : ['--no-events-relay']);
      try {
        figures.push({ store: 'postgres', workers, relay, ...(await storm(s.url, s.child.pid!, template, `PG${workers}W`, db.url)) });
      } finally {
        await s.stop();
        await db.drop();
        await rm(dir, { recursive: true, force: true });
      }
    }
  }
  if (args.sqlite) {
    for (const workers of WORKERS) {
      const dir = await mkdtemp(join(tmpdir(), 'flotilla-sqlite-storm-'));
      const s = await serve([], workers, dir);
      try {
        figures.push({ store: 'sqlite', workers, relay: workers > 1, ...(await storm(s.url, s.child.pid!, template, `SQ${workers}W`)) });
      } finally {
        await s.stop();
        await rm(dir, { recursive: true, force: true });
      }
    }
  }
  const rt = await roundTrips(template);
  for (const f of figures) {
    process.stdout.write(
      `pg-storm  ${f.store.padEnd(8)} ${f.workers} worker(s)${f.relay ? '' : ', no events relay'}: ${String(f.sessionsPerSecond).padStart(7)} sessions/s  ` +
        `p50 ${f.p50ms} ms  p99 ${f.p99ms} ms  ${f.failures} failed  CPU ms/session: ACS ${f.cpuMsPerSession.acs}, ` +
        `PostgreSQL ${f.cpuMsPerSession.postgres}, simulator ${f.cpuMsPerSession.simulator}` +
        (f.transactionsPerSession === undefined ? '' : `  ${f.transactionsPerSession} transactions and ${f.walBytesPerSession} WAL bytes/session`) +
        `  (${f.cpes} CPEs, ${f.windowSeconds} s)\n`,
    );
  }
  process.stdout.write(
    `pg-storm  idle periodic session: ${rt.roundTripsPerSession} store round trips, ${rt.statementsPerSession} statements ` +
      `(${JSON.stringify(rt.byMethod)} over ${rt.sessions} sessions)\n`,
  );
  process.stdout.write(`${JSON.stringify({ url: redactUrl(args.url), figures, roundTrips: rt })}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`pg-storm: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
