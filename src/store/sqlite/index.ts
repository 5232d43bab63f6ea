/**
 * The SQLite backend of the Store (the default). The work lives in the sibling modules,
 * one per concern (../concerns/), with the same file names the PostgreSQL backend uses;
 * this file opens the database, runs the migrations and composes the concerns (../compose.ts).
 *
 * The driver is synchronous: each call runs to completion on the event loop, which for
 * SQLite is faster than a thread hop (a commit is microseconds to a few milliseconds).
 */
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { composeStore } from '../compose.js';
import { historyLimits } from '../session-writes.js';
import type { Store } from '../types.js';
import * as audit from './audit.js';
import * as campaigns from './campaigns.js';
import * as credentials from './credentials.js';
import { Db, type SqliteTuning } from './db.js';
import * as devices from './devices.js';
import * as files from './files.js';
import * as history from './history.js';
import * as policies from './policies.js';
import * as virtualParameters from './virtual-parameters.js';
import * as quirks from './quirks.js';
import { runMigrations } from './migrations.js';
import * as sessions from './sessions.js';
import * as subscribers from './subscribers.js';
import * as tasks from './tasks.js';
import * as tokens from './tokens.js';
import * as webhooks from './webhooks.js';
import * as series from './series.js';
import * as alarms from './alarms.js';
import * as users from './users.js';
import * as processes from './processes.js';

/** File name of the database inside `dataDir`. */
export const DATABASE_FILE = 'flotilla.db';

export type SqliteStoreOptions = ({ dataDir: string } | { file: string }) &
  SqliteTuning & {
    /** Session log entries kept per device (default 100). */
    sessionsPerDevice?: number;
    /** CPE→ACS messages kept per device (default 100). */
    cpeMessagesPerDevice?: number;
    /** Run migrations while opening (default true). */
    migrate?: boolean;
    /**
     * Keep a discovered tree in sections, documents per top-level object, instead of a row per
     * node (sections.ts; default false): a bootstrap writes far less, a read of a path still
     * in a section parses its section. Reads handle sections either way.
     */
    treeSections?: boolean;
  };

/** Open (creating if needed) `<dataDir>/flotilla.db`, or `file`, and bring its schema up to date. */
export async function createSqliteStore(opts: SqliteStoreOptions): Promise<Store> {
  const file = 'file' in opts ? opts.file : join(opts.dataDir, DATABASE_FILE);
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const db = new Db(file, opts);
  try {
    if (opts.migrate !== false) runMigrations(db);
  } catch (e) {
    db.close();
    throw e;
  }
  const limits = historyLimits(opts);
  return composeStore(
    db,
    { migrate: async () => void runMigrations(db), close: async () => db.close() },
    // One module per concern; the commit also needs the history caps.
    { ...devices, ...credentials, ...tasks, ...history, ...tokens, ...webhooks, ...audit, ...subscribers, ...policies, ...virtualParameters, ...campaigns, ...files, ...series, ...quirks, ...alarms, ...users, ...processes, commitSession: (h, c) => sessions.commitSession(h, c, limits, opts.treeSections === true) },
  );
}

export { MIGRATIONS, runMigrations, appliedVersions, type Migration } from './migrations.js';
