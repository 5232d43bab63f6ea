/**
 * The PostgreSQL backend of the Store: many ACS processes on one database. The work lives
 * in the sibling modules, one per concern (../concerns/), with the same file names as the
 * SQLite backend; this file opens the pool, runs the migrations and composes the concerns.
 *
 * Every method is one statement — one network round trip and one transaction — so the
 * session path costs exactly two (openSession, commitSession) and the Store's contract
 * "each call is one round trip" holds literally. The exceptions are administrative:
 * migrate (one transaction of several statements) and setSearchablePaths (index builds).
 */
import { composeStore } from '../compose.js';
import { historyLimits } from '../session-writes.js';
import { redactUrl } from '../redact.js';
import type { Store } from '../types.js';
import * as audit from './audit.js';
import * as campaigns from './campaigns.js';
import * as credentials from './credentials.js';
import { PgDb, type PgTuning } from './db.js';
import * as devices from './devices.js';
import * as files from './files.js';
import * as history from './history.js';
import * as policies from './policies.js';
import * as virtualParameters from './virtual-parameters.js';
import * as quirks from './quirks.js';
import { runMigrations } from './migrations.js';
import * as sessions from './sessions.js';
import * as tasks from './tasks.js';
import * as tokens from './tokens.js';
import * as subscribers from './subscribers.js';
import * as webhooks from './webhooks.js';
import * as series from './series.js';
import * as alarms from './alarms.js';
import * as users from './users.js';
import * as processes from './processes.js';

export type PostgresStoreOptions = PgTuning & {
  /** postgres://user:password@host:port/database?… (libpq-style parameters such as sslmode work). */
  url: string;
  /** Session log entries kept per device (default 100). */
  sessionsPerDevice?: number;
  /** CPE→ACS messages kept per device (default 100). */
  cpeMessagesPerDevice?: number;
  /** Run migrations while opening (default true). */
  migrate?: boolean;
};

/** The PostgreSQL Store, with what tests and tools of this backend need besides. */
export type PostgresStore = Store & {
  /** Statements sent since opening: what benchmarks report next to round trips. */
  statements(): number;
  /** The pool, for tests and tools of this backend (migrate, benchmarks). */
  readonly db: PgDb;
};

/**
 * Connect to `url` and bring its schema up to date. Fails (naming the server, never the
 * password) when the database cannot be reached, so `flotilla serve` stops at start rather
 * than answering every CPE with a fault.
 */
export async function createPostgresStore(opts: PostgresStoreOptions): Promise<PostgresStore> {
  const db = new PgDb(opts.url, opts);
  try {
    if (opts.migrate !== false) await runMigrations(db);
    else await db.query('SELECT 1');
  } catch (e) {
    await db.close().catch(() => undefined);
    const reason = e instanceof Error ? e.message : String(e);
    throw new Error(`PostgreSQL store ${redactUrl(opts.url)}: ${reason}`, { cause: e });
  }
  const limits = historyLimits(opts);
  return composeStore(
    db,
    { migrate: async () => void (await runMigrations(db)), close: () => db.close() },
    // One module per concern; the commit also needs the history caps.
    { ...devices, ...credentials, ...tasks, ...history, ...tokens, ...webhooks, ...audit, ...subscribers, ...policies, ...virtualParameters, ...campaigns, ...files, ...series, ...quirks, ...alarms, ...users, ...processes, commitSession: (h, c) => sessions.commitSession(h, c, limits) },
    { statements: () => db.statements, db },
  );
}

export { MIGRATIONS, runMigrations, appliedVersions, type Migration } from './migrations.js';
export { PgDb, type PgTuning } from './db.js';
