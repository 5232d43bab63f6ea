/**
 * The PostgreSQL backend: the shared conformance suite against the real server, then what
 * only PostgreSQL has (migration bookkeeping across processes, locks taken by many pools at
 * once, statement counts, byte-order paths, surviving dropped connections). Each run uses
 * its own database, dropped after.
 */
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { countingStore } from '../../src/store/counting.js';
import { deviceIdOf } from '../../src/store/device-id.js';
import { openStore } from '../../src/store/open.js';
import {
  appliedVersions,
  createPostgresStore,
  MIGRATIONS,
  PgDb,
  runMigrations,
  type PostgresStore,
  type PostgresStoreOptions,
} from '../../src/store/postgres/index.js';
import type { SessionCommit } from '../../src/store/types.js';
import { deviceTasks, queueRpc } from '../helpers/queue.js';
import { runConformance } from './conformance/index.js';
import { claimPgShared, createTestDatabase, describePg, sql, truncateAll, type TestDatabase } from './pg-helpers.js';

const describeWithPg = await describePg();

const T0 = 1_700_000_000_000;
const ID = deviceIdOf({ oui: '00D09E', productClass: 'IGD', serialNumber: 'S1' });
const idOf = (i: number) => deviceIdOf({ oui: '00D09E', productClass: 'IGD', serialNumber: `S${i}` });

function periodic(at: number, params: [string, string][], over: Partial<SessionCommit> = {}): SessionCommit {
  const deviceId = over.deviceId ?? ID;
  return {
    deviceId,
    lockOwner: 'a',
    identity: { manufacturer: 'Acme', oui: '00D09E', productClass: 'IGD', serialNumber: deviceId.split('-')[2] ?? 'S1' },
    informAt: at,
    events: [{ eventCode: '2 PERIODIC', commandKey: '' }],
    parameterOps: [{ op: 'setValues', at, touch: false, params: params.map(([name, value]) => ({ name, value, type: 'xsd:string' })) }],
    requestOutcomes: [],
    cpeMessages: [],
    log: { deviceId, startedAt: at, endedAt: at, events: [], rpcs: [], cpeRequests: [], outcome: 'ok', linkedRequests: [] },
    releaseLock: true,
    ...over,
  };
}

let conformanceDb: TestDatabase | undefined;
let release: (() => void) | undefined;
beforeAll(async () => {
  if (describeWithPg !== describe.skip) release = await claimPgShared();
});
afterAll(async () => {
  await conformanceDb?.drop();
  release?.();
});

/** An empty, migrated store on this file's database (tables emptied between tests). */
async function pgFactory() {
  conformanceDb ??= await createTestDatabase();
  await truncateAll(conformanceDb.url);
  const store = await createPostgresStore({ url: conformanceDb.url, poolSize: 4 });
  return { store, cleanup: () => store.close() };
}

describeWithPg('PostgreSQL', () => {
  runConformance('postgres', pgFactory);
});

describeWithPg('PostgreSQL KPI series: native time partitioning', () => {
  it('makes day partitions ahead, and retention DROPs whole days instead of deleting rows', async () => {
    const f = await pgFactory();
    try {
      const DAY = 86_400_000;
      const day0 = Math.floor(T0 / DAY) * DAY;
      const name = (d: number) => `samples_p${new Date(d).toISOString().slice(0, 10).replace(/-/g, '')}`;
      await f.store.maintainSeries({ now: day0 + 1000, rawRetentionMs: 7 * DAY, hourlyRetentionMs: 90 * DAY });
      const parts = async () => (await sql<{ t: string }>(conformanceDb!.url, `SELECT c.relname AS t FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'samples'`)).map((r) => r.t);
      expect(await parts()).toEqual(expect.arrayContaining([name(day0), name(day0 + DAY), name(day0 + 2 * DAY), 'samples_default']));
      await f.store.appendSamples([{ deviceId: ID, path: 'K', at: day0 + 5000, value: '1', source: 'bulk' }]);
      // The row lives in its day's partition, not the default one.
      expect(await sql(conformanceDb!.url, `SELECT 1 FROM ${name(day0)}`)).toHaveLength(1);
      expect(await sql(conformanceDb!.url, 'SELECT 1 FROM samples_default')).toHaveLength(0);
      const r = await f.store.maintainSeries({ now: day0 + 9 * DAY, rawRetentionMs: 7 * DAY, hourlyRetentionMs: 90 * DAY });
      expect(r.rawDropped).toBe(1);
      expect(await parts()).not.toContain(name(day0));
      expect(await parts()).toContain(name(day0 + 9 * DAY));
    } finally {
      await f.cleanup();
    }
  });
});

describeWithPg('PostgreSQL backend', () => {
  let db: TestDatabase;
  const opened: PostgresStore[] = [];
  const open = async (opts: Partial<PostgresStoreOptions> = {}): Promise<PostgresStore> => {
    const s = await createPostgresStore({ url: db.url, poolSize: 4, ...opts });
    opened.push(s);
    return s;
  };

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterEach(async () => {
    for (const s of opened.splice(0)) await s.close();
    await truncateAll(db.url);
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('openStore picks PostgreSQL for postgres:// and postgresql:// URLs', async () => {
    for (const url of [db.url, db.url.replace(/^postgresql:/, 'postgres:')]) {
      const store = await openStore({ db: url, dataDir: '/nonexistent' });
      expect((await store.listDevices()).total).toBe(0);
      await store.close();
    }
  });

  it('records each migration once, also when several processes start together', async () => {
    const fresh = await createTestDatabase();
    try {
      // Four pools migrating at once, as four workers starting together would.
      const stores = await Promise.all([0, 1, 2, 3].map(() => createPostgresStore({ url: fresh.url, poolSize: 1 })));
      const rows = await sql<{ version: number }>(fresh.url, 'SELECT version FROM schema_migrations ORDER BY version');
      expect(rows.map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
      await stores[0]!.migrate();
      expect(await sql(fresh.url, 'SELECT count(*)::int AS n FROM schema_migrations')).toEqual([{ n: MIGRATIONS.length }]);
      for (const s of stores) await s.close();
    } finally {
      await fresh.drop();
    }
  });

  it('upgrades a database left at an older version, keeping its data; refuses a newer one', async () => {
    const fresh = await createTestDatabase();
    const raw = new PgDb(fresh.url, { onError: () => undefined });
    try {
      expect(await runMigrations(raw, MIGRATIONS.slice(0, 1), T0)).toEqual([1]);
      await raw.query(`INSERT INTO devices VALUES ('d-1', 'm', 'o', '', 's', 1, 2, NULL, NULL, '[]')`);
      const next = [...MIGRATIONS, { version: 999, name: 'test: add a column', up: 'ALTER TABLE devices ADD COLUMN note text' }];
      expect(await runMigrations(raw, next, T0 + 1)).toEqual([...MIGRATIONS.slice(1).map((m) => m.version), 999]);
      expect(await runMigrations(raw, next, T0 + 2)).toEqual([]);
      expect(await appliedVersions(raw)).toEqual([...MIGRATIONS.map((m) => m.version), 999]);
      expect(await raw.query('SELECT id, note FROM devices')).toEqual([{ id: 'd-1', note: null }]);
      await expect(createPostgresStore({ url: fresh.url })).rejects.toThrow(/newer/);
      await expect(runMigrations(raw, [MIGRATIONS[0]!, { ...MIGRATIONS[0]!, name: 'dup' }])).rejects.toThrow(/order/);
    } finally {
      await raw.close();
      await fresh.drop();
    }
  });

  it('a failed migration leaves nothing behind (DDL is transactional)', async () => {
    const fresh = await createTestDatabase();
    const raw = new PgDb(fresh.url, { onError: () => undefined });
    try {
      const broken = [...MIGRATIONS, { version: 100, name: 'half', up: 'CREATE TABLE half_done (x int); SELECT no_such_function()' }];
      await expect(runMigrations(raw, broken)).rejects.toThrow(/no_such_function/);
      expect(await appliedVersions(raw)).toEqual([]);
      expect(await raw.query(`SELECT to_regclass('half_done') AS t`)).toEqual([{ t: null }]);
    } finally {
      await raw.close();
      await fresh.drop();
    }
  });

  it('an idle periodic session is two round trips, two statements, and rewrites no parameter row', async () => {
    const inner = await open();
    const store = countingStore(inner);
    const params: [string, string][] = Array.from({ length: 12 }, (_, i) => [`Device.P${i}`, `v${i}`]);
    await store.openSession({ deviceId: ID, lockOwner: 'a', lockTtlMs: 1000, now: T0 });
    await store.commitSession(periodic(T0, params));
    await sql(
      db.url,
      `CREATE TABLE writes (n int); INSERT INTO writes VALUES (0);
       CREATE FUNCTION count_write() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN UPDATE writes SET n = n + 1; RETURN NULL; END $$;
       CREATE TRIGGER count_write AFTER INSERT OR UPDATE ON parameters FOR EACH ROW EXECUTE FUNCTION count_write();`,
    );
    try {
      const writes = async () => (await sql<{ n: number }>(db.url, 'SELECT n FROM writes'))[0]!.n;
      store.reset();
      const before = inner.statements();
      await store.openSession({ deviceId: ID, lockOwner: 'a', lockTtlMs: 1000, now: T0 + 1 });
      await store.commitSession(periodic(T0 + 1, params));
      expect(store.byMethod()).toEqual({ openSession: 1, commitSession: 1 });
      expect(inner.statements() - before).toBe(2);
      expect(await writes()).toBe(0);
      params[3] = ['Device.P3', 'changed'];
      await store.openSession({ deviceId: ID, lockOwner: 'a', lockTtlMs: 1000, now: T0 + 2 });
      await store.commitSession(periodic(T0 + 2, params));
      expect(await writes()).toBe(1);
    } finally {
      await sql(db.url, 'DROP TRIGGER count_write ON parameters; DROP FUNCTION count_write(); DROP TABLE writes');
    }
  });

  it('a bootstrap of thousands of nodes is still one statement', async () => {
    const store = await open();
    const names = Array.from({ length: 3000 }, (_, i) => `Device.Obj${Math.floor(i / 50)}.P${i % 50}`);
    await store.openSession({ deviceId: ID, lockOwner: 'a', lockTtlMs: 1000, now: T0 });
    const before = store.statements();
    await store.commitSession(
      periodic(T0, [], {
        events: [{ eventCode: '0 BOOTSTRAP', commandKey: '' }],
        parameterOps: [
          { op: 'clearTree' },
          { op: 'setNames', at: T0, root: 'Device.', nextLevel: false, params: names.map((name) => ({ name, writable: true })) },
          { op: 'setValues', at: T0, touch: true, params: names.map((name) => ({ name, value: name, type: 'xsd:string' })) },
        ],
      }),
    );
    expect(store.statements() - before).toBe(1);
    const d = await store.getDevice(ID);
    // 3,000 parameters, 60 "Device.ObjN." objects and "Device." itself.
    expect(d?.parameters).toHaveLength(3061);
    expect(d?.parameters.find((p) => p.path === 'Device.Obj3.P7')).toMatchObject({ value: 'Device.Obj3.P7', writable: true });
  });

  it('a new kind of write is one more flotilla_op_<k> function: flotilla_apply and its call stay as they are', async () => {
    const store = await open();
    await store.commitSession(periodic(T0, [['Device.a', '1']]));
    // What a migration adding a write would create: same signature as every op function.
    await store.db.query(`CREATE FUNCTION flotilla_op_test_tag(p_device text, o json) RETURNS void LANGUAGE sql AS
      $$ INSERT INTO device_tags (device_id, tag) VALUES (p_device, o->>'tag') $$`);
    try {
      await store.db.query('SELECT flotilla_apply($1, $2::json)', [ID, JSON.stringify([{ k: 'test_tag', tag: 'via-op' }])]);
      expect((await store.getDevice(ID))?.tags).toEqual(['via-op']);
    } finally {
      await store.db.query('DROP FUNCTION flotilla_op_test_tag(text, json)');
    }
  });

  it('a list with an unknown or malformed op kind applies nothing', async () => {
    const store = await open();
    await store.commitSession(periodic(T0, [['Device.a', '1']]));
    for (const k of ['no_such_op', 'clear); DROP TABLE devices; --', 'Clear', null]) {
      const ops = JSON.stringify([{ k: 'clear' }, { k }]);
      await expect(store.db.query('SELECT flotilla_apply($1, $2::json)', [ID, ops])).rejects.toThrow(/flotilla_op_no_such_op|bad op kind/);
    }
    expect((await store.getDevice(ID))?.parameters.map((p) => p.value)).toEqual(['1']);
  });

  it('orders paths by bytes (COLLATE "C"), as SQLite does, whatever the database locale', async () => {
    const store = await open();
    const paths = ['Device.a', 'Device.Z', 'Device.Ä', 'Device._x', 'Device.-y', 'Device.~'];
    await store.openSession({ deviceId: ID, lockOwner: 'a', lockTtlMs: 1000, now: T0 });
    await store.commitSession(periodic(T0, paths.map((p) => [p, '1'])));
    const byBytes = [...paths].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    expect((await store.getDevice(ID))?.parameters.map((p) => p.path)).toEqual(byBytes);
  });

  it('takes each lock exactly once when several processes race for the same devices', async () => {
    const pools = await Promise.all([open(), open(), open()]);
    const devices = Array.from({ length: 40 }, (_, i) => idOf(i));
    for (let round = 0; round < 3; round++) {
      const now = T0 + round * 10;
      const attempts = devices.flatMap((deviceId) =>
        pools.flatMap((store, p) =>
          [0, 1].map(async (k) => ({
            deviceId,
            owner: `p${p}-${k}-${round}`,
            lock: (await store.openSession({ deviceId, lockOwner: `p${p}-${k}-${round}`, lockTtlMs: 60_000, now })).lock,
          })),
        ),
      );
      const results = await Promise.all(attempts);
      for (const deviceId of devices) {
        const winners = results.filter((r) => r.deviceId === deviceId && r.lock === 'acquired');
        expect(winners, deviceId).toHaveLength(1);
        await pools[0]!.releaseLock(deviceId, winners[0]!.owner);
      }
    }
  });

  it('hands out distinct, increasing sequence numbers to concurrent enqueuers', async () => {
    const pools = await Promise.all([open(), open()]);
    const rpc = { method: 'GetParameterValues' as const, parameterNames: ['Device.'] };
    const made = await Promise.all(Array.from({ length: 40 }, (_, i) => queueRpc(pools[i % 2]!, ID, rpc, { now: T0 + i })));
    const seqs = made.map((r) => r.seq);
    expect(new Set(seqs).size).toBe(40);
    const listed = await deviceTasks(pools[0]!, ID);
    expect(listed.map((r) => r.seq)).toEqual([...seqs].sort((a, b) => a - b));
    const opened = await pools[1]!.openSession({ deviceId: ID, lockOwner: 'x', lockTtlMs: 1000, now: T0 + 100 });
    expect(opened.queue.map((r) => r.id)).toEqual(listed.map((r) => r.id));
  });

  it('webhook deliveries: every call is one statement; processes claiming at once never share one', async () => {
    const pools = await Promise.all([open(), open(), open()]);
    const first = pools[0]!;
    await first.createWebhook({ id: 'w1', url: 'https://oss.example/hook', secret: 's'.repeat(32), events: [], createdAt: T0 });
    const n = 150;
    const items = Array.from({ length: n }, (_, i) => ({
      webhookId: 'w1',
      event: { id: String(i), type: 'device.inform', at: T0, deviceId: idOf(i), data: {} },
    }));
    const statements = async (call: () => Promise<unknown>): Promise<number> => {
      const before = first.statements();
      await call();
      return first.statements() - before;
    };
    expect(await statements(() => first.enqueueWebhookDeliveries(items, T0))).toBe(1);
    // Two connections open in every pool first, so the claims below overlap from the start.
    await Promise.all(pools.flatMap((store) => [store.listWebhooks(), store.listWebhooks()]));
    // Each process claims in two loops at once, as a dispatcher's pump and poll could.
    const claimedBy = new Map<string, number>();
    let duplicates = 0;
    await Promise.all(
      pools.flatMap((store, p) =>
        [0, 1].map(async () => {
          for (let round = 0; round < 200 && claimedBy.size < n; round++) {
            for (const d of await store.claimWebhookDeliveries(T0 + 1, 7, 60_000)) {
              if (claimedBy.has(d.id)) duplicates++;
              claimedBy.set(d.id, p);
            }
          }
        }),
      ),
    );
    expect(duplicates).toBe(0);
    expect(claimedBy.size).toBe(n);
    expect(await statements(() => first.claimWebhookDeliveries(T0 + 2, n, 60_000))).toBe(1);
    const [id] = claimedBy.keys();
    expect(await statements(() => first.finishWebhookDelivery(id!, { state: 'delivered' }, T0 + 3))).toBe(1);
    expect(await statements(() => first.listWebhookDeliveries('w1', { state: 'delivered', limit: 10 }))).toBe(1);
    expect(await statements(() => first.listWebhookDeliveries('nope', { limit: 10 }))).toBe(1);
    expect(await statements(() => first.pruneWebhookDeliveries(T0 + 4))).toBe(1);
    expect((await first.listWebhookDeliveries('w1', { limit: n }))?.filter((d) => d.state === 'pending')).toHaveLength(n - 1);
    // The other processes' leases hold; when they lapse (those processes died), one claim takes all.
    expect(await pools[1]!.claimWebhookDeliveries(T0 + 60_000, n, 60_000)).toEqual([]);
    expect(await pools[1]!.claimWebhookDeliveries(T0 + 1 + 60_000, n, 60_000)).toHaveLength(n - 1);
  });

  it('several processes declaring the search indexes at once build each one once, without deadlock', async () => {
    const pools = await Promise.all([open(), open(), open()]);
    const wanted = ['Device.DeviceInfo.SoftwareVersion', "Device.X_Vendor.It's"];
    await Promise.all(pools.map((s) => s.setSearchablePaths(wanted)));
    for (const s of pools) expect(await s.searchablePaths()).toEqual([...wanted].sort());
    const indexes = await sql<{ n: number }>(
      db.url,
      `SELECT count(*)::int AS n FROM pg_indexes WHERE tablename = 'parameters' AND indexname LIKE 'parameters_search_%'`,
    );
    expect(indexes[0]!.n).toBe(2);
    // Shrinking the set drops the index; an unchanged set is a read.
    await Promise.all(pools.map((s) => s.setSearchablePaths([wanted[0]!])));
    expect(await sql(db.url, `SELECT path FROM search_paths`)).toEqual([{ path: wanted[0] }]);
    await pools[0]!.setSearchablePaths([]);
  });

  it('caps the session log and CPE messages per device', async () => {
    const store = await open({ sessionsPerDevice: 3, cpeMessagesPerDevice: 2 });
    for (let i = 0; i < 6; i++) {
      await store.commitSession(
        periodic(T0 + i, [], {
          cpeMessages: [{ at: T0 + i, message: { method: 'GetRPCMethods' } }],
          log: { deviceId: ID, startedAt: T0 + i, endedAt: T0 + i, events: [], rpcs: [], cpeRequests: [], outcome: 'ok', linkedRequests: [] },
        }),
      );
    }
    expect((await store.listSessions(ID)).map((s) => s.startedAt)).toEqual([T0 + 5, T0 + 4, T0 + 3]);
    expect((await store.listCpeMessages(ID)).map((m) => m.at)).toEqual([T0 + 5, T0 + 4]);
  });

  it('survives its connections being killed: no crash, the error is reported, the next call reconnects', async () => {
    const errors: Error[] = [];
    const store = await open({ onError: (e) => errors.push(e) });
    await store.commitSession(periodic(T0, [['Device.a', '1']]));
    const killed = await sql<{ n: number }>(
      db.url,
      `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity
       WHERE datname = current_database() AND application_name = 'flotilla' AND pid <> pg_backend_pid()`,
    );
    expect(killed[0]!.n).toBeGreaterThan(0);
    await vi.waitFor(() => expect(errors.length).toBeGreaterThan(0), { timeout: 10_000, interval: 20 });
    expect((await store.getDevice(ID))?.parameters.map((p) => p.value)).toEqual(['1']);
  });

  it('a call in flight when its connection dies fails cleanly and writes nothing', async () => {
    const store = await open({ onError: () => undefined });
    await store.commitSession(periodic(T0, [['Device.a', '1']]));
    // Hold the device row so the next commit waits inside the server, then kill its backend.
    const blocker = new pg.Client({ connectionString: db.url });
    await blocker.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query(`SELECT 1 FROM devices WHERE id = $1 FOR UPDATE`, [ID]);
      const commit = store.commitSession(periodic(T0 + 1, [['Device.a', '2']]));
      const outcome = commit.then(
        () => 'committed',
        (e: Error) => e.message,
      );
      let victims = 0;
      for (let i = 0; i < 50 && victims === 0; i++) {
        await new Promise((r) => setTimeout(r, 20));
        const rows = await blocker.query<{ n: number }>(
          `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity
           WHERE datname = current_database() AND application_name = 'flotilla' AND wait_event_type = 'Lock'`,
        );
        victims = rows.rows[0]!.n;
      }
      expect(victims).toBe(1);
      expect(await outcome).toMatch(/terminat|Connection/i);
      await blocker.query('ROLLBACK');
    } finally {
      await blocker.end();
    }
    const d = await store.getDevice(ID);
    expect([d?.lastInform, d?.parameters[0]?.value]).toEqual([T0, '1']);
    expect(await store.listSessions(ID)).toHaveLength(1);
  });

  it('fails fast, without the password, when the server cannot be reached', async () => {
    const url = 'postgres://flotilla:very-secret@127.0.0.1:1/none';
    const failure = await createPostgresStore({ url, connectTimeoutMs: 2000 }).then(
      () => 'opened',
      (e: Error) => e.message,
    );
    expect(failure).toMatch(/ECONNREFUSED|connect/);
    expect(failure).toContain('127.0.0.1:1');
    expect(failure).not.toContain('very-secret');
  });
});
