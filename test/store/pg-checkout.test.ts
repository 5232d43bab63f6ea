/**
 * A PostgreSQL connection the store holds across several statements (a transaction, a bulk
 * copy, the search-index lock) whose server goes away between two statements: the store's next
 * statement fails and the process lives on. pg gives a checked-out client no 'error' listener,
 * so without PgDb.checkout the termination was an unhandled 'error' event that ended the
 * process (seen in CI as `flotilla serve` dying while PostgreSQL restarted).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PgDb } from '../../src/store/postgres/index.js';
import { claimPgShared, createTestDatabase, describePg, sql, type TestDatabase } from './pg-helpers.js';

const describeWithPg = await describePg();

describeWithPg('a held PostgreSQL connection terminated between statements', () => {
  let db: TestDatabase;
  let release: () => void = () => undefined;
  let pgdb: PgDb;

  beforeAll(async () => {
    release = await claimPgShared();
    db = await createTestDatabase();
    pgdb = new PgDb(db.url, { poolSize: 2, onError: () => undefined });
  }, 120_000);

  afterAll(async () => {
    await pgdb?.close();
    await db?.drop();
    release();
  });

  it('fails the transaction, not the process, and the pool serves the next statement', async () => {
    const uncaught: unknown[] = [];
    const onUncaught = (e: unknown): void => void uncaught.push(e);
    process.on('uncaughtException', onUncaught);
    try {
      const outcome = pgdb.transaction(async (tx) => {
        const [me] = await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
        // Another connection ends this one while the transaction waits between statements.
        await sql(db.url, 'SELECT pg_terminate_backend($1)', [me!.pid]);
        for (let i = 0; i < 200; i++) {
          const left = await sql(db.url, 'SELECT 1 FROM pg_stat_activity WHERE pid = $1', [me!.pid]);
          if (left.length === 0) break;
          await new Promise((r) => setTimeout(r, 10));
        }
        // Let the termination notice reach the client before the next statement.
        await new Promise((r) => setTimeout(r, 50));
        await tx.query('SELECT 1');
      });
      await expect(outcome).rejects.toThrow();
      expect(uncaught).toEqual([]);
      expect(await pgdb.query<{ one: number }>('SELECT 1 AS one')).toEqual([{ one: 1 }]);
    } finally {
      process.off('uncaughtException', onUncaught);
    }
  });
});
