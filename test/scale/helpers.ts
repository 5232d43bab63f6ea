/**
 * Scale tests: real `flotilla serve` processes (from dist/, built here when stale), a TCP
 * round-robin balancer like the one an operator puts in front of them, the real simulator
 * (src/cpe Fleet) driving them, and audits read straight from PostgreSQL.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Fleet, type FleetOptions } from '../../src/cpe/index.js';
import type { SessionReport } from '../../src/cpe/index.js';
import { sql } from '../store/pg-helpers.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const MAIN = join(ROOT, 'dist/src/cli/main.js');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(p));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

/**
 * dist/ as `npm test` leaves it (pretest builds). Run directly with vitest, the sources may
 * be newer: build once, with a lock so parallel test files do not build over each other.
 */
export async function ensureBuilt(): Promise<void> {
  const lock = join(tmpdir(), 'flotilla-scale-build.lock');
  for (let i = 0; ; i++) {
    const fresh = existsSync(MAIN) && statSync(MAIN).mtimeMs >= newestMtime(join(ROOT, 'src'));
    if (fresh) return;
    try {
      mkdirSync(lock);
    } catch {
      if (i > 600) throw new Error('timed out waiting for another build');
      await new Promise((r) => setTimeout(r, 500));
      continue;
    }
    try {
      try {
        execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.json')], {
          stdio: 'pipe',
        });
      } catch {
        // Type errors elsewhere still emit JavaScript (noEmitOnError is off); a missing
        // entry point is what matters.
      }
      if (!existsSync(MAIN)) throw new Error('build produced no dist/src/cli/main.js');
      return;
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }
}

export interface ServeProcess {
  child: ChildProcess;
  port: number;
  url: string;
  output: () => string;
  /** SIGTERM and wait for the exit. */
  stop(): Promise<void>;
  /** SIGKILL (the whole process group with workers) and wait for the exit. */
  kill(): Promise<void>;
  exited: Promise<number | null>;
}

/**
 * `flotilla serve` on a free loopback port; resolves once every worker is listening. Its data
 * directory is a fresh one, removed at exit, unless `opts.dataDir` names one (a restart).
 */
export function startServe(args: string[], env: Record<string, string> = {}, opts: { dataDir?: string } = {}): Promise<ServeProcess> {
  const dataDir = opts.dataDir ?? join(tmpdir(), `flotilla-scale-${process.pid}-${Math.random().toString(36).slice(2)}`);
  const child = spawn(process.execPath, [MAIN, 'serve', '--host', '127.0.0.1', '--cwmp-port', '0', '--api-port', '0', '--data-dir', dataDir, ...args], {
    env: { ...process.env, FLOTILLA_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const workers = Number(args[args.indexOf('--workers') + 1] ?? 1);
  const waitExit = async () => {
    await exited;
    if (opts.dataDir === undefined) rmSync(dataDir, { recursive: true, force: true });
  };
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
      reject(new Error(`serve did not start:\n${output}`));
    }, 30_000);
    const onData = (d: Buffer): void => {
      output += d.toString();
      const pattern = args.includes('--workers') && workers > 1 ? /"port":(\d+),"host":"[^"]+","msg":"Flotilla ACS workers listening"/ : /"cwmp":"http:\/\/127\.0\.0\.1:(\d+)\/"/;
      const m = pattern.exec(output);
      if (m?.[1]) {
        clearTimeout(timer);
        const port = Number(m[1]);
        resolvePromise({
          child,
          port,
          url: `http://127.0.0.1:${port}/`,
          output: () => output,
          exited,
          stop: async () => {
            if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
            await waitExit();
          },
          kill: async () => {
            if (child.exitCode === null && child.signalCode === null) {
              try {
                process.kill(-child.pid!, 'SIGKILL');
              } catch {
                child.kill('SIGKILL');
              }
            }
            await waitExit();
          },
        });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code}:\n${output}`));
    });
  });
}

export interface Balancer {
  url: string;
  /** Connections handed to each backend port. */
  counts: Map<number, number>;
  close(): Promise<void>;
}

/**
 * A TCP load balancer: each new connection goes to the next backend in turn; a backend that
 * refuses the connection is skipped (as a health-checking balancer would).
 */
export async function startBalancer(ports: number[]): Promise<Balancer> {
  let next = 0;
  const counts = new Map<number, number>(ports.map((p) => [p, 0]));
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => undefined);
    client.pause();
    const attempt = (tries: number): void => {
      if (tries >= ports.length || client.destroyed) {
        client.destroy();
        return;
      }
      const port = ports[next++ % ports.length]!;
      const upstream = connect({ host: '127.0.0.1', port });
      let connected = false;
      upstream.on('error', () => {
        if (!connected) attempt(tries + 1);
        else client.destroy();
      });
      upstream.once('connect', () => {
        connected = true;
        counts.set(port, (counts.get(port) ?? 0) + 1);
        sockets.add(upstream);
        upstream.on('close', () => {
          sockets.delete(upstream);
          client.destroy();
        });
        client.on('close', () => upstream.destroy());
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
      });
    };
    attempt(0);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/`,
    counts,
    close: () =>
      new Promise((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

export interface FleetRun {
  fleet: Fleet;
  reports: SessionReport[];
  /** Resolves with the summary when the fleet stops. */
  done: Promise<ReturnType<Fleet['summary']>>;
}

/** The simulator, in this process, recording every session it ran. */
export function runFleet(opts: FleetOptions): FleetRun {
  const reports: SessionReport[] = [];
  const fleet = new Fleet({ ...opts, observer: { sessionEnded: (r) => reports.push(r) } });
  return { fleet, reports, done: fleet.run() };
}

export const MODEL = join(ROOT, 'models/tr181-router.json');

/**
 * Record every change of the session_locks table in an audit table, from inside the
 * database: a trigger runs in the transaction that changes the row, and the row lock
 * serialises one device's changes, so the audit's per-device order is the real order.
 */
export async function installLockAudit(url: string): Promise<void> {
  await sql(
    url,
    `CREATE TABLE lock_audit (n bigserial PRIMARY KEY, device_id text, op text, owner text, expires_at bigint, old_owner text,
       old_expires_at bigint);
     CREATE FUNCTION audit_lock() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
       IF TG_OP = 'DELETE' THEN
         INSERT INTO lock_audit (device_id, op, owner) VALUES (OLD.device_id, 'release', OLD.owner);
       ELSIF TG_OP = 'INSERT' THEN
         INSERT INTO lock_audit (device_id, op, owner, expires_at) VALUES (NEW.device_id, 'take', NEW.owner, NEW.expires_at);
       ELSE
         INSERT INTO lock_audit (device_id, op, owner, expires_at, old_owner, old_expires_at)
         VALUES (NEW.device_id, 'take', NEW.owner, NEW.expires_at, OLD.owner, OLD.expires_at);
       END IF;
       RETURN NULL; END $$;
     CREATE TRIGGER audit_lock AFTER INSERT OR UPDATE OR DELETE ON session_locks FOR EACH ROW EXECUTE FUNCTION audit_lock();`,
  );
}

/**
 * Every device's lock history must alternate: a take by a new owner only after the previous
 * owner released it, or over a lock that had expired. Returns the violations.
 */
export async function lockViolations(url: string, ttlMs: number): Promise<string[]> {
  const rows = await sql<{ device_id: string; op: string; owner: string; expires_at: number | null; old_owner: string | null; old_expires_at: number | null }>(
    url,
    'SELECT device_id, op, owner, expires_at::float8 AS expires_at, old_owner, old_expires_at::float8 AS old_expires_at FROM lock_audit ORDER BY device_id, n',
  );
  const violations: string[] = [];
  const holder = new Map<string, string | null>();
  for (const r of rows) {
    const current = holder.get(r.device_id) ?? null;
    if (r.op === 'release') {
      if (current !== r.owner) violations.push(`${r.device_id}: ${r.owner} released a lock held by ${current}`);
      holder.set(r.device_id, null);
      continue;
    }
    if (current !== null && current !== r.owner) {
      // Taking over is allowed only when the old lock had expired: its expiry is at most the
      // new one's start (new expiry minus the TTL the ACS uses).
      const takenAt = (r.expires_at ?? 0) - ttlMs;
      if (r.old_owner !== current || (r.old_expires_at ?? Infinity) > takenAt) {
        violations.push(`${r.device_id}: ${r.owner} took a live lock of ${current}`);
      }
    }
    holder.set(r.device_id, r.owner);
  }
  return violations;
}

/** The lock TTL the ACS uses for a --session-timeout (src/session/driver.ts). */
export const lockTtlFor = (sessionTimeoutSeconds: number) => Math.max(60_000, sessionTimeoutSeconds * 2000);

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The REST API base (…/api/v1) a serve process (or its workers) listens on, once it does. */
export async function apiUrlOf(s: ServeProcess): Promise<string> {
  const pattern = /"api":"(http:\/\/[^"]+)"/;
  await until(() => pattern.test(s.output()), 15_000, 'the API to listen');
  return pattern.exec(s.output())![1]!;
}

export { openEventStream, type SseEvent } from '../helpers/sse.js';

/** Sessions started per worker pid in a `serve --workers` log (debug level), in order of first appearance. */
export function sessionsByPid(output: string): Map<number, number> {
  const counts = new Map<number, number>();
  for (const m of output.matchAll(/"pid":(\d+)[^\n]*"msg":"session started"/g)) {
    const pid = Number(m[1]);
    counts.set(pid, (counts.get(pid) ?? 0) + 1);
  }
  return counts;
}

/**
 * Polls `check` until it holds or `ms` pass. `what` may be a function, asked only at the
 * timeout, so the error can say what the state was then. The deadline is on the monotonic
 * clock: a wall-clock step (NTP, a resumed VM) must not fail a wait that has not lasted `ms`.
 */
export async function until(check: () => boolean | Promise<boolean>, ms = 10_000, what: string | (() => string) = 'condition'): Promise<void> {
  const deadline = performance.now() + ms;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${typeof what === 'function' ? what() : what}`);
    await sleep(50);
  }
}
