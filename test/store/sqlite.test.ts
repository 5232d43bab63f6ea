/**
 * The SQLite backend: the shared conformance suite, then what only SQLite has (files,
 * WAL, migrations bookkeeping, two connections on one file).
 */
import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { countingStore } from '../../src/store/counting.js';
import { deviceIdOf } from '../../src/store/device-id.js';
import { Db } from '../../src/store/sqlite/db.js';
import { appliedVersions, createSqliteStore, DATABASE_FILE, MIGRATIONS, runMigrations } from '../../src/store/sqlite/index.js';
import type { SessionCommit, Store } from '../../src/store/types.js';
import { runConformance } from './conformance/index.js';

const sqliteFactory = async () => {
  const dir = await mkdtemp(join(tmpdir(), 'flotilla-store-'));
  const store = await createSqliteStore({ dataDir: dir });
  return {
    store,
    cleanup: async () => {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
};
runConformance('sqlite', sqliteFactory);
// The same suite with discovered trees kept in sections (src/store/sqlite/sections.ts).
runConformance('sqlite, tree sections', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'flotilla-store-sections-'));
  const store = await createSqliteStore({ dataDir: dir, treeSections: true });
  return {
    store,
    cleanup: async () => {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

const T0 = 1_700_000_000_000;
const ID = deviceIdOf({ oui: '00D09E', productClass: 'IGD', serialNumber: 'S1' });

function periodic(at: number, params: [string, string][], over: Partial<SessionCommit> = {}): SessionCommit {
  return {
    deviceId: ID,
    lockOwner: 'a',
    identity: { manufacturer: 'Acme', oui: '00D09E', productClass: 'IGD', serialNumber: 'S1' },
    informAt: at,
    events: [{ eventCode: '2 PERIODIC', commandKey: '' }],
    parameterOps: [{ op: 'setValues', at, touch: false, params: params.map(([name, value]) => ({ name, value, type: 'xsd:string' })) }],
    requestOutcomes: [],
    cpeMessages: [],
    log: { deviceId: ID, startedAt: at, endedAt: at, events: [], rpcs: [], cpeRequests: [], outcome: 'ok', linkedRequests: [] },
    releaseLock: true,
    ...over,
  };
}

describe('SQLite backend', () => {
  let dir: string;
  const opened: Store[] = [];
  const openStore = async (
    opts: { file?: string; sessionsPerDevice?: number; cpeMessagesPerDevice?: number; busyTimeoutMs?: number } = {},
  ) => {
    const s = await createSqliteStore({ dataDir: dir, ...opts });
    opened.push(s);
    return s;
  };
  const raw = () => new Database(join(dir, DATABASE_FILE));

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'flotilla-sqlite-'));
  });
  afterEach(async () => {
    for (const s of opened.splice(0)) await s.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('creates <dataDir>/flotilla.db in WAL mode', async () => {
    await openStore();
    const db = raw();
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });

  it('records each migration once; reopening applies nothing', async () => {
    await openStore();
    const db = raw();
    const rows = () => db.prepare('SELECT version, name, applied_at FROM schema_migrations ORDER BY version').all();
    const first = rows();
    expect(first.map((r) => (r as { version: number }).version)).toEqual(MIGRATIONS.map((m) => m.version));
    const again = await openStore();
    await again.migrate();
    expect(rows()).toEqual(first);
    db.close();
  });

  it('upgrades a database left at an older version, keeping its data', async () => {
    // A database as the release with only migration 1 left it …
    const old = new Db(join(dir, DATABASE_FILE));
    runMigrations(old, MIGRATIONS.slice(0, 1), T0);
    old.raw.prepare(`INSERT INTO devices VALUES ('d', 'm', 'o', '', 's', 1, 2, NULL, NULL, '[]')`).run();
    // … opened by a release with one more migration.
    const next = [...MIGRATIONS, { version: 999, name: 'test: add a column', up: 'ALTER TABLE devices ADD COLUMN note TEXT' }];
    expect(runMigrations(old, next, T0 + 1)).toEqual([...MIGRATIONS.slice(1).map((m) => m.version), 999]);
    expect(runMigrations(old, next, T0 + 2)).toEqual([]);
    expect(appliedVersions(old)).toEqual([...MIGRATIONS.map((m) => m.version), 999]);
    expect(old.raw.prepare('SELECT id, note FROM devices').all()).toEqual([{ id: 'd', note: null }]);
    old.close();
  });

  it('migration 65 gives existing tokens and users no capability, keeps their sessions, and refuses a column that is not a list', async () => {
    const before65 = MIGRATIONS.filter((m) => m.version < 65);
    const old = new Db(join(dir, DATABASE_FILE));
    runMigrations(old, before65, T0);
    old.raw.exec(`PRAGMA foreign_keys = ON`);
    old.raw.prepare(`INSERT INTO api_tokens (id, name, role, lookup, hash, created_at) VALUES ('t', 'ops', 'operator', 'aaaa', 'h', 1)`).run();
    old.raw.prepare(`INSERT INTO users (id, name, role, source, created_at, updated_at) VALUES ('u', 'olga', 'operator', 'local', 1, 1)`).run();
    old.raw.prepare(`INSERT INTO user_sessions (id, user_id, created_at, expires_at, source) VALUES ('s', 'u', 1, ${T0 * 2}, '127.0.0.1')`).run();
    old.close();
    const store = await openStore();
    expect((await store.findApiToken('aaaa'))?.capabilities).toEqual([]);
    expect((await store.getUser('u'))?.capabilities).toEqual([]);
    expect((await store.findUserSession('s', T0))?.user.name).toBe('olga');
    const db = raw();
    expect(() => db.prepare(`UPDATE users SET capabilities = '"provision"' WHERE id = 'u'`).run()).toThrow(/CHECK/);
    expect(() => db.prepare(`UPDATE api_tokens SET capabilities = 'nonsense' WHERE id = 't'`).run()).toThrow();
    db.close();
  });

  it('brings a version-1 database to the current schema when a store opens it', async () => {
    const v1 = new Db(join(dir, DATABASE_FILE));
    expect(runMigrations(v1, MIGRATIONS.slice(0, 1), T0)).toEqual([1]);
    v1.raw.prepare(`INSERT INTO devices VALUES ('d-1', 'm', 'o', '', 's', 1, 2, NULL, NULL, '[]')`).run();
    v1.close();
    const store = await openStore();
    expect((await store.getDevice('d-1'))?.lastInform).toBe(2);
    const db = raw();
    expect(db.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all()).toEqual(MIGRATIONS.map((m) => m.version));
    expect(db.prepare(`SELECT name FROM sqlite_master WHERE name = 'parameters_by_value'`).all()).toEqual([]);
    db.close();
  });

  it('refuses a database written by a newer release', async () => {
    const db = new Db(join(dir, DATABASE_FILE));
    runMigrations(db, [...MIGRATIONS, { version: 1000, name: 'future', up: 'SELECT 1' }]);
    db.close();
    await expect(createSqliteStore({ dataDir: dir })).rejects.toThrow(/newer/);
  });

  it('rejects a migration list out of order', () => {
    const db = new Db(':memory:');
    expect(() => runMigrations(db, [MIGRATIONS[0]!, { ...MIGRATIONS[0]!, name: 'dup' }])).toThrow(/order/);
    db.close();
  });

  it('an idle periodic session rewrites no parameter row', async () => {
    const store = await openStore();
    const params: [string, string][] = Array.from({ length: 12 }, (_, i) => [`Device.P${i}`, `v${i}`]);
    await store.openSession({ deviceId: ID, lockOwner: 'a', lockTtlMs: 1000, now: T0 });
    await store.commitSession(periodic(T0, params));
    // Count row writes on parameters from outside the store, with a trigger.
    const db = raw();
    db.exec(`CREATE TABLE writes (n INTEGER);
      INSERT INTO writes VALUES (0);
      CREATE TRIGGER count_upd AFTER UPDATE ON parameters BEGIN UPDATE writes SET n = n + 1; END;
      CREATE TRIGGER count_ins AFTER INSERT ON parameters BEGIN UPDATE writes SET n = n + 1; END;`);
    const writes = () => (db.prepare('SELECT n FROM writes').get() as { n: number }).n;
    await store.openSession({ deviceId: ID, lockOwner: 'a', lockTtlMs: 1000, now: T0 + 1 });
    await store.commitSession(periodic(T0 + 1, params));
    expect(writes()).toBe(0);
    params[3] = ['Device.P3', 'changed'];
    await store.openSession({ deviceId: ID, lockOwner: 'a', lockTtlMs: 1000, now: T0 + 2 });
    await store.commitSession(periodic(T0 + 2, params));
    expect(writes()).toBe(1);
    db.close();
  });

  it('an idle periodic session costs two round trips', async () => {
    const store = countingStore(await openStore());
    await store.openSession({ deviceId: ID, lockOwner: 'a', lockTtlMs: 1000, now: T0 });
    await store.commitSession(periodic(T0, [['Device.a', '1']]));
    expect(store.roundTrips()).toBe(2);
    expect(store.byMethod()).toEqual({ openSession: 1, commitSession: 1 });
    store.reset();
    expect(store.roundTrips()).toBe(0);
  });

  it('two stores on one file share locks and data (as two processes would)', async () => {
    const s1 = await openStore();
    const s2 = await openStore();
    expect((await s1.openSession({ deviceId: ID, lockOwner: 'p1', lockTtlMs: 1000, now: T0 })).lock).toBe('acquired');
    expect((await s2.openSession({ deviceId: ID, lockOwner: 'p2', lockTtlMs: 1000, now: T0 })).lock).toBe('busy');
    await s1.commitSession(periodic(T0, [['Device.a', '1']], { lockOwner: 'p1' }));
    expect((await s2.getDevice(ID))?.parameters.map((p) => p.value)).toEqual(['1']);
    expect((await s2.openSession({ deviceId: ID, lockOwner: 'p2', lockTtlMs: 1000, now: T0 + 1 })).lock).toBe('acquired');
  });

  it('waits busy_timeout for another process’s write transaction: gets through when it ends in time, else fails', async () => {
    const store = await openStore({ busyTimeoutMs: 20_000 });
    const impatient = await openStore({ busyTimeoutMs: 0 });
    // Another process takes the write lock, says so, and lets it go a little later.
    const holder = spawn(
      process.execPath,
      [
        '-e',
        `const D = require('better-sqlite3'); const db = new D(process.argv[1]);
         db.exec('BEGIN IMMEDIATE'); process.stdout.write('locked\\n');
         Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
         db.exec('ROLLBACK'); db.close();`,
        join(dir, DATABASE_FILE),
      ],
      { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const exited = once(holder, 'exit');
    await once(holder.stdout!, 'data');
    await expect(impatient.openSession({ deviceId: ID, lockOwner: 'b', lockTtlMs: 1000, now: T0 })).rejects.toThrow(/busy|locked/i);
    expect((await store.openSession({ deviceId: ID, lockOwner: 'a', lockTtlMs: 1000, now: T0 })).lock).toBe('acquired');
    expect((await exited)[0]).toBe(0);
  });

  it('caps the session log and CPE messages per device', async () => {
    const store = await openStore({ sessionsPerDevice: 3, cpeMessagesPerDevice: 2 });
    for (let i = 0; i < 6; i++) {
      await store.commitSession(
        periodic(T0 + i, [], {
          parameterOps: [],
          cpeMessages: [{ at: T0 + i, message: { method: 'GetRPCMethods' } }],
          log: { deviceId: ID, startedAt: T0 + i, endedAt: T0 + i, events: [], rpcs: [], cpeRequests: [], outcome: 'ok', linkedRequests: [] },
        }),
      );
    }
    expect((await store.listSessions(ID)).map((s) => s.startedAt)).toEqual([T0 + 5, T0 + 4, T0 + 3]);
    expect((await store.listCpeMessages(ID)).map((m) => m.at)).toEqual([T0 + 5, T0 + 4]);
  });

  it('accepts { file } and an in-memory database', async () => {
    const store = await openStore({ file: join(dir, 'nested', 'x.db') });
    await store.commitSession(periodic(T0, [['Device.a', '1']]));
    expect((await store.listDevices()).total).toBe(1);
    const mem = await createSqliteStore({ file: ':memory:' });
    expect((await mem.listDevices()).total).toBe(0);
    await mem.close();
  });
});
