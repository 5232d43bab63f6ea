/**
 * Copy a whole store from one backend to another (`flotilla migrate --from … --to …`), then
 * prove the copy: row counts per table, and a checksum per device per table computed from
 * both sides in one pass.
 *
 * The copy is table by table at the row level, not through the Store interface (which would
 * re-stamp times and re-number tasks): every row of every table keyed by device, plus the
 * NBI's tokens, webhooks, webhook deliveries and the audit log, in key order, in batches. Rows travel in a neutral form —
 * booleans, numbers, strings, parsed JSON, string arrays — so SQLite's 0/1 and JSON text
 * become PostgreSQL's boolean, json and text[] and back. Session locks are not copied (a
 * store being migrated has no live sessions); row ids that only order rows (session log,
 * CPE messages) are re-assigned in the same order; searchable paths are re-declared on the
 * target, which builds their indexes after the load.
 *
 * The source is read in one snapshot; the target is written in ONE transaction, so a failed
 * copy leaves it empty, and it must be empty to start. Stop the ACS processes first: what
 * they write during the copy would not be in it (the verification would say so).
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { PgDb } from './postgres/db.js';
import { redactUrl } from './redact.js';
import { Db, type Params } from './sqlite/db.js';
import { DATABASE_FILE, runMigrations as runSqliteMigrations } from './sqlite/index.js';
import { setSearchablePaths as setSqliteSearchable } from './sqlite/search.js';
import { materializeAll } from './sqlite/sections.js';
import { storeKind } from './open.js';

type Kind = 'text' | 'int' | 'real' | 'bool' | 'json' | 'textArray';

export interface TableSpec {
  name: string;
  /** Copied columns (surrogate ids excluded). */
  columns: Record<string, Kind>;
  /** Key order for reading and checksums; the first column is the device (or the whole key). */
  key: string[];
  /** Key columns not copied (row ids that only keep order). */
  orderOnly?: string[];
  /** Checksums per device (tables keyed by device) or one for the table. */
  perDevice: boolean;
  /**
   * Columns that say where a backend keeps something rather than what it is (a file's bytes:
   * a directory next to SQLite, chunked rows in PostgreSQL). They are rewritten by the copy
   * (MigrateOptions.onFile) and left out of the checksums.
   */
  location?: string[];
}

/** Every table of the store's schema but schema_migrations, session_locks and search_paths. */
export const TABLES: readonly TableSpec[] = [
  {
    name: 'devices',
    columns: {
      id: 'text',
      manufacturer: 'text',
      oui: 'text',
      product_class: 'text',
      serial_number: 'text',
      first_inform: 'int',
      last_inform: 'int',
      last_boot: 'int',
      last_bootstrap: 'int',
      last_events: 'json',
    },
    key: ['id'],
    perDevice: true,
  },
  { name: 'device_tags', columns: { device_id: 'text', tag: 'text' }, key: ['device_id', 'tag'], perDevice: true },
  {
    name: 'parameters',
    columns: {
      device_id: 'text',
      path: 'text',
      object: 'bool',
      value: 'text',
      type: 'text',
      writable: 'bool',
      notification: 'int',
      access_list: 'textArray',
      value_at: 'int',
      names_at: 'int',
      attributes_at: 'int',
    },
    key: ['device_id', 'path'],
    perDevice: true,
  },
  {
    name: 'cpe_credentials',
    columns: {
      device_id: 'text',
      username: 'text',
      realm: 'text',
      ha1: 'text',
      connection_request: 'json',
      pending: 'json',
      factory: 'json',
      bootstrap_until: 'int',
      rotate_requested: 'bool',
      issued_at: 'int',
    },
    key: ['device_id'],
    perDevice: true,
  },
  {
    name: 'tasks',
    columns: {
      device_id: 'text',
      id: 'text',
      seq: 'int',
      type: 'text',
      task: 'json',
      command_key: 'text',
      state: 'text',
      response: 'json',
      fault: 'json',
      attempts: 'int',
      connection_request: 'json',
      created_at: 'int',
      updated_at: 'int',
      expires_at: 'int',
    },
    key: ['device_id', 'id'],
    perDevice: true,
  },
  {
    name: 'session_log',
    columns: {
      device_id: 'text',
      started_at: 'int',
      ended_at: 'int',
      events: 'json',
      rpcs: 'json',
      cpe_requests: 'json',
      outcome: 'text',
      linked_requests: 'json',
    },
    key: ['device_id', 'id'],
    orderOnly: ['id'],
    perDevice: true,
  },
  {
    name: 'cpe_messages',
    columns: { device_id: 'text', at: 'int', message: 'json' },
    key: ['device_id', 'id'],
    orderOnly: ['id'],
    perDevice: true,
  },
  {
    name: 'api_tokens',
    columns: { id: 'text', name: 'text', role: 'text', lookup: 'text', hash: 'text', created_at: 'int', last_used_at: 'int', scope: 'text', capabilities: 'text' },
    key: ['id'],
    perDevice: false,
  },
  {
    name: 'webhooks',
    columns: { id: 'text', url: 'text', secret: 'text', events: 'json', created_at: 'int', scope: 'text' },
    key: ['id'],
    perDevice: false,
  },
  // After webhooks: each row references its webhook. Pending ones are sent by the target's
  // ACS (leases copied as they are; a stopped source holds none that matter for long).
  {
    name: 'webhook_deliveries',
    columns: {
      id: 'text',
      webhook_id: 'text',
      event: 'json',
      attempts: 'int',
      state: 'text',
      next_at: 'int',
      lease_until: 'int',
      last_error: 'text',
      created_at: 'int',
      updated_at: 'int',
    },
    key: ['id'],
    perDevice: false,
  },
  // Subscribers first: everything below references one.
  {
    name: 'subscribers',
    columns: { id: 'text', external_id: 'text', name: 'text', search: 'text', contact: 'json', services: 'json', revision: 'int', created_at: 'int', updated_at: 'int' },
    key: ['id'],
    perDevice: false,
  },
  {
    name: 'subscriber_devices',
    columns: {
      id: 'text',
      subscriber_id: 'text',
      device_id: 'text',
      claim_kind: 'text',
      claim_value: 'text',
      replaces: 'text',
      applied_revision: 'int',
      statuses: 'json',
      created_at: 'int',
      bound_at: 'int',
    },
    key: ['id'],
    perDevice: false,
  },
  {
    name: 'subscriber_history',
    columns: { subscriber_id: 'text', at: 'int', action: 'text', device_id: 'text', detail: 'text' },
    key: ['subscriber_id', 'seq'],
    orderOnly: ['seq'],
    perDevice: false,
  },
  { name: 'service_templates', columns: { id: 'text', definition: 'json', updated_at: 'int' }, key: ['id'], perDevice: false },
  {
    name: 'activation_codes',
    columns: { hash: 'text', subscriber_id: 'text', expires_at: 'int', used_at: 'int', created_at: 'int' },
    key: ['hash'],
    perDevice: false,
  },
  {
    name: 'subscriber_tokens',
    columns: { id: 'text', subscriber_id: 'text', name: 'text', lookup: 'text', hash: 'text', created_at: 'int' },
    key: ['id'],
    perDevice: false,
  },
  // Append-only on both sides: copied in order, ids re-assigned in the same order.
  {
    name: 'audit_log',
    columns: {
      at: 'int',
      actor_kind: 'text',
      actor_id: 'text',
      actor_name: 'text',
      source: 'text',
      action: 'text',
      target: 'text',
      status: 'int',
      before_json: 'text',
      after_json: 'text',
    },
    key: ['id'],
    orderOnly: ['id'],
    perDevice: false,
  },
  {
    name: 'quirk_profiles',
    columns: { id: 'text', name: 'text', source: 'text', match: 'json', settings: 'json', evidence: 'json', enabled: 'bool', created_at: 'int', updated_at: 'int' },
    key: ['id'],
    perDevice: false,
  },
  {
    name: 'policies',
    columns: { id: 'text', name: 'text', priority: 'int', revision: 'int', definition: 'json', author: 'text', created_at: 'int', updated_at: 'int' },
    key: ['id'],
    perDevice: false,
  },
  {
    name: 'policy_revisions',
    columns: { policy_id: 'text', revision: 'int', definition: 'json', author: 'text', at: 'int' },
    key: ['policy_id', 'revision'],
    perDevice: false,
  },
  {
    name: 'policy_compliance',
    columns: { device_id: 'text', policy_id: 'text', revision: 'int', state: 'text', fault: 'json', at: 'int' },
    key: ['device_id', 'policy_id'],
    perDevice: true,
  },
  { name: 'device_policy', columns: { device_id: 'text', memo: 'text' }, key: ['device_id'], perDevice: true },
  {
    name: 'virtual_parameters',
    columns: { name: 'text', revision: 'int', definition: 'json', author: 'text', created_at: 'int', updated_at: 'int' },
    key: ['name'],
    perDevice: false,
  },
  // Campaigns before their device rows (which reference them); leases copied as they are.
  {
    name: 'campaigns',
    columns: {
      id: 'text',
      name: 'text',
      file_id: 'text',
      definition: 'json',
      target: 'json',
      state: 'text',
      reason: 'text',
      wave: 'int',
      wave_sizes: 'json',
      ack_failed: 'int',
      resumed_at: 'int',
      revision: 'int',
      author: 'text',
      next_at: 'int',
      lease_owner: 'text',
      lease_until: 'int',
      created_at: 'int',
      updated_at: 'int',
    },
    key: ['id'],
    perDevice: false,
  },
  {
    name: 'campaign_devices',
    columns: {
      device_id: 'text',
      campaign_id: 'text',
      seq: 'int',
      wave: 'int',
      state: 'text',
      reason: 'text',
      fault: 'json',
      task_id: 'text',
      attempts: 'int',
      from_version: 'text',
      zone: 'text',
      scheduled_at: 'int',
      downloading_at: 'int',
      finished_at: 'int',
      updated_at: 'int',
    },
    key: ['device_id', 'campaign_id'],
    perDevice: true,
  },
  {
    name: 'samples',
    columns: { device_id: 'text', path: 'text', at: 'int', value: 'text', num: 'real', rate: 'real', metric: 'real', source: 'text' },
    key: ['device_id', 'path', 'at'],
    perDevice: true,
  },
  {
    name: 'sample_hours',
    columns: { device_id: 'text', path: 'text', hour: 'int', n: 'int', min: 'real', max: 'real', sum: 'real' },
    key: ['device_id', 'path', 'hour'],
    perDevice: true,
  },
  { name: 'series_state', columns: { key: 'text', value: 'int' }, key: ['key'], perDevice: false },
  {
    name: 'alarm_rules',
    columns: { id: 'text', name: 'text', enabled: 'bool', severity: 'text', definition: 'json', builtin: 'bool', created_at: 'int', updated_at: 'int' },
    key: ['id'],
    perDevice: false,
  },
  {
    name: 'alarms',
    columns: {
      id: 'text',
      rule_id: 'text',
      device_id: 'text',
      state: 'text',
      severity: 'text',
      text: 'text',
      raised_at: 'int',
      updated_at: 'int',
      cleared_at: 'int',
      acknowledged_at: 'int',
      acknowledged_by: 'text',
      count: 'int',
    },
    key: ['id'],
    perDevice: false,
  },
  {
    name: 'alarm_history',
    columns: { alarm_id: 'text', at: 'int', action: 'text', severity: 'text', text: 'text', actor: 'text' },
    key: ['alarm_id', 'seq'],
    orderOnly: ['seq'],
    perDevice: false,
  },
  {
    name: 'users',
    columns: {
      id: 'text',
      name: 'text',
      role: 'text',
      source: 'text',
      password_hash: 'text',
      totp_secret: 'text',
      totp_pending: 'text',
      totp_last_step: 'int',
      disabled: 'bool',
      failed_attempts: 'int',
      locked_until: 'int',
      scope: 'text',
      capabilities: 'text',
      last_sign_in_at: 'int',
      created_at: 'int',
      updated_at: 'int',
    },
    key: ['id'],
    perDevice: false,
  },
  {
    name: 'sampling_profiles',
    columns: { id: 'text', name: 'text', enabled: 'bool', interval_seconds: 'int', definition: 'json', created_at: 'int', updated_at: 'int' },
    key: ['id'],
    perDevice: false,
  },
  {
    name: 'files',
    columns: {
      id: 'text',
      name: 'text',
      file_type: 'text',
      version: 'text',
      size: 'int',
      sha256: 'text',
      target_file_name: 'text',
      applicability: 'json',
      storage: 'text',
      chunk_size: 'int',
      device_id: 'text',
      created_at: 'int',
    },
    key: ['id'],
    perDevice: false,
    location: ['storage', 'chunk_size'],
  },
  {
    name: 'file_transfers',
    columns: {
      at: 'int',
      device_id: 'text',
      file_id: 'text',
      method: 'text',
      status: 'int',
      bytes: 'int',
      outcome: 'text',
      auth: 'text',
      remote: 'text',
      command_key: 'text',
      duration_ms: 'int',
    },
    key: ['at', 'id'],
    orderOnly: ['id'],
    perDevice: false,
  },
];

/**
 * Tables a store has that are deliberately not copied as rows. user_sessions: people sign in
 * again on the new store. file_chunks: file content
 * (gigabytes of bytes, not rows to batch as JSON) is streamed file by file by
 * MigrateOptions.onFile (`flotilla migrate` passes src/cli/migrate-files.ts), into wherever
 * the target keeps bytes.
 */
export const NOT_COPIED = ['schema_migrations', 'session_locks', 'acs_processes', 'search_paths', 'file_chunks', 'alarm_counts', 'user_sessions'];
/**
 * Tables only SQLite has. tree_docs and tree_bases (sqlite/sections.ts): a SQLite
 * source's sections are turned back into rows when it is opened, so the trees copy as
 * `parameters` rows.
 */
export const SQLITE_ONLY = ['tree_docs', 'tree_bases'];

type Row = Record<string, unknown>;

/** One end of a migration. Reads are in key order; writes happen between begin and commit. */
interface Side {
  readonly label: string;
  /** Up to `limit` rows with key greater than `after` (null: from the start). */
  read(t: TableSpec, after: unknown[] | null, limit: number): Promise<Row[]>;
  count(t: TableSpec): Promise<number>;
  searchablePaths(): Promise<string[]>;
  beginRead(): Promise<void>;
  endRead(): Promise<void>;
  beginWrite(): Promise<void>;
  write(t: TableSpec, rows: Row[]): Promise<void>;
  commitWrite(): Promise<void>;
  rollbackWrite(): Promise<void>;
  setSearchablePaths(paths: string[]): Promise<void>;
  close(): Promise<void>;
}

const selected = (t: TableSpec): string[] => [...Object.keys(t.columns), ...(t.orderOnly ?? [])];

/** Keyset predicate "(k1, k2) > (?, ?)" with the backend's placeholders. */
function after(t: TableSpec, placeholder: (i: number) => string): string {
  return `(${t.key.join(', ')}) > (${t.key.map((_, i) => placeholder(i)).join(', ')})`;
}

class SqliteSide implements Side {
  readonly label: string;
  readonly #db: Db;

  constructor(dir: string) {
    this.label = `sqlite:${dir}`;
    this.#db = new Db(join(dir, DATABASE_FILE));
    runSqliteMigrations(this.#db);
    // Lossless: every read of the tree answers the same before and after.
    materializeAll(this.#db);
  }

  async read(t: TableSpec, from: unknown[] | null, limit: number): Promise<Row[]> {
    const where = from === null ? '' : `WHERE ${after(t, (i) => `@k${i}`)}`;
    const params: Params = { limit };
    from?.forEach((v, i) => (params[`k${i}`] = v as string | number));
    const rows = this.#db.all(`SELECT ${selected(t).join(', ')} FROM ${t.name} ${where} ORDER BY ${t.key.join(', ')} LIMIT @limit`, params);
    return rows.map((r) => fromSqlite(t, r));
  }

  async count(t: TableSpec): Promise<number> {
    return this.#db.get<{ n: number }>(`SELECT count(*) AS n FROM ${t.name}`)!.n;
  }

  async searchablePaths(): Promise<string[]> {
    return this.#db.all<{ path: string }>('SELECT path FROM search_paths ORDER BY path').map((r) => r.path);
  }

  async beginRead(): Promise<void> {
    this.#db.raw.exec('BEGIN');
  }

  async endRead(): Promise<void> {
    if (this.#db.raw.inTransaction) this.#db.raw.exec('COMMIT');
  }

  async beginWrite(): Promise<void> {
    this.#db.raw.exec('BEGIN IMMEDIATE');
  }

  async write(t: TableSpec, rows: Row[]): Promise<void> {
    const cols = Object.keys(t.columns);
    const sql = `INSERT INTO ${t.name} (${cols.join(', ')}) VALUES (${cols.map((c) => `@${c}`).join(', ')})`;
    for (const r of rows) this.#db.run(sql, toSqlite(t, r));
  }

  async commitWrite(): Promise<void> {
    this.#db.raw.exec('COMMIT');
  }

  async rollbackWrite(): Promise<void> {
    if (this.#db.raw.inTransaction) this.#db.raw.exec('ROLLBACK');
  }

  async setSearchablePaths(paths: string[]): Promise<void> {
    setSqliteSearchable(this.#db, paths);
  }

  async close(): Promise<void> {
    this.#db.close();
  }
}

class PostgresSide implements Side {
  readonly label: string;
  readonly #db: PgDb;
  #client: import('pg').PoolClient | null = null;
  #release: (err?: Error) => void = () => undefined;

  private constructor(url: string, db: PgDb) {
    this.label = redactUrl(url);
    this.#db = db;
  }

  static async open(url: string): Promise<PostgresSide> {
    // Imported only when a postgres:// location asks for it (with the `pg` driver).
    const { PgDb, runMigrations } = await import('./postgres/index.js');
    const db = new PgDb(url, { poolSize: 2, statementTimeoutMs: 0 });
    try {
      await runMigrations(db);
    } catch (e) {
      await db.close();
      throw new Error(`${redactUrl(url)}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
    return new PostgresSide(url, db);
  }

  async #query(sql: string, params: unknown[] = []): Promise<Row[]> {
    if (this.#client !== null) return (await this.#client.query(sql, params)).rows as Row[];
    return this.#db.queryUnprepared(sql, params);
  }

  async read(t: TableSpec, from: unknown[] | null, limit: number): Promise<Row[]> {
    const params: unknown[] = [limit, ...(from ?? [])];
    const where = from === null ? '' : `WHERE ${after(t, (i) => `$${i + 2}`)}`;
    const rows = await this.#query(`SELECT ${selected(t).join(', ')} FROM ${t.name} ${where} ORDER BY ${t.key.join(', ')} LIMIT $1`, params);
    return rows.map((r) => fromPostgres(t, r));
  }

  async count(t: TableSpec): Promise<number> {
    const [row] = await this.#query(`SELECT count(*) AS n FROM ${t.name}`);
    return Number(row!.n);
  }

  async searchablePaths(): Promise<string[]> {
    return (await this.#query('SELECT path FROM search_paths ORDER BY path')).map((r) => r.path as string);
  }

  async beginRead(): Promise<void> {
    const held = await this.#db.checkout();
    this.#client = held.client;
    this.#release = held.release;
    await this.#client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  }

  async endRead(): Promise<void> {
    await this.#finish('COMMIT');
  }

  async beginWrite(): Promise<void> {
    const held = await this.#db.checkout();
    this.#client = held.client;
    this.#release = held.release;
    await this.#client.query('BEGIN');
  }

  async write(t: TableSpec, rows: Row[]): Promise<void> {
    if (rows.length === 0) return;
    const cols = Object.keys(t.columns).join(', ');
    await this.#query(`INSERT INTO ${t.name} (${cols}) SELECT ${cols} FROM json_populate_recordset(NULL::${t.name}, $1::json)`, [
      JSON.stringify(rows.map((r) => toPostgres(t, r))),
    ]);
  }

  async commitWrite(): Promise<void> {
    // New tasks must sort after the copied ones of their device.
    await this.#query(`SELECT setval('tasks_seq', greatest((SELECT max(seq) FROM tasks), 1))`);
    await this.#finish('COMMIT');
  }

  async rollbackWrite(): Promise<void> {
    await this.#finish('ROLLBACK');
  }

  async #finish(sql: string): Promise<void> {
    const client = this.#client;
    if (client === null) return;
    this.#client = null;
    let broken: Error | undefined;
    try {
      await client.query(sql);
    } catch (e) {
      broken = e instanceof Error ? e : new Error(String(e));
      throw e;
    } finally {
      this.#release(broken);
    }
  }

  async setSearchablePaths(paths: string[]): Promise<void> {
    const { setSearchablePaths } = await import('./postgres/search.js');
    await setSearchablePaths(this.#db, paths);
  }

  async close(): Promise<void> {
    await this.#finish('ROLLBACK').catch(() => undefined);
    await this.#db.close();
  }
}

// --- the neutral row form ---------------------------------------------------------------

function fromSqlite(t: TableSpec, r: Row): Row {
  const out: Row = {};
  for (const [col, kind] of Object.entries(t.columns)) {
    const v = r[col];
    if (v === null || v === undefined) out[col] = null;
    else if (kind === 'bool') out[col] = v !== 0;
    else if (kind === 'json' || kind === 'textArray') out[col] = JSON.parse(v as string);
    else out[col] = v;
  }
  for (const col of t.orderOnly ?? []) out[col] = r[col];
  return out;
}

function toSqlite(t: TableSpec, r: Row): Params {
  const out: Params = {};
  for (const [col, kind] of Object.entries(t.columns)) {
    const v = r[col];
    if (v === null || v === undefined) out[col] = null;
    else if (kind === 'bool') out[col] = v === true ? 1 : 0;
    else if (kind === 'json' || kind === 'textArray') out[col] = JSON.stringify(v);
    else out[col] = v as string | number;
  }
  return out;
}

function fromPostgres(t: TableSpec, r: Row): Row {
  const out: Row = {};
  for (const [col, kind] of Object.entries(t.columns)) {
    const v = r[col];
    out[col] = v === undefined ? null : (kind === 'int' || kind === 'real') && v !== null ? Number(v) : v;
  }
  for (const col of t.orderOnly ?? []) out[col] = r[col] === null ? null : Number(r[col]);
  return out;
}

function toPostgres(t: TableSpec, r: Row): Row {
  const out: Row = {};
  for (const col of Object.keys(t.columns)) out[col] = r[col] ?? null;
  return out;
}

/** Both backends order keys by bytes (SQLite BINARY, PostgreSQL COLLATE "C"); so must the merge. */
const byteOrder = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

/** One line per row, the copied columns in spec order: what both sides must agree on. */
const canonical = (t: TableSpec, r: Row): string =>
  JSON.stringify(
    Object.keys(t.columns)
      .filter((c) => t.location?.includes(c) !== true)
      .map((c) => r[c] ?? null),
  );

// --- copy and verify --------------------------------------------------------------------

async function openSide(location: string, dataDir?: string): Promise<Side> {
  if (storeKind(location) === 'postgres') return PostgresSide.open(location);
  const dir = location.startsWith('sqlite:') ? location.slice('sqlite:'.length) : dataDir;
  if (dir === undefined || dir === '') throw new Error(`not a store location: ${location} (use sqlite:<dir> or postgres://…)`);
  return new SqliteSide(dir);
}

async function* scan(side: Side, t: TableSpec, batch: number): AsyncGenerator<Row> {
  let last: unknown[] | null = null;
  for (;;) {
    const rows = await side.read(t, last, batch);
    for (const r of rows) yield r;
    if (rows.length < batch) return;
    const end = rows.at(-1)!;
    last = t.key.map((k) => end[k]);
  }
}

/** (device or "*", digest, rows) per device in key order. */
async function* digests(side: Side, t: TableSpec, batch: number): AsyncGenerator<{ device: string; digest: string; rows: number }> {
  let device: string | null = null;
  let hash = createHash('sha256');
  let rows = 0;
  for await (const r of scan(side, t, batch)) {
    const d = t.perDevice ? String(r[t.key[0]!]) : '*';
    if (device !== null && d !== device) {
      yield { device, digest: hash.digest('hex'), rows };
      hash = createHash('sha256');
      rows = 0;
    }
    device = d;
    hash.update(canonical(t, r)).update('\n');
    rows++;
  }
  if (device !== null) yield { device, digest: hash.digest('hex'), rows };
}

export interface TableReport {
  table: string;
  source: number;
  target: number;
  /** Devices (or "*" for a whole table) whose rows differ; at most 20 listed. */
  mismatches: string[];
  mismatchCount: number;
}

export interface VerifyReport {
  ok: boolean;
  tables: TableReport[];
  searchablePaths: { source: string[]; target: string[] };
}

export interface MigrateReport extends VerifyReport {
  from: string;
  to: string;
  copied: Record<string, number>;
  ms: number;
}

export interface MigrateOptions {
  batchSize?: number;
  /** Where `sqlite:` without a directory points (unused for explicit locations). */
  dataDir?: string;
  onProgress?: (message: string) => void;
  /**
   * Called for each file's row before it is written to the target: copy the file's bytes to
   * where the target keeps them and say where that is. Without it the rows are copied as they
   * are (and the bytes are not: `storage: 'dir'` rows then point into the source's directory).
   * A throw aborts the copy (the target's rows roll back).
   */
  onFile?: (file: MigratedFile) => Promise<{ storage: string; chunkSize: number }>;
}

/** What a files row tells the content mover (src/cli/migrate-files.ts). */
export interface MigratedFile {
  id: string;
  name: string;
  size: number;
  sha256: string;
  storage: string;
  chunkSize: number;
}

async function compare(source: Side, target: Side, batch: number): Promise<VerifyReport> {
  const tables: TableReport[] = [];
  await source.beginRead();
  await target.beginRead();
  try {
    for (const t of TABLES) {
      const report: TableReport = { table: t.name, source: await source.count(t), target: await target.count(t), mismatches: [], mismatchCount: 0 };
      const miss = (device: string) => {
        report.mismatchCount++;
        if (report.mismatches.length < 20) report.mismatches.push(device);
      };
      const a = digests(source, t, batch);
      const b = digests(target, t, batch);
      let x = await a.next();
      let y = await b.next();
      while (!x.done || !y.done) {
        if (y.done || (!x.done && byteOrder(x.value.device, y.value.device) < 0)) {
          miss(x.value!.device);
          x = await a.next();
        } else if (x.done || byteOrder(y.value.device, x.value.device) < 0) {
          miss(y.value.device);
          y = await b.next();
        } else {
          if (x.value.digest !== y.value.digest) miss(x.value.device);
          x = await a.next();
          y = await b.next();
        }
      }
      tables.push(report);
    }
    const searchablePaths = { source: await source.searchablePaths(), target: await target.searchablePaths() };
    const ok =
      tables.every((t) => t.source === t.target && t.mismatchCount === 0) &&
      JSON.stringify(searchablePaths.source) === JSON.stringify(searchablePaths.target);
    return { ok, tables, searchablePaths };
  } finally {
    await source.endRead();
    await target.endRead();
  }
}

/** Compare two stores table by table and device by device. */
export async function verifyStores(from: string, to: string, opts: MigrateOptions = {}): Promise<VerifyReport> {
  const source = await openSide(from, opts.dataDir);
  try {
    const target = await openSide(to, opts.dataDir);
    try {
      return await compare(source, target, opts.batchSize ?? 5000);
    } finally {
      await target.close();
    }
  } finally {
    await source.close();
  }
}

export async function migrateStore(from: string, to: string, opts: MigrateOptions = {}): Promise<MigrateReport> {
  const started = Date.now();
  const batch = Math.max(1, Math.floor(opts.batchSize ?? 5000));
  const say = opts.onProgress ?? (() => undefined);
  const source = await openSide(from, opts.dataDir);
  try {
    const target = await openSide(to, opts.dataDir);
    if (source.label === target.label) throw new Error('source and target are the same store');
    try {
      for (const t of TABLES) {
        const n = await target.count(t);
        if (n > 0) throw new Error(`target ${target.label} is not empty (${t.name}: ${n} rows); migrate into a new database`);
      }
      const copied: Record<string, number> = {};
      await source.beginRead();
      await target.beginWrite();
      try {
        for (const t of TABLES) {
          let n = 0;
          let rows: Row[] = [];
          for await (const r of scan(source, t, batch)) {
            if (t.name === 'files' && opts.onFile !== undefined) {
              const at = await opts.onFile({
                id: String(r.id),
                name: String(r.name),
                size: Number(r.size),
                sha256: String(r.sha256),
                storage: String(r.storage),
                chunkSize: Number(r.chunk_size),
              });
              r.storage = at.storage;
              r.chunk_size = at.chunkSize;
            }
            rows.push(r);
            if (rows.length >= batch) {
              await target.write(t, rows);
              n += rows.length;
              rows = [];
              say(`${t.name}: ${n} rows`);
            }
          }
          await target.write(t, rows);
          copied[t.name] = n + rows.length;
          say(`${t.name}: ${copied[t.name]} rows copied`);
        }
        await target.commitWrite();
      } catch (e) {
        await target.rollbackWrite();
        throw e;
      } finally {
        await source.endRead();
      }
      const paths = await source.searchablePaths();
      if (paths.length > 0) {
        say(`building ${paths.length} search index(es)`);
        await target.setSearchablePaths(paths);
      }
      say('verifying');
      const verified = await compare(source, target, batch);
      return { from: source.label, to: target.label, copied, ms: Date.now() - started, ...verified };
    } finally {
      await target.close();
    }
  } finally {
    await source.close();
  }
}
