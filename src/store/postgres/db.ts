/**
 * The PostgreSQL connection: a pg Pool, named prepared statements, a statement counter
 * and the error handling that lets a server outlive its database restarting.
 *
 * Every Store call is one statement on one pooled connection (a single statement is its own
 * transaction), except migrations and bulk copies, which use `transaction`. Prepared
 * statements are named by a hash of their SQL, so each connection parses and plans each
 * statement once; a connection made after a restart prepares them again by itself.
 *
 * Failure model: when the server goes away, idle pooled connections emit 'error' (caught
 * here: reported through `onError`, never an uncaught exception), calls in flight reject,
 * and the next call opens a fresh connection — or fails within `connectTimeoutMs` while
 * the server is down. Nothing is retried here: a Store call that fails made no change
 * (one statement = one transaction), and the caller decides (the ACS answers the CPE with
 * a fault and the CPE retries its session).
 */
import { createHash } from 'node:crypto';
import pg from 'pg';

export type Row = Record<string, unknown>;

export interface PgTuning {
  /** Connections in the pool (default 10). */
  poolSize?: number;
  /** Give up opening a connection after this long (default 5000 ms). */
  connectTimeoutMs?: number;
  /** Server-side limit on one statement (default 60000 ms; 0 = none). */
  statementTimeoutMs?: number;
  /** Told about connection errors the pool survived (server restart, network). Default: a line on stderr. */
  onError?: (err: Error) => void;
  /** Told the name of every statement sent (benchmarks count them). */
  onStatement?: (name: string) => void;
}

const INT8_OID = 20;

/** int8 (bigint: times in ms, counts) as a JS number; our values stay far below 2^53. */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

export class PgDb {
  readonly pool: pg.Pool;
  readonly #names = new Map<string, string>();
  readonly #onStatement: ((name: string) => void) | undefined;
  #statements = 0;
  #closed = false;

  constructor(url: string, tuning: PgTuning = {}) {
    const statementTimeout = tuning.statementTimeoutMs ?? 60_000;
    this.pool = new pg.Pool({
      connectionString: url,
      max: Math.max(1, Math.floor(tuning.poolSize ?? 10)),
      connectionTimeoutMillis: tuning.connectTimeoutMs ?? 5_000,
      idleTimeoutMillis: 30_000,
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      application_name: 'flotilla',
      ...(statementTimeout > 0 ? { statement_timeout: statementTimeout, query_timeout: statementTimeout + 5_000 } : {}),
      types,
    });
    const onError =
      tuning.onError ??
      ((err: Error) => process.stderr.write(`flotilla: PostgreSQL connection error (will reconnect): ${err.message}\n`));
    // An idle client whose server went away: without a listener this would crash the process.
    this.pool.on('error', (err) => onError(err));
    this.#onStatement = tuning.onStatement;
  }

  /** Statements sent since the store opened (BEGIN/COMMIT included). */
  get statements(): number {
    return this.#statements;
  }

  #nameOf(sql: string): string {
    let name = this.#names.get(sql);
    if (name === undefined) {
      name = `fl_${createHash('sha1').update(sql).digest('hex').slice(0, 16)}`;
      this.#names.set(sql, name);
    }
    return name;
  }

  #count(name: string): void {
    this.#statements++;
    this.#onStatement?.(name);
  }

  /** One prepared statement on any pooled connection. */
  async query<T = Row>(sql: string, params: unknown[] = []): Promise<T[]> {
    const name = this.#nameOf(sql);
    this.#count(name);
    const result = await this.pool.query<T & pg.QueryResultRow>({ name, text: sql, values: params });
    return result.rows;
  }

  /** A statement whose text varies (built queries): parsed each time, never kept per connection. */
  async queryUnprepared<T = Row>(sql: string, params: unknown[] = []): Promise<T[]> {
    this.#count('unprepared');
    const result = await this.pool.query<T & pg.QueryResultRow>(sql, params);
    return result.rows;
  }

  /** Like query, returning the number of rows the statement touched. */
  async run(sql: string, params: unknown[] = []): Promise<number> {
    const name = this.#nameOf(sql);
    this.#count(name);
    const result = await this.pool.query({ name, text: sql, values: params });
    return result.rowCount ?? 0;
  }

  /**
   * BEGIN … COMMIT on one connection (migrations, bulk copies). A connection that failed is
   * destroyed rather than returned to the pool.
   */
  async transaction<T>(fn: (tx: Tx) => Promise<T>, opts: { isolation?: 'repeatable read' | 'serializable' } = {}): Promise<T> {
    const held = await this.checkout();
    const tx = new Tx(held.client, (name) => this.#count(name));
    let broken: Error | undefined;
    try {
      await tx.exec(opts.isolation ? `BEGIN ISOLATION LEVEL ${opts.isolation.toUpperCase()}` : 'BEGIN');
      const out = await fn(tx);
      await tx.exec('COMMIT');
      return out;
    } catch (e) {
      await tx.exec('ROLLBACK').catch((rollbackError: unknown) => {
        broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
      });
      throw e;
    } finally {
      held.release(broken);
    }
  }

  /**
   * A pooled connection for several statements. pg leaves a checked-out client without an
   * 'error' listener, so a server that goes away between two of its statements (a restart, an
   * administrator's pg_terminate_backend) would emit an unhandled 'error' and end the process.
   * The listener here keeps the error; the next statement fails on its own, and release
   * destroys the connection instead of pooling it.
   */
  async checkout(): Promise<{ client: pg.PoolClient; release: (err?: Error) => void }> {
    const client = await this.pool.connect();
    let lost: Error | undefined;
    const onError = (err: Error): void => {
      lost = err;
    };
    client.on('error', onError);
    let released = false;
    return {
      client,
      release: (err?: Error) => {
        if (released) return;
        released = true;
        client.off('error', onError);
        client.release(err ?? lost);
      },
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.pool.end();
  }
}

/** A connection inside BEGIN … COMMIT. */
export class Tx {
  readonly #client: pg.PoolClient;
  readonly #count: (name: string) => void;

  constructor(client: pg.PoolClient, count: (name: string) => void) {
    this.#client = client;
    this.#count = count;
  }

  /** Unprepared, possibly several statements (simple protocol: no parameters). */
  async exec(sql: string): Promise<void> {
    this.#count('exec');
    await this.#client.query(sql);
  }

  async query<T = Row>(sql: string, params: unknown[] = []): Promise<T[]> {
    this.#count('tx');
    const result = await this.#client.query<T & pg.QueryResultRow>(sql, params);
    return result.rows;
  }
}
