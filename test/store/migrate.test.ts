/**
 * `flotilla migrate`: a store copied SQLite → PostgreSQL (and back) reads the same through
 * the Store interface, the verification catches every kind of difference, the table list
 * covers both backends' schemas, and the CLI never prints the password.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { deviceIdOf } from '../../src/store/device-id.js';
import { migrateStore, NOT_COPIED, SQLITE_ONLY, TABLES, verifyStores } from '../../src/store/migrate.js';
import { createPostgresStore } from '../../src/store/postgres/index.js';
import { createSqliteStore, DATABASE_FILE } from '../../src/store/sqlite/index.js';
import type { SessionCommit, Store } from '../../src/store/types.js';
import { claimPgShared, createTestDatabase, describePg, sql, type TestDatabase } from './pg-helpers.js';
import { deviceTasks } from '../helpers/queue.js';

const describeWithPg = await describePg();
const T0 = 1_700_000_000_000;
const ids = ['S1', 'S2', 'Zürich 東京', 'S4'].map((s) => deviceIdOf({ oui: '00D09E', productClass: 'IGD', serialNumber: s }));

/** A store with something in every table. */
async function fill(store: Store): Promise<void> {
  for (const [i, id] of ids.entries()) {
    const at = T0 + i * 1000;
    const parsed = id.split('-');
    await store.createTasks(
      [
        { deviceId: id, task: { type: 'reboot', commandKey: `rb-${i}` } },
        { deviceId: id, task: { type: 'getParameterValues', parameterNames: ['Device.DeviceInfo.'] }, expiresAt: at + 5 },
        { deviceId: id, task: { type: 'setParameterValues', parameterValues: [['Device.X.Grüße', 'ü "q"', 'xsd:string']], parameterKey: 'k' } },
      ],
      at - 10,
    );
    const opened = await store.openSession({ deviceId: id, lockOwner: 'm', lockTtlMs: 1000, now: at });
    const [first] = opened.queue;
    const commit: SessionCommit = {
      deviceId: id,
      lockOwner: 'm',
      identity: { manufacturer: 'Acme', oui: parsed[0]!, productClass: 'IGD', serialNumber: i === 2 ? 'Zürich 東京' : `S${i + 1}` },
      informAt: at,
      events: [{ eventCode: '0 BOOTSTRAP', commandKey: '' }, { eventCode: '1 BOOT', commandKey: '' }],
      parameterOps: [
        { op: 'setNames', at, root: 'Device.', nextLevel: false, params: [{ name: 'Device.A.x', writable: true }, { name: 'Device.A.1.', writable: false }] },
        { op: 'setValues', at, touch: false, params: [{ name: 'Device.A.x', value: `v${i} 📡`, type: 'xsd:string' }] },
        { op: 'setAttributes', at, params: [{ name: 'Device.A.x', notification: 2, accessList: ['Subscriber'] }] },
      ],
      requestOutcomes:
        first === undefined ? [] : [{ requestId: first.id, state: 'fault', fault: { faultCode: 9001, faultString: 'denied', setParameterValuesFault: [] }, at }],
      cpeMessages: [{ at, message: { method: 'Kicked', command: 'c', referer: 'r', arg: '{"a":1}', next: 'n' } }],
      log: { deviceId: id, startedAt: at, endedAt: at + 5, events: [], rpcs: [{ method: 'Reboot', requestId: first?.id ?? null, outcome: 'fault', faultCode: 9001 }], cpeRequests: ['Kicked'], outcome: 'ok', linkedRequests: [] },
      releaseLock: true,
    };
    await store.commitSession(commit);
    await store.commitSession({ ...commit, informAt: at + 100, parameterOps: [], requestOutcomes: [], cpeMessages: [], log: { ...commit.log, startedAt: at + 100 } });
    await store.setTags(id, [`t${i % 2}`, 'all'], []);
    if (i < 2) await store.setCpeCredential(id, { username: `u${i}`, realm: 'Flotilla', ha1: 'a'.repeat(32) });
  }
  await store.createApiToken({ id: 'tok1', name: 'ops', role: 'admin', lookup: 'abc', hash: 'f'.repeat(64), createdAt: T0 });
  await store.createWebhook({ id: 'wh1', url: 'http://127.0.0.1:9/hook', secret: 's3', events: ['device.registered'], createdAt: T0 });
  // A webhook scoped to part of the fleet travels with its scope.
  await store.createWebhook({ id: 'wh2', url: 'http://127.0.0.1:9/north', secret: 's4', events: [], createdAt: T0 + 1, scope: { tag: 't0', filter: 'oui = "00AA00"' } });
  // One delivery retried (lease cleared, error kept), one still leased.
  const event = (n: number) => ({ id: String(n), type: 'device.registered', at: T0 + n, deviceId: ids[n]!, data: { note: `grüße ${n}` } });
  await store.enqueueWebhookDeliveries([{ webhookId: 'wh1', event: event(0) }, { webhookId: 'wh1', event: event(1) }], T0);
  const [retried] = await store.claimWebhookDeliveries(T0, 2, 60_000);
  await store.finishWebhookDelivery(retried!.id, { state: 'retry', nextAt: T0 + 5000, error: 'HTTP 503' }, T0 + 1);
  await store.setSearchablePaths(['Device.A.x']);
}

/** Everything the Store interface shows, for comparing two stores. */
async function snapshot(store: Store) {
  const devices = [];
  for (const id of ids) {
    devices.push({
      device: await store.getDevice(id),
      tasks: await deviceTasks(store, id),
      sessions: await store.listSessions(id),
      messages: await store.listCpeMessages(id),
      credential: await store.getCpeCredential(id),
    });
  }
  return {
    devices,
    list: await store.listDevices({ filters: [{ field: 'parameter', path: 'Device.A.x', op: 'prefix', value: 'v' }] }),
    tasks: await store.listTasks(),
    tokens: await store.listApiTokens(),
    webhooks: await store.listWebhooks(),
    deliveries: await store.listWebhookDeliveries('wh1', { limit: 100 }),
    searchable: await store.searchablePaths(),
  };
}

describeWithPg('flotilla migrate', () => {
  let release: () => void = () => undefined;
  const dirs: string[] = [];
  const dbs: TestDatabase[] = [];
  const newDir = async () => {
    const d = await mkdtemp(join(tmpdir(), 'flotilla-migrate-'));
    dirs.push(d);
    return d;
  };
  const newDb = async () => {
    const d = await createTestDatabase();
    dbs.push(d);
    return d;
  };

  beforeAll(async () => {
    release = await claimPgShared();
  });
  afterEach(async () => {
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
    for (const d of dbs.splice(0)) await d.drop();
  });
  afterAll(() => release());

  it('copies SQLite → PostgreSQL → SQLite, verified, and every copy reads the same', async () => {
    const dir = await newDir();
    const sqlite = await createSqliteStore({ dataDir: dir });
    await fill(sqlite);
    const before = await snapshot(sqlite);
    await sqlite.close();

    const db = await newDb();
    const progress: string[] = [];
    const report = await migrateStore(`sqlite:${dir}`, db.url, { batchSize: 2, onProgress: (m) => progress.push(m) });
    expect(report.ok).toBe(true);
    expect(report.copied).toMatchObject({ devices: 4, parameters: 16, tasks: 12, session_log: 8, cpe_messages: 4, device_tags: 8, api_tokens: 1, webhook_deliveries: 2 });
    for (const t of report.tables) expect([t.table, t.target]).toEqual([t.table, t.source]);
    expect(report.searchablePaths).toEqual({ source: ['Device.A.x'], target: ['Device.A.x'] });
    expect(progress.at(-1)).toBe('verifying');

    const pgStore = await createPostgresStore({ url: db.url });
    expect(await snapshot(pgStore)).toEqual(before);
    // New tasks go after the copied ones of their device.
    const [later] = await pgStore.createTasks([{ deviceId: ids[0]!, task: { type: 'getRPCMethods' } }], T0 + 10_000);
    expect(later!.seq).toBeGreaterThan(Math.max(...before.tasks.tasks.map((t) => t.seq)));
    await pgStore.deleteTask(later!.id);
    await pgStore.close();

    const back = await newDir();
    expect((await migrateStore(db.url, `sqlite:${back}`)).ok).toBe(true);
    const again = await createSqliteStore({ dataDir: back });
    expect(await snapshot(again)).toEqual(before);
    await again.close();
  });

  it('copies a SQLite store whose trees are in sections (--tree-sections) as rows, reading the same', async () => {
    const dir = await newDir();
    const sqlite = await createSqliteStore({ dataDir: dir, treeSections: true });
    const id = ids[0]!;
    const at = T0;
    await sqlite.openSession({ deviceId: id, lockOwner: 'm', lockTtlMs: 1000, now: at });
    const names = ['Device.', 'Device.B.', 'Device.B.n', 'Device.B.C.', 'Device.B.C.1.', 'Device.B.C.1.x', 'Device.B.C.2.', 'Device.B.C.2.x'];
    await sqlite.commitSession({
      deviceId: id,
      lockOwner: 'm',
      identity: { manufacturer: 'Acme', oui: '00D09E', productClass: 'IGD', serialNumber: 'S1' },
      informAt: at,
      events: [{ eventCode: '0 BOOTSTRAP', commandKey: '' }],
      parameterOps: [
        { op: 'clearTree' },
        { op: 'setNames', at, root: 'Device.', nextLevel: false, params: names.map((name) => ({ name, writable: !name.endsWith('.') })) },
        { op: 'setValues', at: at + 1, touch: true, params: names.filter((n) => !n.endsWith('.')).map((name) => ({ name, value: `${name} ü`, type: 'xsd:string' })) },
      ],
      requestOutcomes: [],
      cpeMessages: [],
      log: { deviceId: id, startedAt: at, endedAt: at + 5, events: [], rpcs: [], cpeRequests: [], outcome: 'ok', linkedRequests: [] },
      releaseLock: true,
    });
    const before = await sqlite.getDevice(id);
    expect(before?.parameters.map((p) => p.path)).toEqual([...names].sort());
    await sqlite.close();
    const raw = new Database(join(dir, DATABASE_FILE), { readonly: true });
    expect((raw.prepare('SELECT count(*) AS n FROM tree_docs t, jsonb_each(t.doc)').get() as { n: number }).n).toBeGreaterThan(0);
    raw.close();

    const db = await newDb();
    const report = await migrateStore(`sqlite:${dir}`, db.url);
    expect(report.ok).toBe(true);
    expect(report.copied).toMatchObject({ parameters: names.length });
    const pgStore = await createPostgresStore({ url: db.url });
    expect(await pgStore.getDevice(id)).toEqual(before);
    await pgStore.close();
  });

  it('refuses a target that is not empty, and leaves it as it was', async () => {
    const dir = await newDir();
    const sqlite = await createSqliteStore({ dataDir: dir });
    await fill(sqlite);
    await sqlite.close();
    const db = await newDb();
    expect((await migrateStore(`sqlite:${dir}`, db.url)).ok).toBe(true);
    await expect(migrateStore(`sqlite:${dir}`, db.url)).rejects.toThrow(/not empty/);
    expect((await verifyStores(`sqlite:${dir}`, db.url)).ok).toBe(true);
  });

  it('a copy that fails part-way leaves the target empty', async () => {
    const dir = await newDir();
    const sqlite = await createSqliteStore({ dataDir: dir });
    await fill(sqlite);
    await sqlite.close();
    // A value PostgreSQL cannot store (text with NUL) in the middle of the copy.
    const raw = new Database(join(dir, DATABASE_FILE));
    raw.prepare(`UPDATE parameters SET value = 'a' || char(0) || 'b' WHERE device_id = ?`).run(ids[3]);
    raw.close();
    const db = await newDb();
    await expect(migrateStore(`sqlite:${dir}`, db.url, { batchSize: 3 })).rejects.toThrow();
    for (const t of TABLES) expect(await sql(db.url, `SELECT count(*)::int AS n FROM ${t.name}`), t.name).toEqual([{ n: 0 }]);
  });

  it('verification names the devices and tables that differ', async () => {
    const dir = await newDir();
    const sqlite = await createSqliteStore({ dataDir: dir });
    await fill(sqlite);
    await sqlite.close();
    const db = await newDb();
    expect((await migrateStore(`sqlite:${dir}`, db.url)).ok).toBe(true);
    await sql(db.url, `UPDATE parameters SET value = 'tampered' WHERE device_id = $1`, [ids[1]]);
    await sql(db.url, `DELETE FROM device_tags WHERE device_id = $1 AND tag = 'all'`, [ids[2]]);
    await sql(db.url, `UPDATE webhooks SET secret = 'other'`);
    const report = await verifyStores(`sqlite:${dir}`, db.url);
    expect(report.ok).toBe(false);
    const by = Object.fromEntries(report.tables.map((t) => [t.table, t]));
    expect(by.parameters).toMatchObject({ source: 16, target: 16, mismatches: [ids[1]], mismatchCount: 1 });
    expect(by.device_tags).toMatchObject({ source: 8, target: 7, mismatches: [ids[2]] });
    expect(by.webhooks?.mismatches).toEqual(['*']);
    expect(by.devices?.mismatchCount).toBe(0);
  });

  it('covers every table and column of both backends’ schemas', async () => {
    const dir = await newDir();
    (await createSqliteStore({ dataDir: dir })).close();
    const raw = new Database(join(dir, DATABASE_FILE), { readonly: true });
    const sqliteTables = (raw.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`).all() as { name: string }[]).map((r) => r.name);
    const sqliteColumns = (t: string) => (raw.pragma(`table_info(${t})`) as { name: string }[]).map((c) => c.name).sort();
    const db = await newDb();
    await (await createPostgresStore({ url: db.url })).close();
    // The day partitions of samples (src/store/postgres/series.ts) are its storage, not tables of their own.
    const pgTables = (await sql<{ t: string }>(db.url, `SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public'`))
      .map((r) => r.t)
      .filter((t) => !/^samples_(default|p\d{8})$/.test(t));
    const pgColumns = async (t: string) =>
      (await sql<{ c: string }>(db.url, `SELECT column_name AS c FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1`, [t])).map((r) => r.c).sort();
    expect([...sqliteTables].sort()).toEqual([...TABLES.map((t) => t.name), ...NOT_COPIED, ...SQLITE_ONLY].sort());
    expect([...pgTables].sort()).toEqual([...TABLES.map((t) => t.name), ...NOT_COPIED].sort());
    for (const t of TABLES) {
      const expected = [...Object.keys(t.columns), ...(t.orderOnly ?? [])].sort();
      expect(sqliteColumns(t.name), `sqlite ${t.name}`).toEqual(expected);
      expect(await pgColumns(t.name), `postgres ${t.name}`).toEqual(expected);
    }
    raw.close();
  });

  const main = resolve(dirname(fileURLToPath(import.meta.url)), '../../dist/src/cli/main.js');
  it.skipIf(!existsSync(main))('the CLI copies, prints the comparison, and never the password', async () => {
    const dir = await newDir();
    const sqlite = await createSqliteStore({ dataDir: dir });
    await fill(sqlite);
    await sqlite.close();
    const db = await newDb();
    const url = new URL(db.url);
    url.password = 'never-printed';
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [main, 'migrate', '--from', `sqlite:${dir}`, '--to', url.toString()]);
    expect(stdout).toMatch(/verified: the stores match/);
    expect(stdout).toMatch(/parameters\s+16\s+16\s+0/);
    expect(stdout + stderr).not.toContain('never-printed');
    const again = await promisify(execFile)(process.execPath, [main, 'migrate', '--verify-only', '--from', `sqlite:${dir}`, '--to', url.toString()]);
    expect(again.stdout).toMatch(/verified/);
  });
});
