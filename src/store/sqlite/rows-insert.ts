/**
 * Multi-row INSERT … VALUES (…),(…) statements for the tree upserts (apply.ts). A bootstrap
 * writes ~5,000 rows; one statement run per row was ~5,000 crossings into the driver, each
 * binding its values one by one. A statement of many rows binds them in one call and steps
 * once. The values shared by every row of an op (device, times, touch) are named parameters,
 * bound once per statement; the per-row ones are anonymous, in row order.
 *
 * Statement sizes are powers of two up to MAX_ROWS: an op runs full statements and then at
 * most one of each smaller size for the rest (13 rows: 8 + 4 + 1). So each kind of upsert
 * has at most log2(MAX_ROWS) + 1 prepared statements in the cache, whatever the row counts,
 * and a short list (a periodic Inform's few values) still takes only a statement or three.
 *
 * Rows within one statement are applied in order, each seeing the ones before it (SQLite,
 * unlike PostgreSQL, lets a later row of the same statement update a row an earlier one
 * inserted): a path listed twice ends as two single-row upserts in turn would leave it.
 * The planner de-duplicates anyway (session-writes.ts).
 */
import type { Db, Params } from './db.js';

/**
 * Rows per statement at most. 256 rows of 5 values is 1,280 bound parameters, far below
 * SQLite's limit (32,766 since 3.32; better-sqlite3 12 ships 3.53). Measured on a 5,944-node
 * discovery (bench/store-discovery.ts): 64 to 1,024 rows cost the same, 16 a little more.
 */
export const MAX_ROWS = 256;

/** An upsert whose VALUES list is `row` repeated: `head` VALUES row,row,… `tail`. */
export class RowsInsert {
  readonly #sql = new Map<number, string>();

  /**
   * @param head   `INSERT INTO t (…)` (without VALUES)
   * @param row    one row's tuple, e.g. `(@device, ?, ?, @at)`
   * @param width  the number of anonymous `?` in `row`
   * @param tail   `ON CONFLICT …`
   */
  constructor(
    private readonly head: string,
    private readonly row: string,
    readonly width: number,
    private readonly tail: string,
  ) {}

  /** The statement text for n rows; the same string each time, so Db's cache hashes it once. */
  sql(n: number): string {
    let s = this.#sql.get(n);
    if (s === undefined) {
      s = `${this.head} VALUES ${Array.from({ length: n }, () => this.row).join(',')} ${this.tail}`;
      this.#sql.set(n, s);
    }
    return s;
  }

  /** Runs every row of `args` (`width` values per row, row after row), in order. */
  run(db: Db, args: readonly unknown[], named: Params): void {
    const rows = args.length / this.width;
    // All rows fit one of the statement sizes: run them as they are, without copying.
    if (rows <= MAX_ROWS && (rows & (rows - 1)) === 0) {
      if (rows > 0) db.stmt(this.sql(rows)).run(...args, named);
      return;
    }
    let done = 0;
    while (done < rows) {
      const left = rows - done;
      const n = left >= MAX_ROWS ? MAX_ROWS : 2 ** Math.floor(Math.log2(left));
      const from = done * this.width;
      db.stmt(this.sql(n)).run(...args.slice(from, from + n * this.width), named);
      done += n;
    }
  }
}
