/**
 * The SQLite connection: pragmas, a prepared-statement cache and IMMEDIATE transactions.
 *
 * better-sqlite3 is synchronous, so within one process transactions never interleave;
 * across processes (cluster workers, a CLI next to a server) BEGIN IMMEDIATE takes the
 * write lock up front and busy_timeout makes the other side wait instead of failing.
 */
import Database from 'better-sqlite3';

export type Row = Record<string, unknown>;
export type Params = Record<string, string | number | bigint | Buffer | null>;

export interface SqliteTuning {
  /** How long a writer waits for another process's transaction (default 5000 ms). */
  busyTimeoutMs?: number;
}

export class Db {
  readonly raw: Database.Database;
  readonly #statements = new Map<string, Database.Statement>();
  readonly #tx: Database.Transaction<(fn: () => unknown) => unknown>;

  constructor(file: string, tuning: SqliteTuning = {}) {
    this.raw = new Database(file);
    // WAL: readers never block the writer, and a commit is one append to the log.
    // synchronous=NORMAL in WAL mode keeps every transaction atomic across a crash (a
    // power loss may forget the last few commits, never half of one).
    this.raw.pragma('journal_mode = WAL');
    this.raw.pragma('synchronous = NORMAL');
    this.raw.pragma(`busy_timeout = ${Math.max(0, Math.floor(tuning.busyTimeoutMs ?? 5000))}`);
    this.raw.pragma('cache_size = -32768'); // 32 MiB of page cache
    this.raw.pragma('temp_store = MEMORY');
    // After a big checkpoint, shrink the WAL file back instead of keeping its high-water mark.
    this.raw.pragma('journal_size_limit = 67108864');
    // Per connection and off by default: without it webhook_deliveries' ON DELETE CASCADE
    // (migration 4) would not run. No other table has a foreign key, so nothing else changes.
    this.raw.pragma('foreign_keys = ON');
    // A secret replaced in place (a TOTP secret sealed on migration, a rotated credential)
    // must not linger in the page's free space: FAST zeroes freed cell content in pages that
    // are written anyway (no extra I/O). The WAL's old page images go at its next checkpoint.
    this.raw.pragma('secure_delete = FAST');
    this.#tx = this.raw.transaction((fn: () => unknown) => fn());
  }

  /** A cached prepared statement: the SQL text is the key, so callers keep SQL as constants. */
  stmt(sql: string): Database.Statement {
    let s = this.#statements.get(sql);
    if (s === undefined) {
      s = this.raw.prepare(sql);
      this.#statements.set(sql, s);
    }
    return s;
  }

  get<T = Row>(sql: string, params: Params = {}): T | undefined {
    return this.stmt(sql).get(params) as T | undefined;
  }

  all<T = Row>(sql: string, params: Params = {}): T[] {
    return this.stmt(sql).all(params) as T[];
  }

  run(sql: string, params: Params = {}): number {
    return this.stmt(sql).run(params).changes;
  }

  /** Run `fn` in BEGIN IMMEDIATE … COMMIT; any throw rolls everything back. */
  immediate<T>(fn: () => T): T {
    return this.#tx.immediate(fn) as T;
  }

  /** A read snapshot across several statements (BEGIN DEFERRED takes no write lock). */
  read<T>(fn: () => T): T {
    return this.#tx.deferred(fn) as T;
  }

  close(): void {
    this.#statements.clear();
    if (this.raw.open) this.raw.close();
  }
}

export const json = (v: unknown): string => JSON.stringify(v);
export const bool = (v: boolean): number => (v ? 1 : 0);
