/**
 * PostgreSQL for tests: is the server there, and a database of our own for each test file.
 *
 * The server is the machine's (docs: ../shared/docs/machine.md), reached through
 * FLOTILLA_TEST_PG_URL (default postgresql://postgres@127.0.0.1:5432/postgres, trust auth).
 * Each test file creates `flotilla_test_<random>` and drops it after, so files running in
 * parallel never see each other's rows.
 *
 * When the server is not reachable, tests that need it are mandatory under CI=true (they
 * fail) and otherwise skip, with one line on the console saying so.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { describe } from 'vitest';

export const PG_ADMIN_URL = process.env.FLOTILLA_TEST_PG_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const CI = process.env.CI === 'true' || process.env.CI === '1';

let reachable: Promise<boolean> | undefined;

/** One connection attempt (cached for the file). */
export function pgReachable(): Promise<boolean> {
  reachable ??= (async () => {
    const c = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 3000 });
    c.on('error', () => undefined);
    try {
      await c.connect();
      await c.query('SELECT 1');
      return true;
    } catch {
      return false;
    } finally {
      await c.end().catch(() => undefined);
    }
  })();
  return reachable;
}

let announced = false;

/**
 * `describe` when PostgreSQL is reachable (always under CI, where an unreachable server
 * then fails the tests), else `describe.skip` after one console line.
 */
export async function describePg(): Promise<typeof describe | typeof describe.skip> {
  if (CI || (await pgReachable())) return describe;
  if (!announced) {
    announced = true;
    console.log(`PostgreSQL is not reachable at ${new URL(PG_ADMIN_URL).host}: skipping PostgreSQL tests (mandatory with CI=true)`);
  }
  return describe.skip;
}

/** A URL for `database` on the test server. */
export function databaseUrl(database: string): string {
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${database}`;
  return url.toString();
}

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 10_000 });
  c.on('error', () => undefined);
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end().catch(() => undefined);
  }
}

export interface TestDatabase {
  name: string;
  url: string;
  /** Drop it (connections still open to it are terminated first). */
  drop(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `flotilla_test_${randomBytes(6).toString('hex')}`;
  await admin((c) => c.query(`CREATE DATABASE ${name}`));
  let dropped = false;
  return {
    name,
    url: databaseUrl(name),
    drop: async () => {
      if (dropped) return;
      dropped = true;
      await admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

/** Empty every table of the schema except the migration bookkeeping, and restart sequences. */
export async function truncateAll(url: string): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  c.on('error', () => undefined);
  await c.connect();
  try {
    const { rows } = await c.query<{ t: string }>(
      `SELECT quote_ident(tablename) AS t FROM pg_tables WHERE schemaname = current_schema() AND tablename <> 'schema_migrations'`,
    );
    if (rows.length > 0) await c.query(`TRUNCATE ${rows.map((r) => r.t).join(', ')} RESTART IDENTITY`);
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** Run SQL on `url` with a short-lived connection. */
export async function sql<T extends pg.QueryResultRow = Record<string, unknown>>(url: string, text: string, params: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  c.on('error', () => undefined);
  await c.connect();
  try {
    return (await c.query<T>(text, params)).rows;
  } finally {
    await c.end().catch(() => undefined);
  }
}

// ---------------------------------------------------------------------------
// Sharing the server between test files
// ---------------------------------------------------------------------------

const LOCK_DIR = join(tmpdir(), 'flotilla-pg-test-locks');
const EXCLUSIVE = join(LOCK_DIR, 'exclusive');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Holders recorded as "<kind>-<pid>-<random>"; a dead process's marker does not count. */
function liveHolders(prefix: string): string[] {
  let names: string[];
  try {
    names = readdirSync(LOCK_DIR);
  } catch {
    return [];
  }
  return names.filter((n) => {
    if (!n.startsWith(prefix)) return false;
    const pid = Number(n.split('-')[1]);
    if (alive(pid)) return true;
    rmSync(join(LOCK_DIR, n), { force: true, recursive: true });
    return false;
  });
}

function exclusiveHeld(): boolean {
  try {
    const pid = Number(readFileSync(join(EXCLUSIVE, 'pid'), 'utf8'));
    if (alive(pid)) return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' && !existsSync(EXCLUSIVE)) return false;
    // Being created right now: treat as held.
    return existsSync(EXCLUSIVE);
  }
  rmSync(EXCLUSIVE, { force: true, recursive: true });
  return false;
}

/**
 * A test file that uses the PostgreSQL server holds a shared claim while it runs; the one
 * test that restarts the server (test/scale/pg-restart.test.ts) takes it exclusively, so it
 * never pulls the server from under another file running in parallel. Returns the release.
 */
export async function claimPgShared(): Promise<() => void> {
  mkdirSync(LOCK_DIR, { recursive: true });
  for (;;) {
    while (exclusiveHeld()) await sleep(200);
    const marker = join(LOCK_DIR, `shared-${process.pid}-${randomBytes(4).toString('hex')}`);
    writeFileSync(marker, '');
    if (!exclusiveHeld()) return () => rmSync(marker, { force: true });
    rmSync(marker, { force: true });
  }
}

export async function claimPgExclusive(timeoutMs = 600_000): Promise<() => void> {
  mkdirSync(LOCK_DIR, { recursive: true });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(EXCLUSIVE);
      writeFileSync(join(EXCLUSIVE, 'pid'), String(process.pid));
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      if (Date.now() > deadline) throw new Error('timed out waiting for the PostgreSQL exclusive claim', { cause: e });
      exclusiveHeld(); // clears a dead holder's claim
      await sleep(200);
    }
  }
  while (liveHolders('shared-').length > 0) {
    if (Date.now() > deadline) {
      rmSync(EXCLUSIVE, { force: true, recursive: true });
      throw new Error('timed out waiting for other PostgreSQL tests to finish');
    }
    await sleep(200);
  }
  return () => rmSync(EXCLUSIVE, { force: true, recursive: true });
}
