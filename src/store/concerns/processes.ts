/**
 * The ACS processes sharing a database, so a process that died (kill -9, a crashed host)
 * does not keep its devices' session locks until they expire. Each running `flotilla serve`
 * process (each worker with --workers) has a row, refreshed by a background heartbeat —
 * never per session: an idle periodic session still costs two round trips.
 *
 * A session lock's owner is `<process id>:<session tag>` (src/acs/server.ts), so the locks of
 * a process are found by that prefix. Freeing a lock makes it expired (expires_at 0): exactly
 * the state a lock reaches on its own after the TTL, which every backend already handles
 * (the next session takes it over, with the tasks the dead session held).
 */
export interface AcsProcess {
  /** Random per process start; the prefix of its session locks' owner. */
  id: string;
  /** os.hostname(): a process on this host can tell whether a pid is alive. */
  host: string;
  pid: number;
  /** When this process registered. */
  startedAt: number;
  heartbeatAt: number;
}

export interface Heartbeat {
  /** The processes found dead (no heartbeat since `staleBefore`): their rows are gone. */
  dead: string[];
  /** How many session locks they held, now freed. */
  freedLocks: number;
}

export interface ProcessStore {
  /** Insert (or refresh) this process's row. */
  registerProcess(p: AcsProcess): Promise<void>;
  listProcesses(): Promise<AcsProcess[]>;
  /**
   * One round trip, one transaction: refresh this process's row (inserting it again if a
   * peer removed it), and, when `staleBefore` is given, retire every other process whose
   * heartbeat is older: free its locks and remove its row.
   */
  heartbeatProcess(p: AcsProcess, now: number, staleBefore: number | null): Promise<Heartbeat>;
  /** Free every session lock the processes hold and remove their rows; returns the locks freed. */
  retireProcesses(ids: string[]): Promise<number>;
}
