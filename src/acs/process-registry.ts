/**
 * This process in the store's process registry (src/store/concerns/processes.ts), so that
 * session locks do not outlive the process that took them:
 *  - at start, the locks of this host's processes that are gone (the previous `flotilla
 *    serve` of this data directory after kill -9, the workers of a killed primary) are freed
 *    at once: their pid is not alive, or is our own pid from before we started (a container
 *    restarted with the same pid);
 *  - a background heartbeat keeps our row fresh and retires processes on any host that
 *    stopped heartbeating (PostgreSQL with several hosts): their locks are freed.
 * The heartbeat is a timer, never per-session work: an idle periodic session still costs
 * two store round trips.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { AcsProcess, Store } from '../store/types.js';

export interface ProcessSelf {
  id: string;
  host: string;
  pid: number;
  /** When this OS process started (ms): a registry row of our pid from before it is a predecessor's. */
  processStartedAt: number;
}

/**
 * The registered processes of this host that are certainly dead. A pid that is alive may
 * belong to an unrelated process that reused it: then we wait for the heartbeat instead.
 * Pure: the liveness check is a parameter.
 */
export function deadOnThisHost(rows: readonly AcsProcess[], self: ProcessSelf, isAlive: (pid: number) => boolean): string[] {
  return rows
    .filter((r) => r.id !== self.id && r.host === self.host)
    .filter((r) => (r.pid === self.pid ? r.startedAt < self.processStartedAt : !isAlive(r.pid)))
    .map((r) => r.id);
}

/** kill(pid, 0): ESRCH means no such process; EPERM means it exists (another user's). */
export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The process that runs fleet-wide jobs which must run once (scheduled backups, wake-ups):
 * the live process (heartbeat within `staleAfterMs`, or ourselves) with the smallest id.
 * Pure: the rows and the clock are parameters.
 */
export function leaderOf(rows: readonly AcsProcess[], selfId: string, now: number, staleAfterMs: number): string {
  const live = rows.filter((p) => p.id === selfId || p.heartbeatAt >= now - staleAfterMs).map((p) => p.id);
  if (!live.includes(selfId)) live.push(selfId);
  return live.sort()[0] as string;
}

export interface ProcessRegistryOptions {
  store: Store;
  logger?: Logger;
  /** Heartbeat period; a process silent for `staleAfterMs` is dead. */
  heartbeatMs?: number;
  staleAfterMs?: number;
  now?: () => number;
}

export interface ProcessRegistry {
  /** The prefix of this process's session lock owners (AcsServerOptions.processId). */
  readonly id: string;
  /** Locks freed at start (dead predecessors on this host). */
  readonly freedAtStart: number;
  /** Is this process the leader now ({@link leaderOf})? One store read. */
  isLeader(): Promise<boolean>;
  /** Stop heartbeating and remove our row (after the ACS released its locks). */
  close(): Promise<void>;
}

export const DEFAULT_HEARTBEAT_MS = 10_000;

export async function startProcessRegistry(opts: ProcessRegistryOptions): Promise<ProcessRegistry> {
  const { store, logger } = opts;
  const now = opts.now ?? Date.now;
  const heartbeatMs = opts.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  const staleAfterMs = opts.staleAfterMs ?? heartbeatMs * 3;
  const self: ProcessSelf = {
    id: randomBytes(6).toString('hex'),
    host: hostname(),
    pid: process.pid,
    processStartedAt: Math.floor(Date.now() - process.uptime() * 1000),
  };
  const startedAt = now();
  const row = (): AcsProcess => ({ id: self.id, host: self.host, pid: self.pid, startedAt, heartbeatAt: now() });
  await store.registerProcess(row());
  const dead = deadOnThisHost(await store.listProcesses(), self, pidAlive);
  const freedAtStart = dead.length === 0 ? 0 : await store.retireProcesses(dead);
  if (dead.length > 0) logger?.info({ processes: dead, freedLocks: freedAtStart }, 'freed the session locks of dead processes of this host');

  // Retire others only after two heartbeats in a row succeeded within the stale window: after
  // an outage of the database every process's row looks stale, and the live ones must get a
  // chance to heartbeat again before anyone judges them.
  let lastOk: number | null = startedAt;
  let closed = false;
  let running: Promise<void> = Promise.resolve();
  const beat = async (): Promise<void> => {
    const t = now();
    const judge = lastOk !== null && t - lastOk < (staleAfterMs * 2) / 3;
    try {
      const hb = await store.heartbeatProcess(row(), t, judge ? t - staleAfterMs : null);
      lastOk = t;
      if (hb.dead.length > 0) logger?.warn({ processes: hb.dead, freedLocks: hb.freedLocks, staleAfterMs }, 'processes stopped heartbeating: their session locks are freed');
    } catch (err) {
      lastOk = null;
      logger?.warn({ err: (err as Error).message }, 'process heartbeat failed');
    }
  };
  const timer = setInterval(() => {
    if (!closed) running = beat();
  }, heartbeatMs);
  timer.unref();
  return {
    id: self.id,
    freedAtStart,
    isLeader: async () => leaderOf(await store.listProcesses(), self.id, now(), staleAfterMs) === self.id,
    close: async () => {
      closed = true;
      clearInterval(timer);
      await running;
      await store.retireProcesses([self.id]).catch(() => undefined);
    },
  };
}
